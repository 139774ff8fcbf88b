-- raw.custom_daily: custom CSV metrics (metrics: ... csv: in a site's targets file), one value per day.
CREATE TABLE IF NOT EXISTS raw.custom_daily (
    site_id   VARCHAR   NOT NULL,
    metric_id VARCHAR   NOT NULL,
    date      DATE      NOT NULL,
    value     DOUBLE    NOT NULL,
    source    VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL
    -- key (site_id, metric_id, date): no PRIMARY KEY index, as for raw.crm_daily
);
COMMENT ON TABLE raw.custom_daily IS 'Custom metrics kept in spreadsheets (followers, ad spend, ...): one value per site, metric and day, from the CSV named in the site''s targets file (metrics: csv:).';
COMMENT ON COLUMN raw.custom_daily.site_id IS 'Site key whose targets file declares the metric.';
COMMENT ON COLUMN raw.custom_daily.metric_id IS 'Custom metric id (metrics[].id in the targets file; mart.metric_catalog).';
COMMENT ON COLUMN raw.custom_daily.date IS 'Day of the value (the CSV''s date column).';
COMMENT ON COLUMN raw.custom_daily.value IS 'The value of the CSV column named by csv.column for that day (untrusted input, parsed as a number).';
COMMENT ON COLUMN raw.custom_daily.source IS 'Path of the CSV file the value was read from.';
COMMENT ON COLUMN raw.custom_daily.loaded_at IS 'When this row was loaded (UTC).';

-- mart.metrics_weekly: every catalogue metric per site and ISO week (Monday start).
CREATE TABLE IF NOT EXISTS mart.metrics_weekly (
    site_id          VARCHAR NOT NULL,
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    metric_id        VARCHAR NOT NULL,
    value            DOUBLE,
    numerator        DOUBLE,
    denominator      DOUBLE,
    days_present     INTEGER NOT NULL,
    provisional_days INTEGER NOT NULL,
    PRIMARY KEY (site_id, week_start, metric_id)
);
COMMENT ON TABLE mart.metrics_weekly IS 'Every metric per site and ISO week. Additive metrics are summed from days, ratios recomputed from summed numerators and denominators, users read from the source at week grain.';
COMMENT ON COLUMN mart.metrics_weekly.site_id IS 'Site key.';
COMMENT ON COLUMN mart.metrics_weekly.week_start IS 'Monday of the ISO week.';
COMMENT ON COLUMN mart.metrics_weekly.iso_week IS 'ISO week label, e.g. 2027-W18.';
COMMENT ON COLUMN mart.metrics_weekly.metric_id IS 'Metric id (mart.metric_catalog).';
COMMENT ON COLUMN mart.metrics_weekly.value IS 'Metric value for the week.';
COMMENT ON COLUMN mart.metrics_weekly.numerator IS 'Summed numerator (ratio metrics) or the value (others).';
COMMENT ON COLUMN mart.metrics_weekly.denominator IS 'Summed denominator (ratio metrics); NULL otherwise.';
COMMENT ON COLUMN mart.metrics_weekly.days_present IS 'Days of the week with source data (7 for a complete week).';
COMMENT ON COLUMN mart.metrics_weekly.provisional_days IS 'Days of the week still provisional.';

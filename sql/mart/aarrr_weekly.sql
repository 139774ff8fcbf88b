-- mart.aarrr_weekly: each metric by AARRR phase with last week and the same ISO week last year.
CREATE TABLE IF NOT EXISTS mart.aarrr_weekly (
    site_id          VARCHAR NOT NULL,
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    phase            VARCHAR NOT NULL,
    phase_order      INTEGER NOT NULL,
    metric_id        VARCHAR NOT NULL,
    value            DOUBLE,
    prev_week_value  DOUBLE,
    last_year_value  DOUBLE,
    wow_change       DOUBLE,
    yoy_change       DOUBLE,
    provisional_days INTEGER NOT NULL,
    PRIMARY KEY (site_id, week_start, metric_id)
);
COMMENT ON TABLE mart.aarrr_weekly IS 'Each metric per week, grouped by AARRR phase, beside the previous week and the same ISO week a year earlier.';
COMMENT ON COLUMN mart.aarrr_weekly.site_id IS 'Site key.';
COMMENT ON COLUMN mart.aarrr_weekly.week_start IS 'Monday of the ISO week.';
COMMENT ON COLUMN mart.aarrr_weekly.iso_week IS 'ISO week label.';
COMMENT ON COLUMN mart.aarrr_weekly.phase IS 'AARRR phase of the metric.';
COMMENT ON COLUMN mart.aarrr_weekly.phase_order IS '1..5 in AARRR order.';
COMMENT ON COLUMN mart.aarrr_weekly.metric_id IS 'Metric id.';
COMMENT ON COLUMN mart.aarrr_weekly.value IS 'Value this week.';
COMMENT ON COLUMN mart.aarrr_weekly.prev_week_value IS 'Value the week before.';
COMMENT ON COLUMN mart.aarrr_weekly.last_year_value IS 'Value in the same ISO week number of the previous ISO year.';
COMMENT ON COLUMN mart.aarrr_weekly.wow_change IS 'value / prev_week_value − 1 (for rates: the difference in points, value − prev_week_value).';
COMMENT ON COLUMN mart.aarrr_weekly.yoy_change IS 'value / last_year_value − 1 (for rates: the difference in points).';
COMMENT ON COLUMN mart.aarrr_weekly.provisional_days IS 'Days of this week still provisional.';

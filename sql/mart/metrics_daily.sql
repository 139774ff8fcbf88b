-- mart.metrics_daily: every catalogue metric per site and day, in long form.
-- Ratios carry their numerator and denominator so any grain can recompute them.
CREATE TABLE IF NOT EXISTS mart.metrics_daily (
    site_id        VARCHAR NOT NULL,
    date           DATE    NOT NULL,
    metric_id      VARCHAR NOT NULL,
    value          DOUBLE,
    numerator      DOUBLE,
    denominator    DOUBLE,
    is_provisional BOOLEAN NOT NULL,
    PRIMARY KEY (site_id, date, metric_id)
);
COMMENT ON TABLE mart.metrics_daily IS 'Every metric of mart.metric_catalog per site and day. Ratios: value = numerator / denominator; never average value across days, sum numerator and denominator instead.';
COMMENT ON COLUMN mart.metrics_daily.site_id IS 'Site key.';
COMMENT ON COLUMN mart.metrics_daily.date IS 'Day (reporting time zone).';
COMMENT ON COLUMN mart.metrics_daily.metric_id IS 'Metric id (mart.metric_catalog).';
COMMENT ON COLUMN mart.metrics_daily.value IS 'Metric value for the day (NULL when a ratio has a zero denominator).';
COMMENT ON COLUMN mart.metrics_daily.numerator IS 'Numerator of a ratio metric, or the value itself for additive metrics.';
COMMENT ON COLUMN mart.metrics_daily.denominator IS 'Denominator of a ratio metric; NULL for additive and user metrics.';
COMMENT ON COLUMN mart.metrics_daily.is_provisional IS 'TRUE for the last 3 days before the load: GA4 may still change them.';

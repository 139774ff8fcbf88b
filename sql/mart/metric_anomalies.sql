-- mart.metric_anomalies: metric-weeks that deviate strongly from their recent history.
CREATE TABLE IF NOT EXISTS mart.metric_anomalies (
    site_id       VARCHAR NOT NULL,
    week_start    DATE    NOT NULL,
    iso_week      VARCHAR NOT NULL,
    metric_id     VARCHAR NOT NULL,
    value         DOUBLE  NOT NULL,
    median        DOUBLE  NOT NULL,
    mad           DOUBLE  NOT NULL,
    robust_z      DOUBLE  NOT NULL,
    kind          VARCHAR NOT NULL,
    poisson_p     DOUBLE,
    PRIMARY KEY (site_id, week_start, metric_id)
);
-- Warehouses created before the column existed get it here (CREATE above is then a no-op).
ALTER TABLE mart.metric_anomalies ADD COLUMN IF NOT EXISTS poisson_p DOUBLE;
COMMENT ON TABLE mart.metric_anomalies IS 'Metric-weeks whose value is far from the median of the previous 12 complete weeks: robust z-score from the median absolute deviation (|z| ≥ 3.5), or, for counts that wobble no more than counting noise, the Poisson probability of a count this far from the median (below 2.3e-4, the same one-sided cut-off).';
COMMENT ON COLUMN mart.metric_anomalies.site_id IS 'Site key.';
COMMENT ON COLUMN mart.metric_anomalies.week_start IS 'Monday of the ISO week flagged.';
COMMENT ON COLUMN mart.metric_anomalies.iso_week IS 'ISO week label.';
COMMENT ON COLUMN mart.metric_anomalies.metric_id IS 'Metric id.';
COMMENT ON COLUMN mart.metric_anomalies.value IS 'Value that week.';
COMMENT ON COLUMN mart.metric_anomalies.median IS 'Median of the reference weeks before it.';
COMMENT ON COLUMN mart.metric_anomalies.mad IS 'Spread used: median absolute deviation of the reference weeks, floored at Poisson noise (0.6745 × √median) for count metrics.';
COMMENT ON COLUMN mart.metric_anomalies.robust_z IS '0.6745 × (value − median) / MAD.';
COMMENT ON COLUMN mart.metric_anomalies.kind IS 'spike (above) or drop (below).';
COMMENT ON COLUMN mart.metric_anomalies.poisson_p IS 'For a count whose weeks wobble no more than Poisson noise (MAD ≤ 0.6745 × √median): P(a count at least this far from the median, one tail | Poisson with mean = median); the week is flagged when it is below 2.3e-4 (a drop to 0 from a median of 10: 4.5e-5). NULL where the robust z judged (rates, levels, scores, counts with more spread).';

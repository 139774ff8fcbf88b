-- mart.measure_effects: each measure of the measures log (施策ログ) against the KPIs it names,
-- before vs after its start, with the metric's normal noise beside the change.
CREATE TABLE IF NOT EXISTS mart.measure_effects (
    site_id       VARCHAR NOT NULL,
    week_start    DATE    NOT NULL,
    iso_week      VARCHAR NOT NULL,
    measure_id    VARCHAR NOT NULL,
    measure_name  VARCHAR NOT NULL,
    phase         VARCHAR,
    kpi_id        VARCHAR NOT NULL,
    metric_id     VARCHAR NOT NULL,
    measure_start DATE    NOT NULL,
    measure_end   DATE,
    before_weeks  INTEGER NOT NULL,
    after_weeks   INTEGER NOT NULL,
    before_value  DOUBLE,
    after_value   DOUBLE,
    change        DOUBLE,
    noise         DOUBLE,
    verdict       VARCHAR NOT NULL,
    PRIMARY KEY (site_id, week_start, measure_id, kpi_id)
);
COMMENT ON TABLE mart.measure_effects IS 'One row per measure (started by week_start) and KPI it names. Did each measure (measures: in the targets file) move its KPIs? The KPI metric over the 4 complete weeks before the week of the start vs up to 4 weeks from the first full week after it, as known in week_start, with the metric''s week-to-week noise beside the change.';
COMMENT ON COLUMN mart.measure_effects.site_id IS 'Site key.';
COMMENT ON COLUMN mart.measure_effects.week_start IS 'Monday of the ISO week the effect was evaluated in (the after window ends there at the latest).';
COMMENT ON COLUMN mart.measure_effects.iso_week IS 'ISO week label of week_start.';
COMMENT ON COLUMN mart.measure_effects.measure_id IS 'Measure id (measures[].id).';
COMMENT ON COLUMN mart.measure_effects.measure_name IS 'Measure name as written in the measures log (untrusted text).';
COMMENT ON COLUMN mart.measure_effects.phase IS 'AARRR phase the measure works on (measures[].phase), if given.';
COMMENT ON COLUMN mart.measure_effects.measure_end IS 'Last day of the measure; NULL while it runs without an end date.';
COMMENT ON COLUMN mart.measure_effects.kpi_id IS 'KPI the measure names (measures[].kpis).';
COMMENT ON COLUMN mart.measure_effects.metric_id IS 'Metric of that KPI (mart.metric_catalog).';
COMMENT ON COLUMN mart.measure_effects.measure_start IS 'Day the measure started.';
COMMENT ON COLUMN mart.measure_effects.before_weeks IS 'Weeks with data in the before window (at most 4).';
COMMENT ON COLUMN mart.measure_effects.after_weeks IS 'Weeks with data in the after window so far (at most 4).';
COMMENT ON COLUMN mart.measure_effects.before_value IS 'Typical weekly value before: weekly average of a count, Σ/Σ of a ratio, last value of a level; NULL without data.';
COMMENT ON COLUMN mart.measure_effects.after_value IS 'Typical weekly value after, computed the same way; NULL until a full week after the start has data.';
COMMENT ON COLUMN mart.measure_effects.change IS 'after_value − before_value, in the metric''s unit (rates: a difference of fractions); NULL when either is.';
COMMENT ON COLUMN mart.measure_effects.noise IS 'Spread of that difference between two normal periods: σ·√(1/before_weeks + 1/after_weeks), σ the metric''s week-to-week noise before the start; NULL when too little history.';
COMMENT ON COLUMN mart.measure_effects.verdict IS 'improved (効果あり) or worsened (悪化) when |change| > 2 × noise in the better or worse direction; noise (誤差の範囲) within it; unknown without noise (too little history); too_early before a full week after the start has data.';

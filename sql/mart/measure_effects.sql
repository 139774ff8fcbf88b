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
    trend_weeks   INTEGER,
    trend_slope   DOUBLE,
    expected_value DOUBLE,
    effect        DOUBLE,
    effect_noise  DOUBLE,
    effect_limit  DOUBLE,
    control_site  VARCHAR,
    PRIMARY KEY (site_id, week_start, measure_id, kpi_id)
);
-- added with the trend (issue 23): what the weeks before predicted, and the control used
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS trend_weeks INTEGER;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS trend_slope DOUBLE;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS expected_value DOUBLE;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS effect DOUBLE;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS effect_noise DOUBLE;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS effect_limit DOUBLE;
ALTER TABLE mart.measure_effects ADD COLUMN IF NOT EXISTS control_site VARCHAR;
COMMENT ON TABLE mart.measure_effects IS 'One row per measure (started by week_start) and KPI it names. Did each measure (measures: in the targets file) move its KPIs? The KPI metric over the 4 complete weeks before the week of the start vs up to 4 weeks from the first full week after it, as known in week_start, with the metric''s week-to-week noise beside the change; and the after weeks against what the trend of the 12 weeks before the start predicted for them (with another site as a control where one serves), which decides the verdict.';
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
COMMENT ON COLUMN mart.measure_effects.verdict IS 'improved (効果あり) or worsened (悪化) when |effect| > effect_limit, in the better or worse direction (without a trend, fewer than 6 complete weeks before: |change| > 2 × noise); trend (トレンドどおり: inside effect_limit although |change| > 2 × noise, the trend explains the change); noise (誤差の範囲) inside both; unknown without noise (too little history); too_early before a full week after the start has data.';
COMMENT ON COLUMN mart.measure_effects.trend_weeks IS 'Complete weeks before the start''s week the trend was fitted on (up to 12; 0 when fewer than 6 had data and no trend was fitted). Levels: weekly changes.';
COMMENT ON COLUMN mart.measure_effects.trend_slope IS 'The trend before the start, in the metric''s unit per week (levels: the change of the weekly gain per week); NULL without a trend.';
COMMENT ON COLUMN mart.measure_effects.expected_value IS 'What the trend before the start (and the control, when control_site is set) predicted for after_value; NULL without a trend.';
COMMENT ON COLUMN mart.measure_effects.effect IS 'after_value − expected_value: the change beyond the trend, in the metric''s unit; NULL without a trend.';
COMMENT ON COLUMN mart.measure_effects.effect_noise IS 'Standard error of effect when the measure changed nothing: s·√(1/after_weeks + x̄ᵀ(XᵀX)⁻¹x̄), the after weeks'' wobble plus the uncertainty of the fitted trend (s the residual spread of the fit, at least Poisson noise for counts and binomial noise for rates).';
COMMENT ON COLUMN mart.measure_effects.effect_limit IS 'Half-width of the 95 % prediction interval of effect: t(0.975, trend_weeks − parameters) × effect_noise. |effect| above it is an effect beyond the trend.';
COMMENT ON COLUMN mart.measure_effects.control_site IS 'Site whose same metric was the control (a second regressor of the fit, a difference-in-differences with an estimated weight): a site of KPI_SITES with every week of the fit and the after window and no measure on that metric then; used only when its weight is significant on the weeks before the start (|t| > t(0.975)); of several, the one leaving the smallest residual spread. NULL: the trend alone.';

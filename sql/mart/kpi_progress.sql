-- mart.kpi_progress: each KPI and KGI against its target and pace, per ISO week (written by kpi_pipeline/kpi).
CREATE TABLE IF NOT EXISTS mart.kpi_progress (
    site_id         VARCHAR NOT NULL,
    week_start      DATE    NOT NULL,
    iso_week        VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    kgi_id          VARCHAR,
    name            VARCHAR NOT NULL,
    metric_id       VARCHAR NOT NULL,
    phase           VARCHAR NOT NULL,
    direction       VARCHAR NOT NULL,
    pacing          VARCHAR NOT NULL,
    cumulative      BOOLEAN NOT NULL,
    start_date      DATE    NOT NULL,
    deadline        DATE    NOT NULL,
    baseline        DOUBLE,
    target          DOUBLE,
    expected        DOUBLE,
    actual          DOUBLE,
    elapsed_share   DOUBLE  NOT NULL,
    progress        DOUBLE,
    pace_ratio      DOUBLE,
    status          VARCHAR NOT NULL,
    forecast        DOUBLE,
    forecast_low    DOUBLE,
    forecast_high   DOUBLE,
    verdict         VARCHAR,
    provisional_days INTEGER NOT NULL DEFAULT 0,
    note            VARCHAR,
    goal_kind       VARCHAR,
    expected_progress DOUBLE,
    noise           DOUBLE,
    judgement       VARCHAR,
    judged_weeks    INTEGER,
    retired         BOOLEAN NOT NULL DEFAULT FALSE,
    p_reach         DOUBLE,
    needed_per_week DOUBLE,
    recent_per_week DOUBLE,
    PRIMARY KEY (site_id, week_start, kind, item_id)
);
-- Warehouses created before these columns existed get them here (idempotent).
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS goal_kind VARCHAR;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS expected_progress DOUBLE;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS noise DOUBLE;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS judgement VARCHAR;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS judged_weeks INTEGER;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS retired BOOLEAN DEFAULT FALSE;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS p_reach DOUBLE;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS needed_per_week DOUBLE;
ALTER TABLE mart.kpi_progress ADD COLUMN IF NOT EXISTS recent_per_week DOUBLE;
COMMENT ON TABLE mart.kpi_progress IS 'Each KGI and KPI of kpi_targets.yaml against its target and the pace needed to reach it, per ISO week.';
COMMENT ON COLUMN mart.kpi_progress.site_id IS 'Site key.';
COMMENT ON COLUMN mart.kpi_progress.week_start IS 'Monday of the ISO week evaluated.';
COMMENT ON COLUMN mart.kpi_progress.iso_week IS 'ISO week label, e.g. 2027-W18.';
COMMENT ON COLUMN mart.kpi_progress.kind IS 'kgi or kpi.';
COMMENT ON COLUMN mart.kpi_progress.item_id IS 'id of the KGI or KPI in the targets file.';
COMMENT ON COLUMN mart.kpi_progress.kgi_id IS 'The KGI a KPI serves (NULL for KGIs).';
COMMENT ON COLUMN mart.kpi_progress.name IS 'Name from the targets file.';
COMMENT ON COLUMN mart.kpi_progress.metric_id IS 'Metric measured (mart.metric_catalog).';
COMMENT ON COLUMN mart.kpi_progress.phase IS 'AARRR phase.';
COMMENT ON COLUMN mart.kpi_progress.direction IS 'higher or lower is better.';
COMMENT ON COLUMN mart.kpi_progress.pacing IS 'linear, compound or seasonal.';
COMMENT ON COLUMN mart.kpi_progress.cumulative IS 'TRUE when the target is a running total over the period (e.g. orders in a fiscal year); FALSE when it is the weekly value at the deadline.';
COMMENT ON COLUMN mart.kpi_progress.start_date IS 'Start of the KPI period.';
COMMENT ON COLUMN mart.kpi_progress.deadline IS 'Deadline of the KPI period.';
COMMENT ON COLUMN mart.kpi_progress.baseline IS 'Baseline: weekly average over the baseline window (or the given value); 0 for cumulative targets.';
COMMENT ON COLUMN mart.kpi_progress.target IS 'Target value at the deadline (weekly value, or running total when cumulative); NULL when the baseline window has no data.';
COMMENT ON COLUMN mart.kpi_progress.expected IS 'Value the pace says should have been reached by the end of this week.';
COMMENT ON COLUMN mart.kpi_progress.actual IS 'Actual value this week (or running total to the end of this week when cumulative).';
COMMENT ON COLUMN mart.kpi_progress.elapsed_share IS 'Share of the KPI period elapsed at the end of this week, 0..1.';
COMMENT ON COLUMN mart.kpi_progress.progress IS 'Reach goals: share of the planned change covered, (actual - baseline) / (target - baseline) (1 = target reached, below 0 = moved away). Keep goals (at_most, at_least, maintain): share of the period''s weeks so far on the good side of the line (at most 1).';
COMMENT ON COLUMN mart.kpi_progress.pace_ratio IS 'actual / expected (expected / actual for lower-is-better): 1 = exactly on pace. Informational: statuses compare progress with expected_progress.';
COMMENT ON COLUMN mart.kpi_progress.status IS 'Running goals: on_track when p_reach is at least the on-track threshold (default 0.70), off_track below the off-track threshold (default 0.30), at_risk between; a goal that moved away or a keep goal breached beyond the noise is never on_track; without p_reach (under 4 complete weeks of data) progress against the pace and its tolerances decide. Otherwise achieved, missed, revised (superseded by the goal named in replaced_by, from its start), not_started or no_data (no data for the week, or an empty baseline window).';
COMMENT ON COLUMN mart.kpi_progress.forecast IS 'Median forecast of what the deadline judgement will read: the mean of the judgement window (weekly goals), the total at the deadline (cumulative), the period measure (keep goals); from the last 8 complete weeks, last year''s seasonal shape and the errors of the metric''s own past forecasts.';
COMMENT ON COLUMN mart.kpi_progress.forecast_low IS 'Lower end of the forecast band: 5 % of outcomes fall below it.';
COMMENT ON COLUMN mart.kpi_progress.forecast_high IS 'Upper end of the forecast band: 5 % of outcomes fall above it.';
COMMENT ON COLUMN mart.kpi_progress.verdict IS 'From p_reach: will_reach (0.95 or more: the target is below the band), will_miss (0.05 or less: beyond it) or may_reach.';
COMMENT ON COLUMN mart.kpi_progress.provisional_days IS 'Days of this week still provisional (GA4 may still change them).';
COMMENT ON COLUMN mart.kpi_progress.note IS 'Note codes separated by "; ", e.g. missing_days_scaled(days=5); seasonal_fallback; kpi_summary(on_track=2, off_track=1) (see kpi_pipeline/kpi/notes.py); the report localizes them.';
COMMENT ON COLUMN mart.kpi_progress.goal_kind IS 'reach (value/multiplier), at_most (ceiling), at_least (floor) or maintain (baseline = target). A value/multiplier target on the worse side of its baseline is judged as at_most/at_least.';
COMMENT ON COLUMN mart.kpi_progress.expected_progress IS 'Reach goals: share of the planned change the pace expects by now, (expected - baseline) / (target - baseline); status compares progress with it. NULL for keep goals.';
COMMENT ON COLUMN mart.kpi_progress.noise IS 'Week-to-week noise of the measure compared, in the metric''s unit: robust standard deviation of one week (from the last 12 week-on-week changes; at least Poisson for counts), divided by sqrt(weeks) for a mean of weeks, times sqrt(weeks) for a running total. NULL with fewer than 6 complete weeks.';
COMMENT ON COLUMN mart.kpi_progress.judgement IS 'Why the status: on_pace, behind, within_noise (the miss is smaller than noise), moved_away (progress below 0 while time passed: never on track), held / breached (keep goals), reached / not_reached (at the deadline), revised, not_started or no_data.';
COMMENT ON COLUMN mart.kpi_progress.judged_weeks IS 'Weeks the actual spans: 1 for one week, 4 for a small count''s rolling window, the judgement window at the deadline, the weeks so far for keep goals; NULL for running totals and rows without an actual.';
COMMENT ON COLUMN mart.kpi_progress.retired IS 'TRUE once the goal ended (deadline or replacement) more than retire_after_weeks weeks before this week: the report lists it under ended goals only.';
COMMENT ON COLUMN mart.kpi_progress.p_reach IS 'Chance, 0..1, of reaching the target by the deadline as the deadline judgement defines it (the judgement window''s mean for weekly goals, the total for cumulative goals, the period measure on the good side of the line for keep goals), from the forecast and the spread of the metric''s own past forecast errors at this horizon (Poisson noise for counts). 1 or 0 once achieved or missed; NULL before the start, when revised, without data, or with fewer than 4 complete weeks of history.';
COMMENT ON COLUMN mart.kpi_progress.needed_per_week IS 'Cumulative goals: what each remaining week must add on average to reach the target (target minus the total of the complete weeks, over the weeks left).';
COMMENT ON COLUMN mart.kpi_progress.recent_per_week IS 'Cumulative goals: the recent rate per week (mean of the last 8 complete weeks), to set against needed_per_week.';

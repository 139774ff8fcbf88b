-- mart.funnel_plan: the reverse funnel (逆算) of each KGI with a funnel, per ISO week.
CREATE TABLE IF NOT EXISTS mart.funnel_plan (
    site_id          VARCHAR NOT NULL,
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    kgi_id           VARCHAR NOT NULL,
    stage            VARCHAR NOT NULL,
    stage_order      INTEGER NOT NULL,
    rate_to_next     DOUBLE,
    required_total   DOUBLE  NOT NULL,
    required_to_date DOUBLE  NOT NULL,
    actual_to_date   DOUBLE  NOT NULL,
    gap              DOUBLE  NOT NULL,
    attainment       DOUBLE,
    is_bottleneck    BOOLEAN NOT NULL,
    remaining_weeks  DOUBLE  NOT NULL,
    needed_per_week  DOUBLE  NOT NULL,
    actual_rate      DOUBLE,
    remaining_need   DOUBLE,
    bottleneck_reason VARCHAR,
    observed_need    DOUBLE,
    observed_need_per_week DOUBLE,
    PRIMARY KEY (site_id, week_start, kgi_id, stage)
);
-- Warehouses created before these columns existed get them here (CREATE above is then a no-op).
ALTER TABLE mart.funnel_plan ADD COLUMN IF NOT EXISTS actual_rate DOUBLE;
ALTER TABLE mart.funnel_plan ADD COLUMN IF NOT EXISTS remaining_need DOUBLE;
ALTER TABLE mart.funnel_plan ADD COLUMN IF NOT EXISTS bottleneck_reason VARCHAR;
ALTER TABLE mart.funnel_plan ADD COLUMN IF NOT EXISTS observed_need DOUBLE;
ALTER TABLE mart.funnel_plan ADD COLUMN IF NOT EXISTS observed_need_per_week DOUBLE;
COMMENT ON TABLE mart.funnel_plan IS 'Reverse funnel per KGI and week: how many of each stage the KGI needs (e.g. 100 orders ← 200 deals ← 400 appointments ← 4,000 leads), how many should exist by now (at the KGI''s pacing), how many do, what each stage still needs (chained through the planned rates), the actual rate of each step beside the planned one, what each stage still needs if the actual rates stay as they are, and which stage is the bottleneck and why.';
COMMENT ON COLUMN mart.funnel_plan.site_id IS 'Site key.';
COMMENT ON COLUMN mart.funnel_plan.week_start IS 'Monday of the ISO week evaluated.';
COMMENT ON COLUMN mart.funnel_plan.iso_week IS 'ISO week label.';
COMMENT ON COLUMN mart.funnel_plan.kgi_id IS 'KGI id from the targets file.';
COMMENT ON COLUMN mart.funnel_plan.stage IS 'Funnel stage metric: orders, deals, appointments or leads.';
COMMENT ON COLUMN mart.funnel_plan.stage_order IS '0 for the KGI stage, 1, 2, 3 going up the funnel.';
COMMENT ON COLUMN mart.funnel_plan.rate_to_next IS 'Conversion rate from this stage to the one below it (NULL for the KGI stage).';
COMMENT ON COLUMN mart.funnel_plan.required_total IS 'Required over the whole KGI period.';
COMMENT ON COLUMN mart.funnel_plan.required_to_date IS 'Required by the end of this week at the KGI''s pacing (the share of the total its KGI row expects by now).';
COMMENT ON COLUMN mart.funnel_plan.actual_to_date IS 'Actual running total from the period start to the end of this week.';
COMMENT ON COLUMN mart.funnel_plan.gap IS 'actual_to_date − required_to_date (negative = behind).';
COMMENT ON COLUMN mart.funnel_plan.attainment IS 'actual_to_date / required_to_date.';
COMMENT ON COLUMN mart.funnel_plan.is_bottleneck IS 'TRUE for the bottleneck: the stage fed by the step whose actual rate is furthest below plan, or the top stage when every rate is on plan (only when some stage is behind).';
COMMENT ON COLUMN mart.funnel_plan.remaining_weeks IS 'Weeks left from the end of this week to the end of the period (0 after it); before the start, the whole period''s weeks.';
COMMENT ON COLUMN mart.funnel_plan.needed_per_week IS 'remaining_need per remaining week: the chained weekly need (what this stage must deliver per week from now on so every stage below, and the KGI, can still be met). After the end (remaining_weeks 0): the whole remaining_need.';
COMMENT ON COLUMN mart.funnel_plan.actual_rate IS 'Actual conversion from this stage to the one below over the period so far: actual_to_date of the stage below / actual_to_date of this stage (NULL for the KGI stage or without volume). Compare with rate_to_next.';
COMMENT ON COLUMN mart.funnel_plan.remaining_need IS 'How many more this stage needs by the end of the period: max(its own gap to required_total, remaining_need of the stage below / rate_to_next), rounded up to whole counts.';
COMMENT ON COLUMN mart.funnel_plan.observed_need IS 'How many more this stage needs by the end of the period if the actual rates so far stay as they are: the KGI stage''s remaining_need divided up the funnel by each step''s actual_rate (rate_to_next where no actual rate is known), rounded up. NULL above a step that converted nothing. Beside remaining_need: an observed 商談化率 of 25 % against 50 % planned needs twice the appointments and leads.';
COMMENT ON COLUMN mart.funnel_plan.observed_need_per_week IS 'observed_need per remaining week (after the end: the whole observed_need).';
COMMENT ON COLUMN mart.funnel_plan.bottleneck_reason IS 'Why this stage is the bottleneck: rate_below_plan (the step into it converts below plan) or volume_at_top (every rate is on plan; too little enters the funnel). NULL on other stages.';

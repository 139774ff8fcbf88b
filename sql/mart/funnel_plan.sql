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
    PRIMARY KEY (site_id, week_start, kgi_id, stage)
);
COMMENT ON TABLE mart.funnel_plan IS 'Reverse funnel per KGI and week: how many of each stage the KGI needs (e.g. 100 orders ← 200 deals ← 400 appointments ← 4,000 leads), how many should exist by now, how many do, and which stage is the bottleneck.';
COMMENT ON COLUMN mart.funnel_plan.site_id IS 'Site key.';
COMMENT ON COLUMN mart.funnel_plan.week_start IS 'Monday of the ISO week evaluated.';
COMMENT ON COLUMN mart.funnel_plan.iso_week IS 'ISO week label.';
COMMENT ON COLUMN mart.funnel_plan.kgi_id IS 'KGI id from the targets file.';
COMMENT ON COLUMN mart.funnel_plan.stage IS 'Funnel stage metric: orders, deals, appointments or leads.';
COMMENT ON COLUMN mart.funnel_plan.stage_order IS '0 for the KGI stage, 1, 2, 3 going up the funnel.';
COMMENT ON COLUMN mart.funnel_plan.rate_to_next IS 'Conversion rate from this stage to the one below it (NULL for the KGI stage).';
COMMENT ON COLUMN mart.funnel_plan.required_total IS 'Required over the whole KGI period.';
COMMENT ON COLUMN mart.funnel_plan.required_to_date IS 'Required by the end of this week at linear pace.';
COMMENT ON COLUMN mart.funnel_plan.actual_to_date IS 'Actual running total from the period start to the end of this week.';
COMMENT ON COLUMN mart.funnel_plan.gap IS 'actual_to_date − required_to_date (negative = behind).';
COMMENT ON COLUMN mart.funnel_plan.attainment IS 'actual_to_date / required_to_date.';
COMMENT ON COLUMN mart.funnel_plan.is_bottleneck IS 'TRUE for the stage with the worst attainment.';
COMMENT ON COLUMN mart.funnel_plan.remaining_weeks IS 'Weeks left from the end of this week to the end of the period.';
COMMENT ON COLUMN mart.funnel_plan.needed_per_week IS 'Per week needed from now on to reach required_total.';

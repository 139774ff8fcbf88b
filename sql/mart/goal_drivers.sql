-- mart.goal_drivers: why each goal moved, per ISO week – its change split into drivers that add up exactly.
CREATE TABLE IF NOT EXISTS mart.goal_drivers (
    site_id      VARCHAR NOT NULL,
    week_start   DATE    NOT NULL,
    iso_week     VARCHAR NOT NULL,
    item_id      VARCHAR NOT NULL,
    comparison   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    driver       VARCHAR NOT NULL,
    value_from   DOUBLE  NOT NULL,
    value_to     DOUBLE  NOT NULL,
    contribution DOUBLE  NOT NULL,
    driver_from  DOUBLE  NOT NULL,
    driver_to    DOUBLE  NOT NULL,
    PRIMARY KEY (site_id, week_start, item_id, comparison, kind, driver)
);
COMMENT ON TABLE mart.goal_drivers IS 'Drivers of each KGI/KPI per week: the change of the goal''s metric (value_to − value_from) against the previous week, against its baseline and (KGIs with a funnel) against its plan, split into contributions that sum exactly to it: multiplicative factors (受注 = セッション × CV率 × 見込み顧客/CV × アポイント獲得率 × 商談化率 × 成約率; a rate = its numerator × 1/its denominator; LMDI, or Shapley when a factor is 0) and additive GA4 dimensions (channel, landing page, campaign). SUM(contribution) per site, week, item, comparison and kind = value_to − value_from.';
COMMENT ON COLUMN mart.goal_drivers.site_id IS 'Site key.';
COMMENT ON COLUMN mart.goal_drivers.week_start IS 'Monday of the ISO week explained (the "to" side).';
COMMENT ON COLUMN mart.goal_drivers.iso_week IS 'ISO week label, e.g. 2026-W47.';
COMMENT ON COLUMN mart.goal_drivers.item_id IS 'KGI or KPI id from the targets file (joins mart.kpi_progress.item_id).';
COMMENT ON COLUMN mart.goal_drivers.comparison IS 'What the week is compared with: previous_week (the ISO week before), baseline (the goal''s baseline window as a weekly average; for a running total, the baseline''s daily pace over the days from the start to the end of the week) or plan (a KGI with a funnel: the total its pace expects by now, from the volume its top stage needs by now and the funnel''s planned rates).';
COMMENT ON COLUMN mart.goal_drivers.kind IS 'How the change is split: factor (multiplicative chain of the sales path), channel (sessionDefaultChannelGroup), landing_page (landingPage) or campaign (sessionCampaignName).';
COMMENT ON COLUMN mart.goal_drivers.driver IS 'The driver: for factor the first metric (e.g. sessions; leads for a plan) or a step (cvr, leads_per_conversion, appointment_rate, meeting_rate, close_rate, revenue_per_order, conversions_per_converted_session), or for a rate goal its numerator and denominator metrics (meeting_rate: deals and appointments; cvr: converted_sessions and sessions); else the GA4 dimension value as GA4 reported it (untrusted text), or (rest) for the smallest values folded together.';
COMMENT ON COLUMN mart.goal_drivers.value_from IS 'The goal''s metric in the compared window, as this split sees it (a weekly value: sums × 7 / days with data; a rate: Σ numerator / Σ denominator; a running total: the baseline''s pace or the plan over the days so far); the same on every row of a split.';
COMMENT ON COLUMN mart.goal_drivers.value_to IS 'The goal''s metric in the week (a running total: from the start to the end of the week), as this split sees it; the same on every row of a split.';
COMMENT ON COLUMN mart.goal_drivers.contribution IS 'This driver''s part of value_to − value_from, in the goal''s unit (orders per week; orders since the start for a running total; a rate''s fraction for a rate goal); the parts of a split sum to the change to 1e-9.';
COMMENT ON COLUMN mart.goal_drivers.driver_from IS 'The driver''s own value in the compared window: a level (sessions per week; leads the plan needs by now), a ratio (close rate 0.5, the planned rate for a plan) or the segment''s weekly value.';
COMMENT ON COLUMN mart.goal_drivers.driver_to IS 'The driver''s own value in the week.';

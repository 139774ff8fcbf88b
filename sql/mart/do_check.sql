-- mart.do_check: the Do check of the PDCA cycle. Was each planned measure done, crossed with
-- whether its KPI is on track (written by kpi_pipeline/kpi/measures/do_check.py).
CREATE TABLE IF NOT EXISTS mart.do_check (
    site_id     VARCHAR NOT NULL,
    week_start  DATE    NOT NULL,
    iso_week    VARCHAR NOT NULL,
    measure_id  VARCHAR NOT NULL,
    measure_name VARCHAR NOT NULL,
    kpi_id      VARCHAR NOT NULL,
    planned     DOUBLE  NOT NULL,
    done        DOUBLE  NOT NULL,
    unit        VARCHAR NOT NULL,
    do_met      BOOLEAN NOT NULL,
    kpi_status  VARCHAR,
    quadrant    VARCHAR,
    PRIMARY KEY (site_id, week_start, measure_id, kpi_id)
);
COMMENT ON TABLE mart.do_check IS 'One row per measure with a plan (measures[].plan in the targets file) running in the ISO week, and KPI it names: how much was planned and done since the measure''s start, whether the Do was done, the KPI''s status that week and the quadrant the two make (the report''s Act follows it).';
COMMENT ON COLUMN mart.do_check.site_id IS 'Site key.';
COMMENT ON COLUMN mart.do_check.week_start IS 'Monday of the ISO week checked.';
COMMENT ON COLUMN mart.do_check.iso_week IS 'ISO week label of week_start, e.g. 2026-W47.';
COMMENT ON COLUMN mart.do_check.measure_id IS 'Measure id (measures[].id).';
COMMENT ON COLUMN mart.do_check.measure_name IS 'Measure name as written in the measures log (untrusted text).';
COMMENT ON COLUMN mart.do_check.kpi_id IS 'KPI the measure names (measures[].kpis); its status is mart.kpi_progress.status of the same site and week.';
COMMENT ON COLUMN mart.do_check.planned IS 'Amount planned from the measure''s start to the end of the week (or the measure''s end): plan.per_week × days so far / 7, or plan.total × days so far / days of the measure; in plan.unit.';
COMMENT ON COLUMN mart.do_check.done IS 'Amount done over the same days: the sum of the done log (measures[].done, inline or its CSV).';
COMMENT ON COLUMN mart.do_check.unit IS 'Unit of planned and done as written in plan.unit (e.g. 本, 回; untrusted text); empty when not given.';
COMMENT ON COLUMN mart.do_check.do_met IS 'TRUE when done >= planned: the Do was done as planned so far (catching up counts).';
COMMENT ON COLUMN mart.do_check.kpi_status IS 'Status of the KPI that week in mart.kpi_progress (on_track, at_risk, off_track, achieved, missed, revised, not_started, no_data); NULL when the KPI has no row that week.';
COMMENT ON COLUMN mart.do_check.quadrant IS 'do_met_kpi_met (keep going), do_met_kpi_missed (the Do does not move the KPI enough: change its amount or content), do_missed_kpi_met (the KPI moved without the Do: find out why), do_missed_kpi_missed (do it as planned first). The KPI is met when its status is on_track or achieved, missed when at_risk, off_track or missed; NULL for any other status (not judged yet).';

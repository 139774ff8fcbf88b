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
    wow_change_pct   DOUBLE,
    wow_change_pt    DOUBLE,
    yoy_change_pct   DOUBLE,
    yoy_change_pt    DOUBLE,
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
COMMENT ON COLUMN mart.aarrr_weekly.wow_change_pct IS 'Every unit except rate (counts, yen, seconds, pages, multiples): value / prev_week_value − 1, a fraction (0.05 = +5 %); NULL for rates, and when prev_week_value is NULL or 0.';
COMMENT ON COLUMN mart.aarrr_weekly.wow_change_pt IS 'Rates (unit rate): value − prev_week_value, a difference of fractions (0.01 = +1 point); NULL for every other unit.';
COMMENT ON COLUMN mart.aarrr_weekly.yoy_change_pct IS 'Every unit except rate (counts, yen, seconds, pages, multiples): value / last_year_value − 1, a fraction; NULL for rates, and when last_year_value is NULL or 0.';
COMMENT ON COLUMN mart.aarrr_weekly.yoy_change_pt IS 'Rates (unit rate): value − last_year_value, a difference of fractions (0.01 = +1 point); NULL for every other unit.';
COMMENT ON COLUMN mart.aarrr_weekly.provisional_days IS 'Days of this week still provisional.';

-- @model: rows for site getvariable('site_id') and the ISO weeks starting getvariable('date_from')
-- .. getvariable('date_to'). Reads mart.metrics_weekly (including earlier weeks for comparisons).
WITH weekly AS (
    SELECT w.*, isoyear(w.week_start) AS iso_year, weekofyear(w.week_start) AS iso_week_number
    FROM mart.metrics_weekly AS w
    WHERE w.site_id = getvariable('site_id')
)
SELECT
    cur.site_id,
    cur.week_start,
    cur.iso_week,
    c.phase,
    c.phase_order,
    cur.metric_id,
    cur.value,
    prev.value AS prev_week_value,
    last_year.value AS last_year_value,
    CASE WHEN c.unit <> 'rate' AND prev.value <> 0 THEN cur.value / prev.value - 1 END AS wow_change_pct,
    CASE WHEN c.unit = 'rate' THEN cur.value - prev.value END AS wow_change_pt,
    CASE WHEN c.unit <> 'rate' AND last_year.value <> 0 THEN cur.value / last_year.value - 1 END AS yoy_change_pct,
    CASE WHEN c.unit = 'rate' THEN cur.value - last_year.value END AS yoy_change_pt,
    cur.provisional_days
FROM weekly AS cur
JOIN mart.metric_catalog AS c
    ON c.metric_id = cur.metric_id AND (c.site_id IS NULL OR c.site_id = cur.site_id)
LEFT JOIN weekly AS prev
    ON prev.metric_id = cur.metric_id AND prev.week_start = cur.week_start - INTERVAL 7 DAY
LEFT JOIN weekly AS last_year
    ON last_year.metric_id = cur.metric_id
   AND last_year.iso_year = cur.iso_year - 1
   AND last_year.iso_week_number = cur.iso_week_number
WHERE cur.week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
ORDER BY cur.week_start, c.phase_order, cur.metric_id

-- Days of the checked ISO weeks, up to yesterday, with no row in raw.ga4_daily (missing_from
-- 'raw.ga4_daily': the source had an outage or a daily load failed) or loaded but not built into
-- mart.metrics_daily (missing_from 'mart.metrics_daily'). One row per site and missing day.
-- Variables: site_ids (VARCHAR[]), date_from, date_to (the weeks checked), today (reporting time zone).
WITH expected AS (
    SELECT s.site_id, t.d::DATE AS date
    FROM (SELECT unnest(getvariable('site_ids')) AS site_id) AS s
    CROSS JOIN generate_series(
        getvariable('date_from')::TIMESTAMP,
        least(getvariable('date_to'), getvariable('today') - 1)::TIMESTAMP,
        INTERVAL 1 DAY
    ) AS t(d)
),
raw_days AS (
    SELECT DISTINCT site_id, date FROM raw.ga4_daily
    WHERE list_contains(getvariable('site_ids'), site_id)
      AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
mart_days AS (
    SELECT DISTINCT site_id, date FROM mart.metrics_daily
    WHERE list_contains(getvariable('site_ids'), site_id)
      AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
      AND metric_id = 'sessions'
)
SELECT
    e.site_id,
    strftime(e.date, '%G-W%V') AS iso_week,
    strftime(e.date, '%Y-%m-%d') AS item,
    CASE WHEN r.date IS NULL THEN 'no row in raw.ga4_daily (run daily_ingest for this day)'
         ELSE 'loaded but no rows in mart.metrics_daily (re-run the week)' END AS problem,
    CASE WHEN r.date IS NULL THEN 'raw.ga4_daily' ELSE 'mart.metrics_daily' END AS missing_from,
    e.date
FROM expected AS e
LEFT JOIN raw_days AS r ON r.site_id = e.site_id AND r.date = e.date
LEFT JOIN mart_days AS m ON m.site_id = e.site_id AND m.date = e.date
WHERE r.date IS NULL OR m.date IS NULL
ORDER BY e.site_id, e.date

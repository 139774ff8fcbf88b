-- Days missing inside a goal's period: for each KGI and KPI of mart.kpi_progress in the checked
-- ISO weeks (not retired), the days from its start to the end of the week (its deadline, or
-- yesterday, if earlier) on which the raw table its metric is read from has no row for the site.
-- The table follows the metric's source in mart.metric_catalog: ga4 -> raw.ga4_daily (the web
-- data of the day), crm -> raw.crm_daily, csv -> raw.custom_daily rows of that metric; a ratio
-- of two metrics (close_rate = orders / deals, a custom ratio) needs both of its metrics' days.
-- One row per site, week, goal and raw table with missing days; the report's data notes read it
-- for the report's week.
-- Variables: site_ids (VARCHAR[]), date_from, date_to (the weeks checked), today (reporting time zone).
WITH goals AS (
    SELECT p.site_id, p.week_start, p.kind, p.item_id, p.name, p.metric_id, p.start_date,
           least(p.week_start + 6, p.deadline, getvariable('today') - 1) AS last_day
    FROM mart.kpi_progress AS p
    WHERE list_contains(getvariable('site_ids'), p.site_id)
      AND p.week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
      AND NOT coalesce(p.retired, FALSE)
),
catalog AS (  -- built-in metrics (site_id NULL) and each site's custom ones
    SELECT metric_id, site_id, source, numerator_metric, denominator_metric FROM mart.metric_catalog
),
parts AS (  -- the metrics a goal's metric is made of: itself, or a ratio's two metrics
    SELECT g.*, unnest(CASE WHEN c.numerator_metric IS NOT NULL
                            THEN [c.numerator_metric, c.denominator_metric]
                            ELSE [g.metric_id] END) AS part
    FROM goals AS g
    JOIN catalog AS c ON c.metric_id = g.metric_id AND (c.site_id IS NULL OR c.site_id = g.site_id)
),
needs AS (
    SELECT p.*, CASE c.source WHEN 'crm' THEN 'raw.crm_daily' WHEN 'csv' THEN 'raw.custom_daily'
                              ELSE 'raw.ga4_daily' END AS source_table
    FROM parts AS p
    JOIN catalog AS c ON c.metric_id = p.part AND (c.site_id IS NULL OR c.site_id = p.site_id)
),
expected AS (
    SELECT n.site_id, n.week_start, n.kind, n.item_id, n.name, n.metric_id, n.source_table,
           n.part, CASE WHEN n.source_table = 'raw.custom_daily' THEN n.part ELSE '' END AS series,
           t.d::DATE AS date
    FROM needs AS n
    CROSS JOIN generate_series(n.start_date::TIMESTAMP, n.last_day::TIMESTAMP, INTERVAL 1 DAY) AS t(d)
    WHERE n.start_date <= n.last_day
),
loaded AS (
    SELECT DISTINCT site_id, 'raw.ga4_daily' AS source_table, '' AS series, date
    FROM raw.ga4_daily WHERE list_contains(getvariable('site_ids'), site_id)
    UNION ALL
    SELECT DISTINCT site_id, 'raw.crm_daily', '', date
    FROM raw.crm_daily WHERE list_contains(getvariable('site_ids'), site_id)
    UNION ALL
    SELECT DISTINCT site_id, 'raw.custom_daily', metric_id, date
    FROM raw.custom_daily WHERE list_contains(getvariable('site_ids'), site_id)
),
missing AS (
    SELECT e.*
    FROM expected AS e
    ANTI JOIN loaded AS l
        ON l.site_id = e.site_id AND l.source_table = e.source_table AND l.series = e.series
       AND l.date = e.date
)
SELECT
    site_id,
    strftime(week_start, '%G-W%V') AS iso_week,
    item_id || ' (' || name || ')' AS item,
    count(DISTINCT date) || ' day(s) of the goal''s period missing from ' || source_table
        || CASE WHEN source_table = 'raw.custom_daily' THEN ' (' || string_agg(DISTINCT part, ', ') || ')' ELSE '' END
        || ': ' || strftime(min(date), '%Y-%m-%d') || '..' || strftime(max(date), '%Y-%m-%d') AS problem,
    week_start,
    kind,
    item_id,
    name,
    metric_id,
    source_table,
    string_agg(DISTINCT part, ', ' ORDER BY part) FILTER (WHERE source_table = 'raw.custom_daily') AS custom_metrics,
    count(DISTINCT date) AS missing_days,
    min(date) AS first_missing,
    max(date) AS last_missing,
    list(DISTINCT date ORDER BY date) AS missing_dates
FROM missing
GROUP BY site_id, week_start, kind, item_id, name, metric_id, source_table
ORDER BY site_id, week_start, source_table, kind, item_id

-- ISO weeks whose CRM stages widen down the funnel (leads >= appointments >= deals >= orders
-- is expected). A warning, not an error: a deal closed this week may come from last week's leads.
-- Variables: site_ids (VARCHAR[]), date_from, date_to.
WITH stages AS (
    SELECT
        site_id,
        week_start,
        iso_week,
        max(value) FILTER (WHERE metric_id = 'leads')::BIGINT AS leads,
        max(value) FILTER (WHERE metric_id = 'appointments')::BIGINT AS appointments,
        max(value) FILTER (WHERE metric_id = 'deals')::BIGINT AS deals,
        max(value) FILTER (WHERE metric_id = 'orders')::BIGINT AS orders
    FROM mart.metrics_weekly
    WHERE list_contains(getvariable('site_ids'), site_id)
      AND week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
      AND metric_id IN ('leads', 'appointments', 'deals', 'orders')
    GROUP BY site_id, week_start, iso_week
)
SELECT
    site_id,
    iso_week,
    iso_week AS item,
    concat_ws('; ',
        CASE WHEN appointments > leads THEN 'appointments ' || appointments || ' > leads ' || leads END,
        CASE WHEN deals > appointments THEN 'deals ' || deals || ' > appointments ' || appointments END,
        CASE WHEN orders > deals THEN 'orders ' || orders || ' > deals ' || deals END
    ) AS problem,
    leads,
    appointments,
    deals,
    orders
FROM stages
WHERE appointments > leads OR deals > appointments OR orders > deals
ORDER BY site_id, week_start

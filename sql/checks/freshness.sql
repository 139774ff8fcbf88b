-- Raw daily tables whose latest day is before yesterday (reporting time zone), per site.
-- raw.ga4_daily must have rows; raw.crm_daily only once it has any (a site may have no CRM source).
-- Only checked when the weeks checked (date_from..date_to) contain yesterday: a run of an older
-- week (a backfill, a re-run) says nothing about today's loads. A finding is labelled with the
-- checked week that contains yesterday.
-- Variables: site_ids (VARCHAR[]), date_from, date_to, today.
WITH sites AS (
    SELECT unnest(getvariable('site_ids')) AS site_id
    WHERE getvariable('today') - 1 BETWEEN getvariable('date_from') AND getvariable('date_to')
),
latest AS (
    SELECT s.site_id, 'raw.ga4_daily' AS table_name, TRUE AS required, max(g.date) AS latest_day
    FROM sites AS s LEFT JOIN raw.ga4_daily AS g ON g.site_id = s.site_id
    GROUP BY s.site_id
    UNION ALL
    SELECT s.site_id, 'raw.crm_daily', FALSE, max(c.date)
    FROM sites AS s LEFT JOIN raw.crm_daily AS c ON c.site_id = s.site_id
    GROUP BY s.site_id
)
SELECT
    site_id,
    strftime(getvariable('today') - 1, '%G-W%V') AS iso_week,
    table_name AS item,
    CASE WHEN latest_day IS NULL THEN 'no rows loaded yet'
         ELSE 'latest day ' || strftime(latest_day, '%Y-%m-%d') || ' is '
              || (getvariable('today') - 1 - latest_day) || ' day(s) before yesterday ('
              || strftime(getvariable('today') - 1, '%Y-%m-%d') || ')' END AS problem,
    latest_day,
    getvariable('today') - 1 AS expected_day
FROM latest
WHERE (latest_day IS NULL AND required) OR latest_day < getvariable('today') - 1
ORDER BY site_id, table_name

-- Raw daily tables whose latest day is before yesterday (reporting time zone). raw.ga4_daily must
-- have rows; raw.crm_daily only once it has any (a site may have no CRM source).
-- Variables: site_id, today.
WITH latest AS (
    SELECT 'raw.ga4_daily' AS table_name, TRUE AS required,
           (SELECT max(date) FROM raw.ga4_daily WHERE site_id = getvariable('site_id')) AS latest_day
    UNION ALL
    SELECT 'raw.crm_daily', FALSE,
           (SELECT max(date) FROM raw.crm_daily WHERE site_id = getvariable('site_id'))
)
SELECT
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
ORDER BY table_name

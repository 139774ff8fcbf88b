-- Per site and raw table: the newest load (meta.runs) that touched the checked days, and the
-- newest day the site's successful loads up to those days reach. One row per site and table, also
-- when nothing was loaded (then every column but site_id and asset is NULL).
-- Read by the per-site status checks (site_<id>_fresh) in the Dagster UI.
-- Variables: site_ids (VARCHAR[]), tables (VARCHAR[]), date_from, date_to (the checked days).
WITH wanted AS (
    SELECT site_id, asset
    FROM unnest(getvariable('site_ids')) AS s(site_id), unnest(getvariable('tables')) AS t(asset)
),
until_then AS (
    SELECT site_id, asset, coalesce(status, 'loaded') AS status, error, run_id, date_from,
           date_to, finished_at, load_id
    FROM meta.runs
    WHERE list_contains(getvariable('site_ids'), site_id)
      AND list_contains(getvariable('tables'), asset)
      AND date_from <= getvariable('date_to')
),
loads AS (
    SELECT *, row_number() OVER (PARTITION BY site_id, asset ORDER BY finished_at DESC, load_id)
                  AS newest_first
    FROM until_then WHERE date_to >= getvariable('date_from')
),
reach AS (
    SELECT site_id, asset, least(max(date_to), getvariable('date_to')) AS loaded_to
    FROM until_then WHERE status = 'loaded' GROUP BY site_id, asset
)
SELECT w.site_id, w.asset, l.status, l.error, l.run_id, l.date_from AS tried_from,
       l.date_to AS tried_to, l.finished_at, r.loaded_to
FROM wanted AS w
LEFT JOIN loads AS l ON l.site_id = w.site_id AND l.asset = w.asset AND l.newest_first = 1
LEFT JOIN reach AS r ON r.site_id = w.site_id AND r.asset = w.asset
ORDER BY w.site_id, w.asset

-- Days whose site totals break sessions >= engaged sessions >= 0 (an engaged session is a session).
-- Variables: site_ids (VARCHAR[]), date_from, date_to.
SELECT
    site_id,
    strftime(date, '%G-W%V') AS iso_week,
    strftime(date, '%Y-%m-%d') AS item,
    CASE WHEN engaged_sessions < 0 THEN 'engaged_sessions is negative'
         ELSE 'engaged_sessions ' || engaged_sessions || ' > sessions ' || sessions END AS problem,
    sessions,
    engaged_sessions
FROM raw.ga4_daily
WHERE list_contains(getvariable('site_ids'), site_id)
  AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
  AND NOT (sessions >= engaged_sessions AND engaged_sessions >= 0)
ORDER BY site_id, date

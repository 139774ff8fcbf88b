-- Weekly values of rate metrics (unit = 'rate' in mart.metric_catalog) outside [0, 1].
-- NULL (a zero denominator) is allowed. Variables: site_ids (VARCHAR[]), date_from, date_to.
SELECT
    w.site_id,
    w.iso_week,
    w.metric_id AS item,
    'rate ' || round(w.value, 4) || ' is outside [0, 1]' AS problem,
    w.value,
    w.numerator,
    w.denominator
FROM mart.metrics_weekly AS w
JOIN mart.metric_catalog AS c ON c.metric_id = w.metric_id AND (c.site_id IS NULL OR c.site_id = w.site_id)
WHERE c.unit = 'rate'
  -- ratios of two metrics (meeting_rate = deals / appointments) pass 1 when a funnel widens:
  -- the funnel_order check warns about that; here they are not an error
  AND c.numerator_metric IS NULL
  AND list_contains(getvariable('site_ids'), w.site_id)
  AND w.week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
  AND (w.value < 0 OR w.value > 1)
ORDER BY w.site_id, w.week_start, w.metric_id

-- Daily values of rate metrics (unit = 'rate' in mart.metric_catalog) outside [0, 1].
-- NULL (a zero denominator) is allowed. Variables: site_ids (VARCHAR[]), date_from, date_to.
SELECT
    d.site_id,
    strftime(d.date, '%G-W%V') AS iso_week,
    d.metric_id || ' on ' || strftime(d.date, '%Y-%m-%d') AS item,
    'rate ' || round(d.value, 4) || ' is outside [0, 1]' AS problem,
    d.value,
    d.numerator,
    d.denominator
FROM mart.metrics_daily AS d
JOIN mart.metric_catalog AS c ON c.metric_id = d.metric_id AND (c.site_id IS NULL OR c.site_id = d.site_id)
WHERE c.unit = 'rate'
  -- ratios of two metrics (meeting_rate = deals / appointments) pass 1 when a funnel widens:
  -- the funnel_order check warns about that; here they are not an error
  AND c.numerator_metric IS NULL
  AND list_contains(getvariable('site_ids'), d.site_id)
  AND d.date BETWEEN getvariable('date_from') AND getvariable('date_to')
  AND (d.value < 0 OR d.value > 1)
ORDER BY d.site_id, d.date, d.metric_id

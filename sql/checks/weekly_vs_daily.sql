-- Weekly rows that are not the sum of their daily rows: additive metrics (aggregation 'sum')
-- compare the value, ratio metrics their numerator and denominator. Relative tolerance 1e-9.
-- Variables: site_ids (VARCHAR[]), date_from (a Monday), date_to (a Sunday).
WITH daily AS (
    SELECT
        d.site_id,
        date_trunc('week', d.date)::DATE AS week_start,
        d.metric_id,
        sum(d.value) AS value,
        sum(d.numerator) AS numerator,
        sum(d.denominator) AS denominator
    FROM mart.metrics_daily AS d
    JOIN mart.metric_catalog AS c ON c.metric_id = d.metric_id AND (c.site_id IS NULL OR c.site_id = d.site_id)
    WHERE c.aggregation IN ('sum', 'ratio')
      AND list_contains(getvariable('site_ids'), d.site_id)
      AND d.date BETWEEN getvariable('date_from') AND getvariable('date_to')
    GROUP BY ALL
),
weekly AS (
    SELECT w.site_id, w.week_start, w.metric_id, w.value, w.numerator, w.denominator
    FROM mart.metrics_weekly AS w
    JOIN mart.metric_catalog AS c ON c.metric_id = w.metric_id AND (c.site_id IS NULL OR c.site_id = w.site_id)
    WHERE c.aggregation IN ('sum', 'ratio')
      AND list_contains(getvariable('site_ids'), w.site_id)
      AND w.week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
),
compared AS (
    SELECT
        coalesce(w.site_id, d.site_id) AS site_id,
        coalesce(w.week_start, d.week_start) AS week_start,
        coalesce(w.metric_id, d.metric_id) AS metric_id,
        c.aggregation,
        w.metric_id IS NULL AS weekly_missing,
        d.metric_id IS NULL AS daily_missing,
        CASE WHEN c.aggregation = 'sum' THEN w.value ELSE w.numerator END AS weekly_total,
        CASE WHEN c.aggregation = 'sum' THEN d.value ELSE d.numerator END AS daily_sum,
        w.denominator AS weekly_denominator,
        d.denominator AS daily_denominator_sum
    FROM weekly AS w
    FULL OUTER JOIN daily AS d
        ON d.site_id = w.site_id AND d.week_start = w.week_start AND d.metric_id = w.metric_id
    JOIN mart.metric_catalog AS c ON c.metric_id = coalesce(w.metric_id, d.metric_id)
        AND (c.site_id IS NULL OR c.site_id = coalesce(w.site_id, d.site_id))
),
flagged AS (
    SELECT
        *,
        -- NULL on one side only counts as a difference
        NOT coalesce(weekly_total IS NOT DISTINCT FROM daily_sum
                     OR abs(weekly_total - daily_sum) <= 1e-9 * greatest(1, abs(daily_sum)),
                     FALSE) AS total_differs,
        aggregation = 'ratio' AND NOT coalesce(
            weekly_denominator IS NOT DISTINCT FROM daily_denominator_sum
            OR abs(weekly_denominator - daily_denominator_sum)
               <= 1e-9 * greatest(1, abs(daily_denominator_sum)),
            FALSE) AS denominator_differs
    FROM compared
)
SELECT
    site_id,
    strftime(week_start, '%G-W%V') AS iso_week,
    metric_id AS item,
    CASE
        WHEN weekly_missing THEN 'no weekly row although daily rows exist'
        WHEN daily_missing THEN 'weekly row without daily rows'
        WHEN total_differs THEN
            CASE WHEN aggregation = 'sum' THEN 'weekly value ' ELSE 'weekly numerator ' END
            || round(weekly_total, 6) || ' != sum of daily rows ' || round(daily_sum, 6)
        ELSE 'weekly denominator ' || round(weekly_denominator, 6)
            || ' != sum of daily denominators ' || round(daily_denominator_sum, 6)
    END AS problem,
    weekly_total,
    daily_sum,
    weekly_denominator,
    daily_denominator_sum
FROM flagged
WHERE weekly_missing OR daily_missing OR total_differs OR denominator_differs
ORDER BY site_id, week_start, metric_id

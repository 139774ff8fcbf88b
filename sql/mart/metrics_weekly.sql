-- mart.metrics_weekly: every catalogue metric per site and ISO week (Monday start).
CREATE TABLE IF NOT EXISTS mart.metrics_weekly (
    site_id          VARCHAR NOT NULL,
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    metric_id        VARCHAR NOT NULL,
    value            DOUBLE,
    numerator        DOUBLE,
    denominator      DOUBLE,
    days_present     INTEGER NOT NULL,
    provisional_days INTEGER NOT NULL,
    PRIMARY KEY (site_id, week_start, metric_id)
);
COMMENT ON TABLE mart.metrics_weekly IS 'Every metric per site and ISO week. Additive metrics are summed from days, ratios recomputed from summed numerators and denominators, users read from the source at week grain; custom CSV levels take the week''s last value (last) or the mean of its days (mean).';
COMMENT ON COLUMN mart.metrics_weekly.site_id IS 'Site key.';
COMMENT ON COLUMN mart.metrics_weekly.week_start IS 'Monday of the ISO week.';
COMMENT ON COLUMN mart.metrics_weekly.iso_week IS 'ISO week label, e.g. 2027-W18.';
COMMENT ON COLUMN mart.metrics_weekly.metric_id IS 'Metric id (mart.metric_catalog).';
COMMENT ON COLUMN mart.metrics_weekly.value IS 'Metric value for the week.';
COMMENT ON COLUMN mart.metrics_weekly.numerator IS 'Summed numerator (ratio metrics), or the value (others; for last and mean the week''s level).';
COMMENT ON COLUMN mart.metrics_weekly.denominator IS 'Summed denominator (ratio metrics); NULL otherwise.';
COMMENT ON COLUMN mart.metrics_weekly.days_present IS 'Days of the week with source data (7 for a complete week).';
COMMENT ON COLUMN mart.metrics_weekly.provisional_days IS 'Days of the week still provisional.';

-- @model: rows for site getvariable('site_id') and the ISO weeks starting getvariable('date_from')
-- (a Monday) .. getvariable('date_to') (a Sunday). Reads mart.metrics_daily and raw.ga4_weekly_users.
WITH catalog AS (
    -- built-in metrics and this site's custom ones (metrics: in its targets file)
    SELECT * FROM mart.metric_catalog
    WHERE site_id IS NULL OR site_id = getvariable('site_id')
),
daily AS (
    SELECT d.*, c.aggregation, date_trunc('week', d.date)::DATE AS week_start
    FROM mart.metrics_daily AS d
    JOIN catalog AS c USING (metric_id)
    WHERE d.site_id = getvariable('site_id')
      AND d.date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
coverage AS (
    -- days with data and days still provisional, per week and source (web or CRM)
    SELECT
        week_start,
        c.source,
        count(DISTINCT date) AS days_present,
        count(DISTINCT date) FILTER (WHERE is_provisional) AS provisional_days
    FROM daily JOIN catalog AS c USING (metric_id)
    GROUP BY ALL
),
additive_and_ratios AS (
    SELECT
        site_id,
        week_start,
        metric_id,
        CASE
            WHEN aggregation = 'sum' THEN sum(numerator)
            -- levels from a custom CSV: the week's last value, or the mean of its days
            WHEN aggregation = 'last' THEN arg_max(numerator, date) FILTER (WHERE numerator IS NOT NULL)
            WHEN aggregation = 'mean' THEN avg(numerator)
            WHEN sum(denominator) = 0 THEN NULL
            ELSE sum(numerator) / sum(denominator)
        END AS value,
        CASE
            WHEN aggregation = 'last' THEN arg_max(numerator, date) FILTER (WHERE numerator IS NOT NULL)
            WHEN aggregation = 'mean' THEN avg(numerator)
            ELSE sum(numerator)
        END AS numerator,
        CASE WHEN aggregation = 'ratio' THEN sum(denominator) END AS denominator
    FROM daily
    WHERE aggregation IN ('sum', 'ratio', 'last', 'mean')
    GROUP BY site_id, week_start, metric_id, aggregation
),
users AS (
    -- users are not additive: read at week grain from the source, never summed from days
    SELECT u.site_id, u.week_start, m.metric_id, m.numerator, m.denominator
    FROM raw.ga4_weekly_users AS u, LATERAL (VALUES
        ('total_users',     u.total_users::DOUBLE,     NULL::DOUBLE),
        ('new_users',       u.new_users::DOUBLE,       NULL),
        ('returning_users', u.returning_users::DOUBLE, NULL),
        ('repeat_rate',     u.returning_users::DOUBLE, u.total_users::DOUBLE)
    ) AS m(metric_id, numerator, denominator)
    WHERE u.site_id = getvariable('site_id')
      AND u.week_start BETWEEN getvariable('date_from') AND getvariable('date_to')
),
combined AS (
    SELECT * FROM additive_and_ratios
    UNION ALL
    SELECT
        site_id, week_start, metric_id,
        CASE WHEN denominator IS NULL THEN numerator
             WHEN denominator = 0 THEN NULL
             ELSE numerator / denominator END AS value,
        numerator, denominator
    FROM users
)
SELECT
    combined.site_id,
    combined.week_start,
    strftime(combined.week_start, '%G-W%V') AS iso_week,
    combined.metric_id,
    combined.value,
    combined.numerator,
    combined.denominator,
    coalesce(cov.days_present, 0)::INTEGER AS days_present,
    coalesce(cov.provisional_days, 0)::INTEGER AS provisional_days
FROM combined
JOIN catalog AS c USING (metric_id)
LEFT JOIN coverage AS cov ON cov.week_start = combined.week_start AND cov.source = c.source
ORDER BY combined.week_start, combined.metric_id

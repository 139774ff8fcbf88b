-- mart.metrics_daily: every catalogue metric per site and day, in long form.
-- Ratios carry their numerator and denominator so any grain can recompute them.
CREATE TABLE IF NOT EXISTS mart.metrics_daily (
    site_id        VARCHAR NOT NULL,
    date           DATE    NOT NULL,
    metric_id      VARCHAR NOT NULL,
    value          DOUBLE,
    numerator      DOUBLE,
    denominator    DOUBLE,
    is_provisional BOOLEAN NOT NULL,
    PRIMARY KEY (site_id, date, metric_id)
);
COMMENT ON TABLE mart.metrics_daily IS 'Every metric of mart.metric_catalog per site and day. Ratios: value = numerator / denominator; never average value across days, sum numerator and denominator instead.';
COMMENT ON COLUMN mart.metrics_daily.site_id IS 'Site key.';
COMMENT ON COLUMN mart.metrics_daily.date IS 'Day (reporting time zone).';
COMMENT ON COLUMN mart.metrics_daily.metric_id IS 'Metric id (mart.metric_catalog).';
COMMENT ON COLUMN mart.metrics_daily.value IS 'Metric value for the day (NULL when a ratio has a zero denominator).';
COMMENT ON COLUMN mart.metrics_daily.numerator IS 'Numerator of a ratio metric, or the value itself for additive metrics.';
COMMENT ON COLUMN mart.metrics_daily.denominator IS 'Denominator of a ratio metric; NULL for additive and user metrics.';
COMMENT ON COLUMN mart.metrics_daily.is_provisional IS 'TRUE for the last 3 days before the load: GA4 may still change them.';

-- @model: rows for site getvariable('site_id') and days getvariable('date_from') .. getvariable('date_to').
-- Also needs: key_paths (VARCHAR[]), share_events (VARCHAR[]), provisional_from (DATE).
-- Reads mart.metric_catalog for this site's custom metrics and the ratios of two metrics.
WITH ga4 AS (
    SELECT *
    FROM raw.ga4_daily
    WHERE site_id = getvariable('site_id')
      AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
breakdowns AS (
    SELECT
        date,
        coalesce(sum(screen_page_views) FILTER (
            WHERE dimension = 'pagePath' AND list_contains(getvariable('key_paths'), dimension_value)
        ), 0) AS key_page_views,
        coalesce(sum(event_count) FILTER (
            WHERE dimension = 'eventName' AND list_contains(getvariable('share_events'), dimension_value)
        ), 0) AS share_events,
        coalesce(sum(sessions) FILTER (
            WHERE dimension = 'sessionCampaignName'
              AND dimension_value NOT IN ('(not set)', '(direct)', '(organic)', '(referral)', '(none)', '')
        ), 0) AS campaign_sessions,
        coalesce(sum(sessions) FILTER (
            WHERE dimension = 'sessionDefaultChannelGroup'
              AND dimension_value IN ('Organic Social', 'Paid Social')
        ), 0) AS social_sessions
    FROM raw.ga4_by_dimension
    WHERE site_id = getvariable('site_id')
      AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
    GROUP BY date
),
web AS (
    SELECT ga4.*, b.key_page_views, b.share_events, b.campaign_sessions, b.social_sessions
    FROM ga4 LEFT JOIN breakdowns AS b USING (date)
),
crm AS (
    SELECT *
    FROM raw.crm_daily
    WHERE site_id = getvariable('site_id')
      AND date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
long AS (
    SELECT web.site_id, web.date, m.metric_id, m.numerator, m.denominator
    FROM web, LATERAL (VALUES
        ('sessions',               web.sessions::DOUBLE,                                   NULL::DOUBLE),
        ('page_views',             web.screen_page_views::DOUBLE,                          NULL),
        ('bounce_rate',            (web.sessions - web.engaged_sessions)::DOUBLE,          web.sessions::DOUBLE),
        ('new_users',              web.new_users::DOUBLE,                                  NULL),
        ('avg_engagement_time',    web.user_engagement_duration,                           web.sessions::DOUBLE),
        ('pages_per_session',      web.screen_page_views::DOUBLE,                          web.sessions::DOUBLE),
        ('exit_rate',              web.sessions::DOUBLE,                                   web.screen_page_views::DOUBLE),
        ('event_count',            web.event_count::DOUBLE,                                NULL),
        ('total_users',            web.total_users::DOUBLE,                                NULL),
        ('returning_users',        web.returning_users::DOUBLE,                            NULL),
        ('repeat_rate',            web.returning_users::DOUBLE,                            web.total_users::DOUBLE),
        ('share_events',           coalesce(web.share_events, 0)::DOUBLE,                  NULL),
        ('campaign_session_share', coalesce(web.campaign_sessions, 0)::DOUBLE,             web.sessions::DOUBLE),
        ('social_sessions',        coalesce(web.social_sessions, 0)::DOUBLE,               NULL),
        ('key_page_views',         coalesce(web.key_page_views, 0)::DOUBLE,                NULL),
        ('conversions',            web.key_events,                                         NULL),
        ('converted_sessions',     web.converted_sessions,                                 NULL),
        ('cvr',                    web.converted_sessions,                                 web.sessions::DOUBLE)
    ) AS m(metric_id, numerator, denominator)
    UNION ALL
    SELECT crm.site_id, crm.date, m.metric_id, m.numerator, NULL::DOUBLE
    FROM crm, LATERAL (VALUES
        ('leads',        crm.leads::DOUBLE),
        ('appointments', crm.appointments::DOUBLE),
        ('deals',        crm.deals::DOUBLE),
        ('orders',       crm.orders::DOUBLE),
        ('revenue',      crm.revenue)
    ) AS m(metric_id, numerator)
),
ads AS (
    -- Google Ads / Search Console through GA4; NULL columns (product not linked) give no rows
    SELECT a.site_id, a.date, m.metric_id, m.numerator, NULL::DOUBLE AS denominator
    FROM raw.ga4_ads_daily AS a, LATERAL (VALUES
        ('ad_clicks',           a.ad_clicks::DOUBLE),
        ('ad_impressions',      a.ad_impressions::DOUBLE),
        ('ad_cost',             a.ad_cost),
        ('organic_clicks',      a.organic_clicks::DOUBLE),
        ('organic_impressions', a.organic_impressions::DOUBLE)
    ) AS m(metric_id, numerator)
    WHERE a.site_id = getvariable('site_id')
      AND a.date BETWEEN getvariable('date_from') AND getvariable('date_to')
      AND m.numerator IS NOT NULL
),
catalog AS (
    -- built-in metrics and this site's custom ones (metrics: in its targets file)
    SELECT * FROM mart.metric_catalog
    WHERE site_id IS NULL OR site_id = getvariable('site_id')
),
custom AS (
    -- custom CSV metrics still declared by the site's targets file
    SELECT r.site_id, r.date, r.metric_id, r.value AS numerator, NULL::DOUBLE AS denominator
    FROM raw.custom_daily AS r
    JOIN catalog AS c ON c.metric_id = r.metric_id AND c.site_id = r.site_id
    WHERE r.site_id = getvariable('site_id')
      AND r.date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
base AS (
    SELECT * FROM long
    UNION ALL
    SELECT * FROM ads
    UNION ALL
    SELECT * FROM custom
),
ratios AS (
    -- ratios of two additive metrics (close_rate = orders / deals, custom ratio metrics):
    -- the day's numerator and denominator, so every grain recomputes Σ / Σ
    SELECT n.site_id, n.date, c.metric_id, n.numerator, d.numerator AS denominator
    FROM catalog AS c
    JOIN base AS n ON n.metric_id = c.numerator_metric
    JOIN base AS d ON d.metric_id = c.denominator_metric AND d.date = n.date
    WHERE c.aggregation = 'ratio' AND d.numerator IS NOT NULL
),
all_metrics AS (
    SELECT * FROM base
    UNION ALL
    SELECT * FROM ratios
)
SELECT
    site_id,
    date,
    metric_id,
    CASE
        WHEN denominator IS NULL THEN numerator
        WHEN denominator = 0 THEN NULL
        ELSE numerator / denominator
    END AS value,
    numerator,
    denominator,
    date >= getvariable('provisional_from') AS is_provisional
FROM all_metrics
ORDER BY date, metric_id

-- raw.ga4_daily: site totals per day, exactly as the source (GA4 Data API or demo) reported them.
-- One row per (site_id, date). Replaced per day partition in one transaction.
CREATE TABLE IF NOT EXISTS raw.ga4_daily (
    site_id                  VARCHAR   NOT NULL,
    date                     DATE      NOT NULL,
    sessions                 BIGINT    NOT NULL,
    engaged_sessions         BIGINT    NOT NULL,
    screen_page_views        BIGINT    NOT NULL,
    user_engagement_duration DOUBLE    NOT NULL,
    event_count              BIGINT    NOT NULL,
    key_events               DOUBLE    NOT NULL,
    converted_sessions       DOUBLE    NOT NULL,
    total_users              BIGINT    NOT NULL,
    new_users                BIGINT    NOT NULL,
    returning_users          BIGINT    NOT NULL,
    loaded_at                TIMESTAMP NOT NULL
    -- key (site_id, date): no PRIMARY KEY index, it made look-back re-loads ~10x slower;
    -- uniqueness is the unique_keys asset check
);
COMMENT ON TABLE raw.ga4_daily IS 'Site totals per day as reported by the source (GA4 Data API or the demo generator). One row per site and day; the last look-back days are re-read on every run.';
COMMENT ON COLUMN raw.ga4_daily.site_id IS 'Site key: the GA4 property id (or "demo").';
COMMENT ON COLUMN raw.ga4_daily.date IS 'Day in the property''s reporting time zone.';
COMMENT ON COLUMN raw.ga4_daily.sessions IS 'GA4 sessions.';
COMMENT ON COLUMN raw.ga4_daily.engaged_sessions IS 'GA4 engagedSessions (sessions longer than 10 s, with a key event or 2+ page views).';
COMMENT ON COLUMN raw.ga4_daily.screen_page_views IS 'GA4 screenPageViews.';
COMMENT ON COLUMN raw.ga4_daily.user_engagement_duration IS 'GA4 userEngagementDuration, seconds.';
COMMENT ON COLUMN raw.ga4_daily.event_count IS 'GA4 eventCount (all events).';
COMMENT ON COLUMN raw.ga4_daily.key_events IS 'GA4 keyEvents (conversions).';
COMMENT ON COLUMN raw.ga4_daily.converted_sessions IS 'Σ sessionKeyEventRate × sessions over the source rows: sessions with at least one key event.';
COMMENT ON COLUMN raw.ga4_daily.total_users IS 'GA4 totalUsers for this day (users are not additive across days).';
COMMENT ON COLUMN raw.ga4_daily.new_users IS 'GA4 newUsers for this day.';
COMMENT ON COLUMN raw.ga4_daily.returning_users IS 'GA4 totalUsers where newVsReturning = returning, for this day.';
COMMENT ON COLUMN raw.ga4_daily.loaded_at IS 'When this row was loaded (UTC).';

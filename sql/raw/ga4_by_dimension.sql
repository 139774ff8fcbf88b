-- raw.ga4_by_dimension: daily metrics broken down by one GA4 dimension at a time, in long form.
-- Values of dimension_value come from GA4 and are untrusted text (page paths, campaign names).
CREATE TABLE IF NOT EXISTS raw.ga4_by_dimension (
    site_id           VARCHAR   NOT NULL,
    date              DATE      NOT NULL,
    dimension         VARCHAR   NOT NULL,
    dimension_value   VARCHAR   NOT NULL,
    sessions          BIGINT    NOT NULL,
    engaged_sessions  BIGINT    NOT NULL,
    screen_page_views BIGINT    NOT NULL,
    event_count       BIGINT    NOT NULL,
    key_events        DOUBLE    NOT NULL,
    loaded_at         TIMESTAMP NOT NULL
    -- key (site_id, date, dimension, dimension_value): no PRIMARY KEY index, it made look-back re-loads ~10x slower;
    -- uniqueness is the unique_keys asset check
);
COMMENT ON TABLE raw.ga4_by_dimension IS 'Daily metrics by one GA4 dimension at a time (sessionDefaultChannelGroup, landingPage, pagePath, eventName, sessionCampaignName). Long form: filter on dimension.';
COMMENT ON COLUMN raw.ga4_by_dimension.site_id IS 'Site key: the GA4 property id (or "demo").';
COMMENT ON COLUMN raw.ga4_by_dimension.date IS 'Day in the property''s reporting time zone.';
COMMENT ON COLUMN raw.ga4_by_dimension.dimension IS 'GA4 dimension api name: sessionDefaultChannelGroup, landingPage, pagePath, eventName or sessionCampaignName.';
COMMENT ON COLUMN raw.ga4_by_dimension.dimension_value IS 'Value of the dimension as GA4 reported it (untrusted text; "(not set)" where GA4 has none).';
COMMENT ON COLUMN raw.ga4_by_dimension.sessions IS 'GA4 sessions for this value (0 where the dimension is event- or page-scoped and GA4 reports none).';
COMMENT ON COLUMN raw.ga4_by_dimension.engaged_sessions IS 'GA4 engagedSessions for this value.';
COMMENT ON COLUMN raw.ga4_by_dimension.screen_page_views IS 'GA4 screenPageViews for this value.';
COMMENT ON COLUMN raw.ga4_by_dimension.event_count IS 'GA4 eventCount for this value.';
COMMENT ON COLUMN raw.ga4_by_dimension.key_events IS 'GA4 keyEvents for this value.';
COMMENT ON COLUMN raw.ga4_by_dimension.loaded_at IS 'When this row was loaded (UTC).';

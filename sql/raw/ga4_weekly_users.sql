-- raw.ga4_weekly_users: user counts read from the source at ISO-week grain (users are not additive).
CREATE TABLE IF NOT EXISTS raw.ga4_weekly_users (
    site_id         VARCHAR   NOT NULL,
    week_start      DATE      NOT NULL,
    total_users     BIGINT    NOT NULL,
    new_users       BIGINT    NOT NULL,
    returning_users BIGINT    NOT NULL,
    loaded_at       TIMESTAMP NOT NULL
    -- key (site_id, week_start): no PRIMARY KEY index, it made look-back re-loads ~10x slower;
    -- uniqueness is the unique_keys asset check
);
COMMENT ON TABLE raw.ga4_weekly_users IS 'User counts for whole ISO weeks (Monday to Sunday) read from the source at that grain: never the sum of daily users.';
COMMENT ON COLUMN raw.ga4_weekly_users.site_id IS 'Site key: the GA4 property id (or "demo").';
COMMENT ON COLUMN raw.ga4_weekly_users.week_start IS 'Monday of the ISO week.';
COMMENT ON COLUMN raw.ga4_weekly_users.total_users IS 'GA4 totalUsers over the week.';
COMMENT ON COLUMN raw.ga4_weekly_users.new_users IS 'GA4 newUsers over the week.';
COMMENT ON COLUMN raw.ga4_weekly_users.returning_users IS 'GA4 totalUsers where newVsReturning = returning, over the week.';
COMMENT ON COLUMN raw.ga4_weekly_users.loaded_at IS 'When this row was loaded (UTC).';

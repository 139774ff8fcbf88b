-- meta.changes_applied: how far each weekly table has caught up with meta.changed_days, per site.
CREATE TABLE IF NOT EXISTS meta.changes_applied (
    asset           VARCHAR   NOT NULL,
    site_id         VARCHAR   NOT NULL,
    applied_through TIMESTAMP NOT NULL,
    applied_at      TIMESTAMP NOT NULL
    -- key (asset, site_id): replaced, never updated in place
);
COMMENT ON TABLE meta.changes_applied IS 'Bookkeeping of the weekly steps: the newest meta.changed_days change each mart has rebuilt for a site. A run widens a mart''s window back to the earliest day changed after applied_through (and on to the newest week built), then moves applied_through on.';
COMMENT ON COLUMN meta.changes_applied.asset IS 'Mart table rebuilt (mart.metrics_daily, mart.kpi_progress, ...).';
COMMENT ON COLUMN meta.changes_applied.site_id IS 'Site key.';
COMMENT ON COLUMN meta.changes_applied.applied_through IS 'changed_at of the newest meta.changed_days row this mart has rebuilt for the site.';
COMMENT ON COLUMN meta.changes_applied.applied_at IS 'When the mart rebuilt those days (UTC).';

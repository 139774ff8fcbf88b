-- meta.changed_days: every stored day a load changed (a CRM export or custom CSV that revised or
-- filled in days), one row per day and field, linked to its load in meta.runs.
CREATE TABLE IF NOT EXISTS meta.changed_days (
    load_id    VARCHAR   NOT NULL,
    run_id     VARCHAR,
    site_id    VARCHAR   NOT NULL,
    asset      VARCHAR   NOT NULL,
    date       DATE      NOT NULL,
    field      VARCHAR   NOT NULL,
    change     VARCHAR   NOT NULL,
    old_value  DOUBLE,
    new_value  DOUBLE    NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE meta.changed_days IS 'Days a load changed in a raw table after they had been stored (a corrected CRM export or custom CSV): one row per site, day and field that differs, reloaded in the same transaction as the rows. Days a run loads for the first time are not changes. The weekly marts are rebuilt from the earliest changed day; the report''s data notes name the changes to earlier weeks.';
COMMENT ON COLUMN meta.changed_days.load_id IS 'The load that found and wrote the change (meta.runs.load_id).';
COMMENT ON COLUMN meta.changed_days.run_id IS 'Dagster run id of that load (NULL outside Dagster).';
COMMENT ON COLUMN meta.changed_days.site_id IS 'Site key.';
COMMENT ON COLUMN meta.changed_days.asset IS 'Raw table changed: raw.crm_daily or raw.custom_daily.';
COMMENT ON COLUMN meta.changed_days.date IS 'Day whose stored value changed.';
COMMENT ON COLUMN meta.changed_days.field IS 'What changed: a CRM column (leads, appointments, deals, orders, revenue) or a custom metric id (raw.custom_daily).';
COMMENT ON COLUMN meta.changed_days.change IS 'revised (the stored value differs from the export) or added (a day missing between stored days, now in the export).';
COMMENT ON COLUMN meta.changed_days.old_value IS 'Value stored before the load; NULL for an added day.';
COMMENT ON COLUMN meta.changed_days.new_value IS 'Value the load wrote (the export''s).';
COMMENT ON COLUMN meta.changed_days.changed_at IS 'When the load wrote the change (UTC).';

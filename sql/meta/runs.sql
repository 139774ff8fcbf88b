-- meta.runs: one row per source load: what loaded when, from where, with which flags.
CREATE TABLE IF NOT EXISTS meta.runs (
    load_id                 VARCHAR   NOT NULL PRIMARY KEY,
    run_id                  VARCHAR,
    site_id                 VARCHAR   NOT NULL,
    source                  VARCHAR   NOT NULL,
    asset                   VARCHAR   NOT NULL,
    date_from               DATE      NOT NULL,
    date_to                 DATE      NOT NULL,
    rows_loaded             BIGINT    NOT NULL,
    requests                INTEGER   NOT NULL DEFAULT 0,
    quota_tokens_used       BIGINT,
    sampled                 BOOLEAN   NOT NULL DEFAULT FALSE,
    thresholded             BOOLEAN   NOT NULL DEFAULT FALSE,
    data_loss_from_other_row BOOLEAN  NOT NULL DEFAULT FALSE,
    property_time_zone      VARCHAR,
    currency                VARCHAR,
    warnings                VARCHAR[],
    started_at              TIMESTAMP NOT NULL,
    finished_at             TIMESTAMP NOT NULL
);
-- added after the first release: failed loads are recorded too (per-site status checks)
ALTER TABLE meta.runs ADD COLUMN IF NOT EXISTS status VARCHAR DEFAULT 'loaded';
ALTER TABLE meta.runs ADD COLUMN IF NOT EXISTS error VARCHAR;
COMMENT ON TABLE meta.runs IS 'One row per source load: what was loaded, when, from which source, with the data-quality flags the source reported.';
COMMENT ON COLUMN meta.runs.load_id IS 'Unique id of this load.';
COMMENT ON COLUMN meta.runs.run_id IS 'Dagster run id that made the load (NULL outside Dagster).';
COMMENT ON COLUMN meta.runs.site_id IS 'Site key.';
COMMENT ON COLUMN meta.runs.source IS 'demo, ga4 or crm_csv.';
COMMENT ON COLUMN meta.runs.asset IS 'Raw table written.';
COMMENT ON COLUMN meta.runs.date_from IS 'First day loaded.';
COMMENT ON COLUMN meta.runs.date_to IS 'Last day loaded.';
COMMENT ON COLUMN meta.runs.rows_loaded IS 'Rows written.';
COMMENT ON COLUMN meta.runs.requests IS 'API requests made (0 for the demo source).';
COMMENT ON COLUMN meta.runs.quota_tokens_used IS 'GA4 property quota tokens consumed by this load.';
COMMENT ON COLUMN meta.runs.sampled IS 'GA4 reported sampled data for some request.';
COMMENT ON COLUMN meta.runs.thresholded IS 'GA4 reported subjectToThresholding: small counts may be withheld.';
COMMENT ON COLUMN meta.runs.data_loss_from_other_row IS 'GA4 folded high-cardinality rows into "(other)".';
COMMENT ON COLUMN meta.runs.property_time_zone IS 'Time zone of the GA4 property (the reporting time zone).';
COMMENT ON COLUMN meta.runs.currency IS 'Currency of the GA4 property.';
COMMENT ON COLUMN meta.runs.warnings IS 'Warnings the source raised for this load (time-zone mismatch, sampled share, ...).';
COMMENT ON COLUMN meta.runs.started_at IS 'Load start (UTC).';
COMMENT ON COLUMN meta.runs.finished_at IS 'Load end (UTC).';
COMMENT ON COLUMN meta.runs.status IS 'loaded, or failed: the load wrote nothing and the site kept its previous rows.';
COMMENT ON COLUMN meta.runs.error IS 'Why a failed load failed (the source''s error message); NULL when loaded.';

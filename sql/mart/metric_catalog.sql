-- mart.metric_catalog: every metric the warehouse knows, written from kpi_pipeline/catalog.py.
CREATE TABLE IF NOT EXISTS mart.metric_catalog (
    metric_id   VARCHAR NOT NULL PRIMARY KEY,
    name_ja     VARCHAR NOT NULL,
    name_en     VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    phase       VARCHAR NOT NULL,
    phase_order INTEGER NOT NULL,
    direction   VARCHAR NOT NULL,
    aggregation VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    definition  VARCHAR NOT NULL
);
COMMENT ON TABLE mart.metric_catalog IS 'Every metric: names, unit, AARRR phase, direction and how it aggregates. Join marts on metric_id.';
COMMENT ON COLUMN mart.metric_catalog.metric_id IS 'Metric id used in every mart and in kpi_targets.yaml.';
COMMENT ON COLUMN mart.metric_catalog.name_ja IS 'Japanese name (as in the report).';
COMMENT ON COLUMN mart.metric_catalog.name_en IS 'English name.';
COMMENT ON COLUMN mart.metric_catalog.unit IS 'count, rate (fraction 0..1), seconds, pages or yen.';
COMMENT ON COLUMN mart.metric_catalog.phase IS 'AARRR phase: acquisition, activation, retention, referral, revenue.';
COMMENT ON COLUMN mart.metric_catalog.phase_order IS '1..5 in AARRR order, for sorting.';
COMMENT ON COLUMN mart.metric_catalog.direction IS 'higher or lower: which way is better.';
COMMENT ON COLUMN mart.metric_catalog.aggregation IS 'sum (additive), ratio (recomputed from summed numerator/denominator) or users (read at the grain).';
COMMENT ON COLUMN mart.metric_catalog.source IS 'ga4 or crm.';
COMMENT ON COLUMN mart.metric_catalog.definition IS 'How the metric is computed.';

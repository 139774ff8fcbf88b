-- mart.metric_catalog: every metric the warehouse knows, written from kpi_pipeline/catalog.py
-- (built-in, site_id NULL) and from each site's targets file (custom metrics, site_id set).
-- Key: (site_id, metric_id); join marts ON metric_id AND (site_id IS NULL OR site_id = mart's site).
CREATE TABLE IF NOT EXISTS mart.metric_catalog (
    metric_id   VARCHAR NOT NULL,
    name_ja     VARCHAR NOT NULL,
    name_en     VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    phase       VARCHAR NOT NULL,
    phase_order INTEGER NOT NULL,
    direction   VARCHAR NOT NULL,
    aggregation VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    definition  VARCHAR NOT NULL,
    site_id     VARCHAR,
    numerator_metric   VARCHAR,
    denominator_metric VARCHAR
);
-- warehouses created before custom metrics: add the columns (the old primary key on metric_id
-- stays; it only refuses two sites declaring the same custom id)
ALTER TABLE mart.metric_catalog ADD COLUMN IF NOT EXISTS site_id VARCHAR;
ALTER TABLE mart.metric_catalog ADD COLUMN IF NOT EXISTS numerator_metric VARCHAR;
ALTER TABLE mart.metric_catalog ADD COLUMN IF NOT EXISTS denominator_metric VARCHAR;
COMMENT ON TABLE mart.metric_catalog IS 'Every metric: names, unit, AARRR phase, direction and how it aggregates. Built-in metrics have site_id NULL; custom metrics (metrics: in a site''s targets file) have their site. Join marts on metric_id AND (site_id IS NULL OR site_id = the mart''s site_id).';
COMMENT ON COLUMN mart.metric_catalog.metric_id IS 'Metric id used in every mart and in kpi_targets.yaml.';
COMMENT ON COLUMN mart.metric_catalog.name_ja IS 'Japanese name (as in the report).';
COMMENT ON COLUMN mart.metric_catalog.name_en IS 'English name.';
COMMENT ON COLUMN mart.metric_catalog.unit IS 'count, rate (fraction 0..1), seconds, pages, yen, multiple (a ratio often above 1, e.g. ROAS) or score (a level on a scale of its own, e.g. NPS); a custom metric''s is its unit: in the targets file. Decides the noise the Check allows for (counts of events: at least Poisson; rates: at least binomial; levels and scores: their measured wobble) and how values are shown.';
COMMENT ON COLUMN mart.metric_catalog.phase IS 'AARRR phase: acquisition, activation, retention, referral, revenue.';
COMMENT ON COLUMN mart.metric_catalog.phase_order IS '1..5 in AARRR order, for sorting.';
COMMENT ON COLUMN mart.metric_catalog.direction IS 'higher or lower: which way is better.';
COMMENT ON COLUMN mart.metric_catalog.aggregation IS 'sum (additive), ratio (recomputed from summed numerator/denominator), users (read at the grain), last (last value of the grain''s days) or mean (mean of the grain''s days).';
COMMENT ON COLUMN mart.metric_catalog.source IS 'ga4, crm or csv (a custom metric''s own CSV).';
COMMENT ON COLUMN mart.metric_catalog.definition IS 'How the metric is computed.';
COMMENT ON COLUMN mart.metric_catalog.site_id IS 'NULL for built-in metrics (every site); the site whose targets file declares a custom metric.';
COMMENT ON COLUMN mart.metric_catalog.numerator_metric IS 'Ratio of two metrics: the metric summed above the line (e.g. orders for close_rate); NULL otherwise.';
COMMENT ON COLUMN mart.metric_catalog.denominator_metric IS 'Ratio of two metrics: the metric summed below the line (e.g. deals for close_rate); NULL otherwise.';

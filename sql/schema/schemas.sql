-- Schemas of the warehouse: raw (as loaded from a source), mart (derived, for analysts), meta (loads).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS meta;

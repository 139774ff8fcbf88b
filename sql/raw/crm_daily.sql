-- raw.crm_daily: offline sales-funnel numbers per day (CRM export CSV or the demo generator).
CREATE TABLE IF NOT EXISTS raw.crm_daily (
    site_id      VARCHAR   NOT NULL,
    date         DATE      NOT NULL,
    leads        BIGINT    NOT NULL,
    appointments BIGINT    NOT NULL,
    deals        BIGINT    NOT NULL,
    orders       BIGINT    NOT NULL,
    revenue      DOUBLE    NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
    -- key (site_id, date): no PRIMARY KEY index, it made look-back re-loads ~10x slower;
    -- uniqueness is the unique_keys asset check
);
COMMENT ON TABLE raw.crm_daily IS 'Offline sales funnel per day: leads (見込み顧客), appointments (アポイント), deals (商談), orders (受注), revenue (売上).';
COMMENT ON COLUMN raw.crm_daily.site_id IS 'Site key the CRM numbers belong to.';
COMMENT ON COLUMN raw.crm_daily.date IS 'Day the funnel events happened.';
COMMENT ON COLUMN raw.crm_daily.leads IS 'New leads (見込み顧客獲得数).';
COMMENT ON COLUMN raw.crm_daily.appointments IS 'Appointments won (アポイント数).';
COMMENT ON COLUMN raw.crm_daily.deals IS 'Deals / business negotiations started (商談数).';
COMMENT ON COLUMN raw.crm_daily.orders IS 'Orders and repeat orders won (受注・リピート数).';
COMMENT ON COLUMN raw.crm_daily.revenue IS 'Revenue booked, yen.';
COMMENT ON COLUMN raw.crm_daily.loaded_at IS 'When this row was loaded (UTC).';

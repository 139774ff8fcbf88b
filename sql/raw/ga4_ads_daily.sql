-- raw.ga4_ads_daily: Google Ads and Search Console metrics per day, through GA4 (or the demo generator).
CREATE TABLE IF NOT EXISTS raw.ga4_ads_daily (
    site_id             VARCHAR   NOT NULL,
    date                DATE      NOT NULL,
    ad_clicks           BIGINT,
    ad_impressions      BIGINT,
    ad_cost             DOUBLE,
    organic_clicks      BIGINT,
    organic_impressions BIGINT,
    loaded_at           TIMESTAMP NOT NULL
    -- key (site_id, date): no PRIMARY KEY index, as for the other raw tables
);
COMMENT ON TABLE raw.ga4_ads_daily IS 'Google Ads and Search Console metrics per day as GA4 serves them when the property is linked. NULL: the property is not linked to that product (not requested); 0: linked, none that day.';
COMMENT ON COLUMN raw.ga4_ads_daily.site_id IS 'Site key.';
COMMENT ON COLUMN raw.ga4_ads_daily.date IS 'Day (the GA4 property''s time zone).';
COMMENT ON COLUMN raw.ga4_ads_daily.ad_clicks IS 'advertiserAdClicks: clicks on Google Ads ads (広告クリック数).';
COMMENT ON COLUMN raw.ga4_ads_daily.ad_impressions IS 'advertiserAdImpressions: Google Ads impressions (広告表示回数).';
COMMENT ON COLUMN raw.ga4_ads_daily.ad_cost IS 'advertiserAdCost: Google Ads cost in the property''s currency (広告費).';
COMMENT ON COLUMN raw.ga4_ads_daily.organic_clicks IS 'organicGoogleSearchClicks: clicks from Google organic search (Search Console).';
COMMENT ON COLUMN raw.ga4_ads_daily.organic_impressions IS 'organicGoogleSearchImpressions: impressions in Google organic search (Search Console).';
COMMENT ON COLUMN raw.ga4_ads_daily.loaded_at IS 'When this row was loaded (UTC).';

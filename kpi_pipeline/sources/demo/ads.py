"""Google Ads and Search Console numbers of the demo site, consistent with its channels.

Ad clicks are a little above the Paid Search and Paid Social sessions (not every click lands a
session), impressions follow from a click-through rate around 3 %, cost from a cost per click
around ¥90; organic clicks sit just above the Organic Search sessions with a CTR around 4 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_pipeline.sources.demo import profile as p
from kpi_pipeline.sources.demo.noise import CounterNoise
from kpi_pipeline.sources.demo.traffic import Traffic, as_date_objects

ADS_STREAM = 60  # noise streams 60..64, apart from the traffic and CRM ones
AD_CTR, AD_CPC, ORGANIC_CTR = 0.03, 90.0, 0.04
PAID = ("Paid Search", "Paid Social")


def _channel_sessions(traffic: Traffic, channels: tuple[str, ...]) -> np.ndarray:
    mask = [c.channel in channels for c in p.CELLS]
    return traffic.cell_sessions[:, mask].sum(axis=1).astype(np.float64)


def ads_frame(site_id: str, traffic: Traffic, noise: CounterNoise) -> pd.DataFrame:
    """``raw.ga4_ads_daily`` rows (without loaded_at) for the days of ``traffic``."""
    o = traffic.ordinals
    paid = _channel_sessions(traffic, PAID)
    organic = _channel_sessions(traffic, ("Organic Search",))
    ad_clicks = np.rint(paid * 1.08 * noise.factor(o, ADS_STREAM, 0.05))
    ad_impressions = np.rint(ad_clicks / (AD_CTR * noise.factor(o, ADS_STREAM + 1, 0.12)))
    ad_cost = np.round(ad_clicks * AD_CPC * noise.factor(o, ADS_STREAM + 2, 0.1))
    organic_clicks = np.rint(organic * 1.05 * noise.factor(o, ADS_STREAM + 3, 0.04))
    organic_impressions = np.rint(organic_clicks / (ORGANIC_CTR * noise.factor(o, ADS_STREAM + 4, 0.1)))
    return pd.DataFrame({
        "site_id": site_id,
        "date": as_date_objects(traffic.days),
        "ad_clicks": pd.array(ad_clicks.astype(np.int64), dtype="Int64"),
        "ad_impressions": pd.array(ad_impressions.astype(np.int64), dtype="Int64"),
        "ad_cost": pd.array(ad_cost, dtype="Float64"),
        "organic_clicks": pd.array(organic_clicks.astype(np.int64), dtype="Int64"),
        "organic_impressions": pd.array(organic_impressions.astype(np.int64), dtype="Int64"),
    })

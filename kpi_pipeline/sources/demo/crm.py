"""The offline sales funnel of the demo site: leads → appointments → deals → orders → revenue.

Online leads come from the day's ``generate_lead`` events, so CRM numbers move with the web
numbers. Each stage is a binomial draw from the stage above on the same day, so counts are whole
numbers and never grow down the funnel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS
from kpi_pipeline.sources.demo import profile as p
from kpi_pipeline.sources.demo.noise import CounterNoise
from kpi_pipeline.sources.demo.seasons import is_business_day
from kpi_pipeline.sources.demo.traffic import Stream, Traffic, as_date_objects


def _order_values(noise: CounterNoise, ordinals: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Revenue per day: one log-normal price per order, clipped to the usual deal sizes."""
    width = int(orders.max(initial=0))
    if width == 0:
        return np.zeros(len(orders))
    low, high = p.ORDER_VALUE_RANGE
    u = noise.uniform(ordinals, Stream.CRM_PRICE, width)
    u2 = noise.uniform(ordinals, Stream.CRM_PRICE + 100, width)
    z = np.sqrt(-2.0 * np.log(u)) * np.cos(2.0 * np.pi * u2)
    prices = np.clip(p.ORDER_VALUE_MEDIAN * np.exp(0.35 * z), low, high)
    prices = np.round(prices, -3)  # quoted in thousands of yen
    booked = np.arange(width)[None, :] < orders[:, None]
    return (prices * booked).sum(axis=1)


def appointment_rate(days: pd.DatetimeIndex) -> np.ndarray:
    """The lead-to-appointment rate per day: 10 %, sliding to 8 % from autumn 2025 to July 2026."""
    start, end, final = p.APPOINTMENT_RATE_SLIDE
    span = (pd.Timestamp(end) - pd.Timestamp(start)).days
    progress = np.clip(np.asarray((days - pd.Timestamp(start)).days, dtype=np.float64) / span, 0, 1)
    return p.APPOINTMENT_RATE + (final - p.APPOINTMENT_RATE) * progress


def crm_frame(site_id: str, traffic: Traffic, noise: CounterNoise) -> pd.DataFrame:
    """raw.crm_daily rows (without loaded_at) for the days of ``traffic``."""
    o = traffic.ordinals
    online = noise.binomial(
        o, Stream.CRM_LEADS, traffic.events["generate_lead"], p.ONLINE_LEAD_QUALIFICATION
    )
    offline_rate = np.where(is_business_day(traffic.days), p.OFFLINE_LEADS_PER_BUSINESS_DAY, 0.1)
    leads = online + noise.poisson(o, Stream.CRM_OFFLINE, offline_rate)
    appointments = noise.binomial(o, Stream.CRM_APPOINTMENTS, leads, appointment_rate(traffic.days))
    deals = noise.binomial(o, Stream.CRM_DEALS, appointments, p.DEAL_RATE)
    orders = noise.binomial(o, Stream.CRM_ORDERS, deals, p.ORDER_RATE)
    frame = pd.DataFrame(
        {
            "site_id": site_id,
            "date": as_date_objects(traffic.days),
            "leads": leads.astype(np.int64),
            "appointments": appointments.astype(np.int64),
            "deals": deals.astype(np.int64),
            "orders": orders.astype(np.int64),
            "revenue": _order_values(noise, o, orders).astype(np.float64),
        }
    )
    return frame[list(CRM_DAILY_COLUMNS)]

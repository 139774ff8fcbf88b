"""Site totals per day, built bottom-up from channel × campaign cells so breakdowns add up.

Every array is indexed by day; every random draw is addressed by the day's ordinal
(:mod:`.noise`), so a day comes out the same whatever other days are generated with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd

from kpi_pipeline.sources.demo import profile as p
from kpi_pipeline.sources.demo.allocate import allocate, allocate_capped
from kpi_pipeline.sources.demo.noise import CounterNoise
from kpi_pipeline.sources.demo.seasons import (
    CAMPAIGNS,
    day_of_week_factor,
    mix_years,
    season_factor,
    step_lift,
    years_since_epoch,
)


class Stream(IntEnum):
    """One id per random quantity: changing one never shifts the draws of another."""

    LEVEL = 1
    CELL_MIX = 2
    ENGAGEMENT = 3
    VIEWS = 4
    DURATION = 5
    USERS = 6
    NEW_SHARE = 7
    USER_ENGAGEMENT = 8
    SCROLL = 9
    CLICK = 10
    LEADS = 11
    DOWNLOADS = 12
    FORMS = 13
    SHARES = 14
    MULTI_KEY = 15
    DRIFT_PHASE = 16  # + 0..2, one per drift wave
    LANDING_MIX = 30
    PAGE_MIX = 31
    KEY_PAGE_VIEWS = 32
    WEEK_TOTAL = 40
    WEEK_NEW = 41
    CRM_LEADS = 50
    CRM_OFFLINE = 51
    CRM_APPOINTMENTS = 52
    CRM_DEALS = 53
    CRM_ORDERS = 54
    CRM_PRICE = 55


_DRIFT_WAVES = ((47.0, 0.03), (113.0, 0.04), (271.0, 0.03))  # (period in days, amplitude)
_ORDINAL_EPOCH = 738_886  # date(2024, 1, 1).toordinal()


def day_ordinals(days: pd.DatetimeIndex) -> np.ndarray:
    """``date.toordinal()`` of each day, vectorised: the address of every random draw."""
    return np.asarray((days - pd.Timestamp("2024-01-01")).days, dtype=np.int64) + _ORDINAL_EPOCH


def as_date_objects(days: pd.DatetimeIndex) -> np.ndarray:
    """Python ``datetime.date`` values (object array): DuckDB reads them as DATE."""
    return np.array(days.date, dtype=object)


@dataclass
class Traffic:
    """Totals per day (shape ``(n,)``) and per channel × campaign cell (``(n, len(CELLS))``)."""

    days: pd.DatetimeIndex
    ordinals: np.ndarray
    sessions: np.ndarray
    engaged_sessions: np.ndarray
    screen_page_views: np.ndarray
    user_engagement_duration: np.ndarray
    event_count: np.ndarray
    key_events: np.ndarray
    converted_sessions: np.ndarray
    total_users: np.ndarray
    new_users: np.ndarray
    returning_users: np.ndarray
    events: dict[str, np.ndarray]
    cell_sessions: np.ndarray
    cell_engaged: np.ndarray
    cell_views: np.ndarray
    cell_events: np.ndarray
    cell_key_events: np.ndarray


def _drift(noise: CounterNoise, ordinals: np.ndarray) -> np.ndarray:
    """Slow, smooth ups and downs (weeks to months) so trends are never a straight line."""
    t = ordinals.astype(np.float64)
    drift = np.ones(len(t))
    for i, (period, amplitude) in enumerate(_DRIFT_WAVES):
        phase = 2.0 * np.pi * noise.constant(Stream.DRIFT_PHASE + i)
        drift = drift + amplitude * np.sin(2.0 * np.pi * t / period + phase)
    return drift


def _cell_weights(days: pd.DatetimeIndex, years: np.ndarray) -> np.ndarray:
    """Expected share of each cell per day, before noise (campaign cells follow their bursts)."""
    activity = {name: c.activity(days) for name, c in CAMPAIGNS.items()}
    columns = []
    for cell in p.CELLS:
        w = cell.weight * cell.growth**years
        if cell.campaign in activity:
            w = w * activity[cell.campaign]
        columns.append(w)
    return np.column_stack(columns)


def simulate_traffic(noise: CounterNoise, days: pd.DatetimeIndex) -> Traffic:
    """Generate GA4-shaped site totals and cell breakdowns for the given days."""
    o = day_ordinals(days)
    n = len(days)
    years = years_since_epoch(days)
    mix = mix_years(days)
    dow = day_of_week_factor(days)
    weekend_like = dow < 0.6

    # Sessions: trend × weekday × season × drift × noise, plus campaign traffic on top.
    weights = _cell_weights(days, mix)
    always_on = sum(c.weight for c in p.CELLS if c.campaign not in CAMPAIGNS)
    level = (
        p.BASE_WEEKDAY_SESSIONS
        * p.SESSIONS_GROWTH**years
        * dow
        * season_factor(days)
        * step_lift(days, *p.RENEWAL)
        * _drift(noise, o)
        * noise.factor(o, Stream.LEVEL, 0.06)
    )
    sessions = np.round(level * weights.sum(axis=1) / always_on).astype(np.int64)
    mixed = weights * noise.factor(o, Stream.CELL_MIX, 0.15, weights.shape[1])
    cell_sessions = allocate(sessions, mixed)

    ch = np.array([p.CHANNEL_INDEX[c.channel] for c in p.CELLS])
    er = np.array([c.engagement_rate for c in p.CHANNELS])[ch]
    pps = np.array([c.pages_per_session for c in p.CHANNELS])[ch]
    kep = np.array([c.key_event_propensity for c in p.CHANNELS])[ch]
    kep = kep * np.array([c.key_event_boost for c in p.CELLS])

    # Engagement: the channel mix sets the rate; weekends engage a little less.
    er_day = np.where(weekend_like, 0.93, 1.0) * (1.0 + 0.01 * mix)
    expected_engaged = (cell_sessions * er).sum(axis=1) * er_day
    engaged = np.minimum(
        np.round(expected_engaged * noise.factor(o, Stream.ENGAGEMENT, 0.02)), sessions
    ).astype(np.int64)
    cell_engaged = allocate_capped(engaged, cell_sessions * er, cell_sessions)

    pps_day = np.where(weekend_like, 0.92, 1.0)
    views = np.round(
        (cell_sessions * pps).sum(axis=1) * pps_day * noise.factor(o, Stream.VIEWS, 0.03)
    ).astype(np.int64)
    views = np.maximum(views, sessions)
    cell_views = allocate(views, cell_sessions * pps)

    engagement_rate = np.divide(engaged, sessions, out=np.zeros(n), where=sessions > 0)
    duration = np.round(
        sessions
        * p.ENGAGEMENT_SECONDS
        * np.sqrt(engagement_rate / 0.55)
        * noise.factor(o, Stream.DURATION, 0.05)
    )

    total_users = np.round(
        sessions * p.USERS_PER_SESSION * noise.factor(o, Stream.USERS, 0.01)
    ).astype(np.int64)
    new_share = np.clip(
        (p.NEW_USER_SHARE - p.NEW_USER_SHARE_DRIFT * mix + np.where(weekend_like, 0.02, 0.0))
        * noise.factor(o, Stream.NEW_SHARE, 0.015),
        0.5,
        0.9,
    )
    new_users = np.round(total_users * new_share).astype(np.int64)

    # Key events: leads and downloads follow the channel and campaign mix.
    key_weight = (cell_sessions * kep).sum(axis=1)
    generate_lead = noise.poisson(
        o, Stream.LEADS, key_weight * p.LEAD_RATE * p.LEAD_RATE_GROWTH**mix
    )
    file_download = noise.poisson(o, Stream.DOWNLOADS, key_weight * p.DOWNLOAD_RATE)
    form_submit = generate_lead + noise.poisson(o, Stream.FORMS, 0.6 + 0.08 * generate_lead)
    share_level = p.SHARES_PER_DAY * p.SHARES_GROWTH**mix * np.where(weekend_like, 0.6, 1.0)
    events = {
        "page_view": views,
        "session_start": sessions,
        "first_visit": new_users,
        "user_engagement": np.round(
            engaged * 1.8 * noise.factor(o, Stream.USER_ENGAGEMENT, 0.03)
        ).astype(np.int64),
        "scroll": np.round(views * 0.34 * noise.factor(o, Stream.SCROLL, 0.04)).astype(np.int64),
        "click": np.round(sessions * 0.28 * noise.factor(o, Stream.CLICK, 0.05)).astype(np.int64),
        "file_download": file_download,
        "form_submit": form_submit,
        "generate_lead": generate_lead,
        "share": noise.poisson(o, Stream.SHARES, share_level),
    }
    event_count = np.sum([events[name] for name in p.EVENT_NAMES], axis=0).astype(np.int64)
    key_events = generate_lead + file_download
    # A few sessions hold both a lead and a download: converted sessions ≤ key events.
    converted = key_events - noise.binomial(o, Stream.MULTI_KEY, key_events, 0.1)

    cell_events = allocate(event_count, cell_views + cell_sessions)
    cell_key = allocate(key_events, cell_sessions * kep)
    return Traffic(
        days=days,
        ordinals=o,
        sessions=sessions,
        engaged_sessions=engaged,
        screen_page_views=views,
        user_engagement_duration=duration.astype(np.float64),
        event_count=event_count,
        key_events=key_events.astype(np.float64),
        converted_sessions=converted.astype(np.float64),
        total_users=total_users,
        new_users=new_users,
        returning_users=total_users - new_users,
        events=events,
        cell_sessions=cell_sessions,
        cell_engaged=cell_engaged,
        cell_views=cell_views,
        cell_events=cell_events,
        cell_key_events=cell_key,
    )

"""raw.ga4_by_dimension rows: each dimension splits the day's totals exactly.

Session-scoped dimensions (channel, landing page, campaign) split sessions, engaged sessions,
views, events and key events. Page- and event-scoped ones (pagePath, eventName) split views,
events and key events and report 0 sessions, as the raw table documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from kpi_pipeline.sources.base import BREAKDOWN_DIMENSIONS, GA4_BY_DIMENSION_COLUMNS
from kpi_pipeline.sources.demo import profile as p
from kpi_pipeline.sources.demo.allocate import allocate, allocate_capped
from kpi_pipeline.sources.demo.noise import CounterNoise
from kpi_pipeline.sources.demo.seasons import CAMPAIGNS, mix_years
from kpi_pipeline.sources.demo.traffic import Stream, Traffic, as_date_objects

_METRICS = ("sessions", "engaged_sessions", "screen_page_views", "event_count", "key_events")


def _group(cells: np.ndarray, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Sum cell columns that share a key (e.g. all cells of one channel)."""
    names = list(dict.fromkeys(keys))
    index = np.array([names.index(k) for k in keys])
    out = np.zeros((cells.shape[0], len(names)), dtype=cells.dtype)
    for j in range(len(names)):
        out[:, j] = cells[:, index == j].sum(axis=1)
    return names, out


def _long_frame(
    site_id: str,
    dates: np.ndarray,
    dimension: str,
    values: Sequence[str],
    metrics: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Days × values matrices to long rows; rows that are zero everywhere are left out, as GA4 does."""
    n, k = len(dates), len(values)
    frame = pd.DataFrame(
        {
            "site_id": site_id,
            "date": np.repeat(dates, k),
            "dimension": dimension,
            "dimension_value": np.tile(np.asarray(values, dtype=object), n),
        }
    )
    for name in _METRICS:
        matrix = metrics.get(name)
        column = np.zeros(n * k, dtype=np.int64) if matrix is None else matrix.reshape(-1)
        frame[name] = column.astype(np.float64 if name == "key_events" else np.int64)
    nonzero = frame[list(_METRICS)].to_numpy().any(axis=1)
    return frame.loc[nonzero, list(GA4_BY_DIMENSION_COLUMNS)].reset_index(drop=True)


def _channels(t: Traffic) -> tuple[list[str], dict[str, np.ndarray]]:
    keys = [c.channel for c in p.CELLS]
    return _grouped(t, keys)


def _campaigns(t: Traffic) -> tuple[list[str], dict[str, np.ndarray]]:
    keys = [c.campaign for c in p.CELLS]
    return _grouped(t, keys)


def _grouped(t: Traffic, keys: Sequence[str]) -> tuple[list[str], dict[str, np.ndarray]]:
    metrics = {}
    names: list[str] = []
    for name, cells in (
        ("sessions", t.cell_sessions),
        ("engaged_sessions", t.cell_engaged),
        ("screen_page_views", t.cell_views),
        ("event_count", t.cell_events),
        ("key_events", t.cell_key_events),
    ):
        names, metrics[name] = _group(cells, keys)
    return names, metrics


def _landing_pages(t: Traffic, noise: CounterNoise) -> tuple[list[str], dict[str, np.ndarray]]:
    """Sessions by first page: campaigns land on their own pages while they run."""
    pages = [pg for pg in p.PAGES if pg.landing_weight > 0]
    years = mix_years(t.days)
    weights = np.column_stack([pg.landing_weight * pg.growth**years for pg in pages])
    campaign_share = {
        name: t.cell_sessions[:, [c.campaign == name for c in p.CELLS]].sum(axis=1)
        / np.maximum(t.sessions, 1)
        for name in CAMPAIGNS
    }
    paths = [pg.path for pg in pages]
    weights[:, paths.index("/download")] += 0.8 * campaign_share["wp_kgi_download"]
    weights[:, paths.index("/seminar")] += 0.8 * campaign_share["spring_webinar"]
    weights = weights * noise.factor(t.ordinals, Stream.LANDING_MIX, 0.12, len(pages))
    sessions = allocate(t.sessions, weights)
    er = np.array([pg.engagement_rate for pg in pages])
    pps = np.array([pg.pages_per_session for pg in pages])
    kep = np.array([pg.key_event_propensity for pg in pages])
    views = allocate(t.screen_page_views, sessions * pps)
    return paths, {
        "sessions": sessions,
        "engaged_sessions": allocate_capped(t.engaged_sessions, sessions * er, sessions),
        "screen_page_views": views,
        "event_count": allocate(t.event_count, views + sessions),
        "key_events": allocate(t.key_events.astype(np.int64), sessions * kep),
    }


def _page_paths(
    t: Traffic, noise: CounterNoise, landing: dict[str, np.ndarray], landing_paths: list[str]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Views by page, consistent with landing pages and with forms and downloads.

    Every session views its landing page, every form submit ends on /thanks, downloads start
    on /download; the views left over are shared out by each page's popularity.
    """
    pages = [pg for pg in p.PAGES if pg.path != p.NOT_SET]
    paths = [pg.path for pg in pages]
    o = t.ordinals
    n = len(o)
    forms = t.events["form_submit"]
    downloads = t.events["file_download"]
    fixed = np.zeros((n, len(paths)), dtype=np.int64)
    for j, path in enumerate(paths):
        if path in landing_paths:
            fixed[:, j] += landing["sessions"][:, landing_paths.index(path)]
    extras = {
        "/thanks": forms,
        "/download": np.round(downloads * 1.2 * noise.factor(o, Stream.KEY_PAGE_VIEWS, 0.1)),
        "/contact": np.round(forms * 3.0 * noise.factor(o, Stream.KEY_PAGE_VIEWS + 100, 0.1)),
    }
    for path, views in extras.items():
        fixed[:, paths.index(path)] += views.astype(np.int64)
    # never more fixed views than views (only possible on an absurdly quiet day)
    scale = np.minimum(1.0, t.screen_page_views / np.maximum(fixed.sum(axis=1), 1))
    fixed = np.floor(fixed * scale[:, None]).astype(np.int64)
    years = mix_years(t.days)
    weights = np.column_stack([pg.view_weight * pg.growth**years for pg in pages])
    weights = weights * noise.factor(o, Stream.PAGE_MIX, 0.1, len(pages))
    views = fixed + allocate(t.screen_page_views - fixed.sum(axis=1), weights)
    key = np.zeros_like(views)
    key[:, paths.index("/thanks")] = t.events["generate_lead"]
    key[:, paths.index("/download")] = downloads
    other_events = t.event_count - key.sum(axis=1)
    return paths, {
        "screen_page_views": views,
        "event_count": key + allocate(other_events, views + 1),
        "key_events": key,
    }


def _event_names(t: Traffic) -> tuple[list[str], dict[str, np.ndarray]]:
    names = list(p.EVENT_NAMES)
    counts = np.column_stack([t.events[name] for name in names]).astype(np.int64)
    is_key = np.array([name in p.KEY_EVENT_NAMES for name in names])
    is_view = np.array([name == "page_view" for name in names])
    return names, {
        "event_count": counts,
        "key_events": counts * is_key,
        "screen_page_views": counts * is_view,
    }


def breakdown_pages(site_id: str, traffic: Traffic, noise: CounterNoise) -> Iterator[pd.DataFrame]:
    """One frame per dimension of BREAKDOWN_DIMENSIONS, built only when the loader asks for it."""
    landing_paths, landing = _landing_pages(traffic, noise)  # pagePath views build on it
    builders: dict[str, Callable[[], tuple[list[str], dict[str, np.ndarray]]]] = {
        "sessionDefaultChannelGroup": lambda: _channels(traffic),
        "landingPage": lambda: (landing_paths, landing),
        "pagePath": lambda: _page_paths(traffic, noise, landing, landing_paths),
        "eventName": lambda: _event_names(traffic),
        "sessionCampaignName": lambda: _campaigns(traffic),
    }
    dates = as_date_objects(traffic.days)
    for dimension in BREAKDOWN_DIMENSIONS:
        values, metrics = builders[dimension]()
        yield _long_frame(site_id, dates, dimension, values, metrics)

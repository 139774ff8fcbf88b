"""Known GA4 data for the fake server: sessions and events of made-up users, and a small report engine.

A property is two fact tables: ``sessions`` (one row per session: day, user, whether the user
is new, channel, landing page, campaign, engaged, engagement seconds) and ``events`` (one row
per event: its session, page path, event name, whether it is a key event). Reports are computed
from these facts the way GA4 defines its fields, so user counts are distinct users at the grain
asked (not additive), rates are per row, and page- or event-scoped dimensions count sessions
that touched them. ``truth_*`` methods compute the expected warehouse rows straight from the
facts, independently of the report engine, for tests to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

CHANNELS = ("Direct", "Organic Search", "Paid Search", "Organic Social", "Referral", "Email")
CHANNEL_P = (0.25, 0.35, 0.15, 0.1, 0.1, 0.05)
HOSTILE_PAGES = (
    "/<script>alert('x')</script>",
    "/'; DROP TABLE raw.ga4_daily; --",
    "/?q=\"%s\" OR 1=1 -- ?",
    "/ページ/日本語?utm=テスト",
    "/line\nbreak\ttab\\back",
    "/long/" + "x" * 300,  # longer than 127 bytes: multi-byte length prefixes on the wire
)
HOSTILE_CAMPAIGNS = (
    "<script>document.location='//evil'</script>",
    "'; DROP TABLE meta.runs; --",
    "spring_sale_2026",
    "秋のキャンペーン",
)
EVENTS_ALWAYS = ("session_start",)
KEY_EVENT = "generate_lead"

SESSION_DIMENSIONS = ("date", "sessionDefaultChannelGroup", "landingPage", "sessionCampaignName", "newVsReturning")
EVENT_DIMENSIONS = ("pagePath", "eventName")
INTEGER_METRICS = ("sessions", "engagedSessions", "screenPageViews", "eventCount", "totalUsers", "newUsers")
METRIC_TYPES = {
    **dict.fromkeys(INTEGER_METRICS, "TYPE_INTEGER"),
    "keyEvents": "TYPE_INTEGER",
    "userEngagementDuration": "TYPE_SECONDS",
    "sessionKeyEventRate": "TYPE_FLOAT",
}
# Google Ads / Search Console metrics: served (and listed in the metadata) only when linked.
ADS_METRICS = {"advertiserAdClicks": "TYPE_INTEGER", "advertiserAdImpressions": "TYPE_INTEGER",
               "advertiserAdCost": "TYPE_CURRENCY"}
SEARCH_METRICS = {"organicGoogleSearchClicks": "TYPE_INTEGER",
                  "organicGoogleSearchImpressions": "TYPE_INTEGER"}
METRIC_TYPES.update(ADS_METRICS)
METRIC_TYPES.update(SEARCH_METRICS)
# Session-scoped metrics GA4 refuses with eventName (and duration with any event-scoped dimension).
INCOMPATIBLE = {
    "eventName": {"sessions", "engagedSessions", "sessionKeyEventRate", "userEngagementDuration"},
    "pagePath": {"userEngagementDuration"},
}


class ReportError(Exception):
    """A request GA4 would reject with INVALID_ARGUMENT (400)."""


@dataclass
class FakeProperty:
    """One GA4 property's facts, plus the metadata GA4 would report with them."""

    property_id: str
    sessions: pd.DataFrame
    events: pd.DataFrame
    time_zone: str = "Asia/Tokyo"
    currency: str = "JPY"
    thresholded: bool = False
    sampled: bool = False
    data_loss_from_other_row: bool = False
    ads_linked: bool = False  # linked to Google Ads: advertiserAd* metrics
    search_linked: bool = False  # linked to Search Console: organicGoogleSearch* metrics
    version: int = 0
    _rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0), repr=False)

    # ---- building data ----------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        property_id: str,
        first_day: date,
        days: int,
        *,
        sessions_per_day: int = 60,
        users: int = 300,
        pages: int = 12,
        seed: int = 7,
        hostile: bool = True,
        **metadata: object,
    ) -> FakeProperty:
        rng = np.random.default_rng(seed)
        paths = [f"/page/{i}" for i in range(pages)] + (list(HOSTILE_PAGES) if hostile else [])
        campaigns = ["summer_sale", "newsletter_11"] + (list(HOSTILE_CAMPAIGNS) if hostile else [])
        prop = cls(property_id, _empty_sessions(), _empty_events(), _rng=rng, **metadata)  # type: ignore[arg-type]
        prop._paths, prop._campaigns, prop._users = paths, campaigns, users
        counts = rng.poisson(sessions_per_day, days)
        prop._add(np.repeat([first_day + timedelta(days=i) for i in range(days)], counts))
        return prop

    def add_sessions(self, day: date, count: int) -> None:
        """Late data: more sessions arrive for ``day`` (GA4 still processing it)."""
        self._add(np.array([day] * count, dtype=object))

    def _add(self, days: np.ndarray) -> None:
        rng, n = self._rng, len(days)
        base = len(self.sessions)
        session_id = np.arange(base, base + n)
        user_id = (self._users * rng.random(n) ** 2).astype(np.int64)  # a few users come back often
        channel = rng.choice(CHANNELS, n, p=CHANNEL_P)
        campaign = np.where(
            np.isin(channel, ("Paid Search", "Email", "Organic Social")),
            rng.choice(self._campaigns, n),
            np.select([channel == "Direct", channel == "Organic Search"], ["(direct)", "(organic)"], "(referral)"),
        )
        landing = rng.choice(self._paths, n)
        engaged = rng.random(n) < 0.6
        duration = np.round(rng.exponential(50.0, n) * engaged + rng.integers(0, 5, n), 0)
        sessions = pd.DataFrame({
            "session_id": session_id,
            "user_id": user_id,
            "day": pd.to_datetime(pd.Series(days, dtype=object)).dt.date.to_numpy(),
            "channel": channel.astype(object),
            "landing_page": landing.astype(object),
            "campaign": campaign.astype(object),
            "engaged": engaged,
            "duration": duration,
        })
        views = 1 + rng.poisson(1.2, n)
        view_session = np.repeat(session_id, views)
        first_view = np.r_[0, np.cumsum(views)[:-1]]
        view_pages = rng.choice(self._paths, len(view_session)).astype(object)
        view_pages[first_view] = landing
        extra = {
            "session_start": np.ones(n, bool),
            "user_engagement": engaged,
            "scroll": rng.random(n) < 0.4,
            "share": rng.random(n) < 0.05,
            KEY_EVENT: rng.random(n) < 0.08,
        }
        frames = [pd.DataFrame({"session_id": view_session, "page_path": view_pages, "event_name": "page_view"})]
        for name, mask in extra.items():
            frames.append(pd.DataFrame({"session_id": session_id[mask], "page_path": landing[mask].astype(object), "event_name": name}))
        events = pd.concat(frames, ignore_index=True)
        events["is_key"] = events["event_name"] == KEY_EVENT
        self.sessions = pd.concat([self.sessions, sessions], ignore_index=True) if len(self.sessions) else sessions
        self.events = pd.concat([self.events, events], ignore_index=True) if len(self.events) else events
        self._derive()

    def _derive(self) -> None:
        s, e = self.sessions, self.events
        order = s.sort_values(["day", "session_id"]).index
        first = ~s.loc[order, "user_id"].duplicated()
        s["is_new"] = False
        s.loc[first[first].index, "is_new"] = True
        s["date"] = pd.to_datetime(s["day"]).dt.strftime("%Y%m%d").astype(object)
        s["new_vs_returning"] = np.where(s["is_new"], "new", "returning").astype(object)
        n = int(s["session_id"].max()) + 1
        sid = e["session_id"].to_numpy()
        per = lambda mask: np.bincount(sid[mask], minlength=n)[s["session_id"].to_numpy()]  # noqa: E731
        s["views"] = per(e["event_name"].to_numpy() == "page_view")
        s["events"] = per(np.ones(len(e), bool))
        s["key_events"] = per(e["is_key"].to_numpy())
        self.version += 1

    # ---- the report engine ------------------------------------------------------------------

    def metric_names(self) -> list[str]:
        """What the metadata lists: the base metrics, plus those of the linked products."""
        base = [m for m in METRIC_TYPES if m not in ADS_METRICS and m not in SEARCH_METRICS]
        return base + (list(ADS_METRICS) if self.ads_linked else []) + (list(SEARCH_METRICS) if self.search_linked else [])

    def truth_linked(self) -> pd.DataFrame:
        """Ads and organic search facts per day, from the Paid and Organic Search sessions."""
        s = self.sessions
        days = sorted(set(s["day"]))
        paid = s[s["channel"] == "Paid Search"].groupby("day").size().reindex(days, fill_value=0)
        organic = s[s["channel"] == "Organic Search"].groupby("day").size().reindex(days, fill_value=0)
        out = pd.DataFrame({
            "advertiserAdClicks": paid + 2,
            "advertiserAdImpressions": (paid + 2) * 31,
            "advertiserAdCost": (paid + 2) * 87.5,
            "organicGoogleSearchClicks": organic,
            "organicGoogleSearchImpressions": organic * 24 + 5,
        }, index=pd.Index(days, name="day"))
        return out.reset_index()

    def _linked_report(self, dimensions: list[str], metrics: list[str], ranges: list[tuple[str, str, str]],
                       in_list: tuple[str, set[str]] | None) -> tuple[list[str], list[tuple[str, ...]]]:
        served = set(self.metric_names())
        for m in metrics:
            if m not in served:
                raise ReportError(f"Field {m} is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
        if dimensions != ["date"] or in_list or len(ranges) != 1 or set(metrics) - set(ADS_METRICS) - set(SEARCH_METRICS):
            raise ReportError("The request's dimensions & metrics are incompatible: ads and search metrics are read by date alone.")
        first, last = (date.fromisoformat(d) for d in ranges[0][:2])
        facts = self.truth_linked()
        facts = facts[(facts["day"] >= first) & (facts["day"] <= last)]
        facts = facts[(facts[metrics] != 0).any(axis=1)]
        rows = [(pd.Timestamp(d).strftime("%Y%m%d"), *(_fmt(v, m) for v, m in zip(values, metrics, strict=True)))
                for d, *values in facts[["day", *metrics]].itertuples(index=False)]
        return ["date"], rows

    def report(self, dimensions: list[str], metrics: list[str], ranges: list[tuple[str, str, str]],
               in_list: tuple[str, set[str]] | None = None) -> tuple[list[str], list[tuple[str, ...]]]:
        """Rows (as GA4's strings) for dimensions × metrics over date ranges (start, end, name)."""
        if set(metrics) & (set(ADS_METRICS) | set(SEARCH_METRICS)):
            return self._linked_report(dimensions, metrics, ranges, in_list)
        self._validate(dimensions, metrics, in_list)
        multi = len(ranges) > 1
        out_dims = dimensions + (["dateRange"] if multi else [])
        parts = []
        for i, (start, end, name) in enumerate(ranges):
            frame = self._rows_for(dimensions, metrics, start, end, in_list)
            if multi:
                frame["dateRange"] = name or f"date_range_{i}"
            parts.append(frame)
        table = pd.concat(parts, ignore_index=True)
        table = table[(table[metrics] != 0).any(axis=1)] if len(table) else table
        table = table.sort_values(out_dims, kind="stable") if out_dims and len(table) else table
        columns = [table[d].astype(str).tolist() for d in out_dims]
        columns += [[_fmt(v, m) for v in table[m].tolist()] for m in metrics]
        return out_dims, list(zip(*columns, strict=True)) if columns else []

    def _validate(self, dimensions: list[str], metrics: list[str], in_list: tuple[str, set[str]] | None) -> None:
        for d in dimensions + ([in_list[0]] if in_list else []):
            if d not in SESSION_DIMENSIONS + EVENT_DIMENSIONS:
                raise ReportError(f"Field {d} is not a valid dimension. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
        for m in metrics:
            if m not in METRIC_TYPES or m in ADS_METRICS or m in SEARCH_METRICS:
                raise ReportError(f"Field {m} is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
        for d in dimensions:
            clash = INCOMPATIBLE.get(d, set()) & set(metrics)
            if clash:
                raise ReportError(f"Please remove {d} to make the request compatible. The request's dimensions & metrics are incompatible: {', '.join(sorted(clash))}.")
        if not metrics:
            raise ReportError("A report must request at least one metric.")

    def _rows_for(self, dimensions: list[str], metrics: list[str], start: str, end: str,
                  in_list: tuple[str, set[str]] | None) -> pd.DataFrame:
        s = self.sessions
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            raise ReportError(f"Invalid date range {start}..{end}: dates must be YYYY-MM-DD") from None
        if first > last:
            raise ReportError("The date range's start date must not be after its end date.")
        s = s[(s["day"] >= first) & (s["day"] <= last)]
        s = s.rename(columns=_SESSION_COLUMNS)
        event_scoped = any(d in EVENT_DIMENSIONS for d in dimensions) or (in_list and in_list[0] in EVENT_DIMENSIONS)
        frame = s.merge(self.events.rename(columns=_EVENT_COLUMNS), on="session_id") if event_scoped else s
        if in_list:
            frame = frame[frame[in_list[0]].isin(in_list[1])]
        keys = dimensions or ["_all"]
        if not dimensions:
            frame = frame.assign(_all=0)
        grouped = frame.groupby(keys, sort=False, dropna=False)
        out = pd.DataFrame(index=grouped.size().index)
        for m in metrics:
            out[m] = _metric(frame, grouped, m, event_scoped)
        out = out.fillna(0).reset_index()
        return out.drop(columns=["_all"]) if not dimensions else out

    # ---- expected warehouse rows, straight from the facts -----------------------------------

    def truth_daily(self) -> pd.DataFrame:
        s = self.sessions
        g = s.groupby("day")
        out = pd.DataFrame({
            "sessions": g.size(),
            "engaged_sessions": g["engaged"].sum(),
            "screen_page_views": g["views"].sum(),
            "user_engagement_duration": g["duration"].sum(),
            "event_count": g["events"].sum(),
            "key_events": g["key_events"].sum().astype(float),
            "converted_sessions": g["key_events"].apply(lambda k: float((k > 0).sum())),
            "total_users": g["user_id"].nunique(),
            "new_users": s[s["is_new"]].groupby("day")["user_id"].nunique(),
            "returning_users": s[~s["is_new"]].groupby("day")["user_id"].nunique(),
        }).fillna(0)
        out.index.name = "date"
        return out.reset_index()

    def truth_weekly_users(self, monday: date) -> dict[str, int]:
        s = self.sessions
        week = s[(s["day"] >= monday) & (s["day"] <= monday + timedelta(days=6))]
        return {
            "total_users": int(week["user_id"].nunique()),
            "new_users": int(week.loc[week["is_new"], "user_id"].nunique()),
            "returning_users": int(week.loc[~week["is_new"], "user_id"].nunique()),
        }


_SESSION_COLUMNS = {
    "channel": "sessionDefaultChannelGroup",
    "landing_page": "landingPage",
    "campaign": "sessionCampaignName",
    "new_vs_returning": "newVsReturning",
}
_EVENT_COLUMNS = {"page_path": "pagePath", "event_name": "eventName"}


def _metric(frame: pd.DataFrame, grouped, metric: str, event_scoped: bool) -> pd.Series:
    if event_scoped:
        if metric == "screenPageViews":
            return (frame["eventName"] == "page_view").groupby([frame[k] for k in grouped.keys]).sum()
        if metric == "eventCount":
            return grouped.size()
        if metric == "keyEvents":
            return grouped["is_key"].sum()
        if metric == "sessions":
            return grouped["session_id"].nunique()
        if metric == "engagedSessions":
            return frame[frame["engaged"]].groupby(grouped.keys)["session_id"].nunique()
        if metric == "sessionKeyEventRate":
            converted = frame[frame["key_events"] > 0].groupby(grouped.keys)["session_id"].nunique()
            return converted / grouped["session_id"].nunique()
    else:
        simple = {"sessions": None, "engagedSessions": "engaged", "screenPageViews": "views",
                  "eventCount": "events", "keyEvents": "key_events", "userEngagementDuration": "duration"}
        if metric in simple:
            return grouped.size() if simple[metric] is None else grouped[simple[metric]].sum()
        if metric == "sessionKeyEventRate":
            return grouped["key_events"].apply(lambda k: (k > 0).mean())
    if metric == "totalUsers":
        return grouped["user_id"].nunique()
    if metric == "newUsers":
        return frame[frame["is_new"]].groupby(grouped.keys)["user_id"].nunique()
    raise ReportError(f"metric {metric} is not supported with these dimensions")


def _fmt(value: object, metric: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "0"
    if METRIC_TYPES[metric] == "TYPE_INTEGER":
        return str(int(round(float(value))))
    return repr(float(value))


def _empty_sessions() -> pd.DataFrame:
    return pd.DataFrame()


_empty_events = _empty_sessions

"""The metric catalogue: one table in code that reports, targets validation and SQL all read.

Every metric has an id (used in ``kpi_targets.yaml`` and every mart), a Japanese and an English
name, a unit, its AARRR phase, a direction (is a higher value better?) and how it aggregates
from days to weeks (DESIGN.md §6). ``mart.metric_catalog`` is written from this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    ACQUISITION = "acquisition"
    ACTIVATION = "activation"
    RETENTION = "retention"
    REFERRAL = "referral"
    REVENUE = "revenue"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(StrEnum):
    SUM = "sum"  # additive: weekly value = sum of daily values
    RATIO = "ratio"  # recomputed from summed numerator / summed denominator at every grain
    USERS = "users"  # not additive: read from the source at the grain
    LAST = "last"  # a level (followers): the last value of the grain's days
    MEAN = "mean"  # a level sampled daily: the mean of the grain's days


class Unit(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a fraction in [0, 1], shown as %
    SECONDS = "seconds"
    PAGES = "pages"  # pages per session
    YEN = "yen"
    MULTIPLE = "multiple"  # a ratio that is often above 1 (ROAS 3.5 = ¥3.5 per ¥1 spent), shown as 3.50倍
    SCORE = "score"  # a level on a scale of its own (NPS, satisfaction 1–5): shown as 32.5, no counting noise


@dataclass(frozen=True)
class Metric:
    id: str
    name_ja: str
    name_en: str
    unit: Unit
    phase: Phase
    direction: Direction
    aggregation: Aggregation
    source: str  # "ga4", "crm" or "csv" (a custom metric's own CSV)
    definition: str
    # a ratio of two additive metrics (Σ numerator / Σ denominator at every grain), built by the
    # marts from those metrics' rows; None for ratios computed from raw columns
    numerator: str | None = None
    denominator: str | None = None

    def name(self, lang: str) -> str:
        return self.name_ja if lang == "ja" else self.name_en

    @property
    def counts_events(self) -> bool:
        """A count of events summed over days (orders, sessions, sign-ups) or of people read at
        a grain: its weeks wobble at least as much as Poisson noise, √n. A level (followers,
        ``last``/``mean``) or a score does not."""
        return self.unit is Unit.COUNT and self.aggregation in (Aggregation.SUM, Aggregation.USERS)


PHASE_NAMES: dict[Phase, dict[str, str]] = {
    Phase.ACQUISITION: {"ja": "新規ユーザー獲得", "en": "Acquisition"},
    Phase.ACTIVATION: {"ja": "ユーザー体験の最大化", "en": "Activation"},
    Phase.RETENTION: {"ja": "ユーザーの再訪", "en": "Retention"},
    Phase.REFERRAL: {"ja": "紹介", "en": "Referral"},
    Phase.REVENUE: {"ja": "収益化", "en": "Revenue"},
}

# The whitepaper's usual measures per phase: the report's "Act" hints (DESIGN.md §3).
PHASE_MEASURES: dict[Phase, dict[str, list[str]]] = {
    Phase.ACQUISITION: {"ja": ["SEO対策", "SNS活用", "広告"], "en": ["SEO", "Social media", "Advertising"]},
    Phase.ACTIVATION: {"ja": ["UI/UX改善", "モバイル対応"], "en": ["UI/UX improvements", "Mobile support"]},
    Phase.RETENTION: {"ja": ["メールマーケティング"], "en": ["E-mail marketing"]},
    Phase.REFERRAL: {"ja": ["SNS活用", "紹介キャンペーン"], "en": ["Social media", "Referral campaigns"]},
    Phase.REVENUE: {"ja": ["LPO", "EFO", "CTA改善"], "en": ["Landing-page optimisation", "Form optimisation", "CTA improvements"]},
}

_A, _ACT, _RET, _REF, _REV = Phase
_H, _L = Direction.HIGHER, Direction.LOWER
_S, _R, _U = Aggregation.SUM, Aggregation.RATIO, Aggregation.USERS

METRICS: tuple[Metric, ...] = (
    Metric("sessions", "セッション数", "Sessions", Unit.COUNT, _A, _H, _S, "ga4", "Σ sessions"),
    Metric("page_views", "PV数", "Page views", Unit.COUNT, _A, _H, _S, "ga4", "Σ screenPageViews"),
    Metric("bounce_rate", "直帰率", "Bounce rate", Unit.RATE, _A, _L, _R, "ga4", "1 − Σ engaged sessions / Σ sessions"),
    Metric("new_users", "新規ユーザー数", "New users", Unit.COUNT, _A, _H, _U, "ga4", "newUsers read at the grain"),
    Metric("avg_engagement_time", "平均滞在時間", "Avg. engagement time", Unit.SECONDS, _ACT, _H, _R, "ga4", "Σ userEngagementDuration / Σ sessions"),
    Metric("pages_per_session", "平均PV数", "Pages per session", Unit.PAGES, _ACT, _H, _R, "ga4", "Σ screenPageViews / Σ sessions"),
    Metric("exit_rate", "離脱率", "Exit rate", Unit.RATE, _ACT, _L, _R, "ga4", "Σ sessions / Σ screenPageViews (site level)"),
    Metric("event_count", "イベント発生数", "Event count", Unit.COUNT, _ACT, _H, _S, "ga4", "Σ eventCount"),
    Metric("total_users", "ユーザー数", "Total users", Unit.COUNT, _RET, _H, _U, "ga4", "totalUsers read at the grain"),
    Metric("returning_users", "リピーター数", "Returning users", Unit.COUNT, _RET, _H, _U, "ga4", "totalUsers where newVsReturning = returning, at the grain"),
    Metric("repeat_rate", "リピート率", "Repeat rate", Unit.RATE, _RET, _H, _U, "ga4", "returning users / total users of the same grain"),
    Metric("share_events", "SNSシェア数", "Share events", Unit.COUNT, _REF, _H, _S, "ga4", "Σ eventCount where eventName in the share events"),
    Metric("campaign_session_share", "キャンペーン稼働率", "Campaign session share", Unit.RATE, _REF, _H, _R, "ga4", "Σ sessions with a campaign / Σ sessions"),
    Metric("social_sessions", "SNS経由のセッション数", "Sessions from social", Unit.COUNT, _REF, _H, _S, "ga4", "Σ sessions where sessionDefaultChannelGroup is Organic Social or Paid Social"),
    Metric("key_page_views", "重要ページ訪問数", "Key-page views", Unit.COUNT, _REV, _H, _S, "ga4", "Σ screenPageViews of the key page paths"),
    Metric("conversions", "CV数", "Conversions", Unit.COUNT, _REV, _H, _S, "ga4", "Σ keyEvents"),
    Metric("converted_sessions", "CVセッション数", "Converted sessions", Unit.COUNT, _REV, _H, _S, "ga4", "Σ sessionKeyEventRate × sessions, per source row"),
    Metric("cvr", "CV率", "Conversion rate", Unit.RATE, _REV, _H, _R, "ga4", "Σ converted sessions / Σ sessions"),
    Metric("leads", "見込み顧客獲得数", "Leads", Unit.COUNT, _REV, _H, _S, "crm", "Σ leads (CRM)"),
    Metric("appointments", "アポイント数", "Appointments", Unit.COUNT, _REV, _H, _S, "crm", "Σ appointments (CRM)"),
    Metric("deals", "商談数", "Deals", Unit.COUNT, _REV, _H, _S, "crm", "Σ deals (CRM)"),
    Metric("orders", "受注数", "Orders", Unit.COUNT, _REV, _H, _S, "crm", "Σ orders (CRM)"),
    Metric("revenue", "売上", "Revenue", Unit.YEN, _REV, _H, _S, "crm", "Σ revenue (CRM)"),
    Metric("appointment_rate", "アポ率", "Appointment rate", Unit.RATE, _REV, _H, _R, "crm",
           "Σ appointments / Σ leads", "appointments", "leads"),
    Metric("meeting_rate", "商談化率", "Meeting rate", Unit.RATE, _REV, _H, _R, "crm",
           "Σ deals / Σ appointments", "deals", "appointments"),
    Metric("close_rate", "成約率", "Close rate", Unit.RATE, _REV, _H, _R, "crm",
           "Σ orders / Σ deals", "orders", "deals"),
    # Google Ads and Search Console through GA4 (only when the property is linked; else no rows)
    Metric("ad_clicks", "広告クリック数", "Ad clicks", Unit.COUNT, _A, _H, _S, "ga4", "Σ advertiserAdClicks"),
    Metric("ad_impressions", "広告表示回数", "Ad impressions", Unit.COUNT, _A, _H, _S, "ga4", "Σ advertiserAdImpressions"),
    Metric("ad_cost", "広告費", "Ad cost", Unit.YEN, _A, _L, _S, "ga4", "Σ advertiserAdCost"),
    Metric("ctr", "広告CTR", "Ad CTR", Unit.RATE, _A, _H, _R, "ga4",
           "Σ ad clicks / Σ ad impressions", "ad_clicks", "ad_impressions"),
    Metric("cpc", "広告CPC", "Ad CPC", Unit.YEN, _A, _L, _R, "ga4",
           "Σ ad cost / Σ ad clicks", "ad_cost", "ad_clicks"),
    Metric("cpa", "CPA", "CPA", Unit.YEN, _REV, _L, _R, "ga4",
           "Σ ad cost / Σ conversions (key events)", "ad_cost", "conversions"),
    Metric("roas", "ROAS", "ROAS", Unit.MULTIPLE, _REV, _H, _R, "crm",
           "Σ revenue (CRM) / Σ ad cost", "revenue", "ad_cost"),
    Metric("organic_clicks", "自然検索クリック数", "Organic search clicks", Unit.COUNT, _A, _H, _S, "ga4",
           "Σ organicGoogleSearchClicks (Search Console)"),
    Metric("organic_impressions", "自然検索表示回数", "Organic search impressions", Unit.COUNT, _A, _H, _S,
           "ga4", "Σ organicGoogleSearchImpressions (Search Console)"),
    Metric("organic_ctr", "自然検索CTR", "Organic search CTR", Unit.RATE, _A, _H, _R, "ga4",
           "Σ organic clicks / Σ organic impressions", "organic_clicks", "organic_impressions"),
)

BUILTIN_BY_ID: dict[str, Metric] = {m.id: m for m in METRICS}
# The built-in metrics plus the custom metrics of the targets files loaded in this process
# (:func:`register_custom`), so reports and KPI maths name and aggregate them like built-ins.
METRICS_BY_ID: dict[str, Metric] = dict(BUILTIN_BY_ID)

# Defaults of the breakdown metrics (a site may set its own in KPI_SITES):
# key_page_views counts views of these paths, share_events counts events with these names.
DEFAULT_KEY_PATHS: tuple[str, ...] = ("/contact", "/thanks", "/download")
DEFAULT_SHARE_EVENTS: tuple[str, ...] = ("share",)

# The sales funnel, top to bottom: the reverse funnel walks it upwards from the KGI.
FUNNEL_STAGES: tuple[str, ...] = ("leads", "appointments", "deals", "orders")


def register_custom(metrics: Iterable[Metric]) -> None:
    """Make a targets file's custom metrics known to this process (a built-in id is refused:
    the targets loader has already said so at its line)."""
    for m in metrics:
        if m.id in BUILTIN_BY_ID:
            raise ValueError(f"{m.id!r} is a built-in metric")
        METRICS_BY_ID[m.id] = m


def metric(metric_id: str) -> Metric:
    """Look up a metric; raises KeyError naming the known ids."""
    try:
        return METRICS_BY_ID[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(METRICS_BY_ID)}") from None


@dataclass(frozen=True)
class Step:
    """A ratio between two metrics of the sales path: one factor of a multiplicative driver chain."""

    id: str
    numerator: str
    denominator: str
    name_ja: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_ja if lang == "ja" else self.name_en


# The sales path, top to bottom, and the ratio between each pair of neighbours (whitepaper terms).
SALES_PATH: tuple[str, ...] = (
    "sessions", "converted_sessions", "leads", "appointments", "deals", "orders", "revenue",
)
STEPS: tuple[Step, ...] = (
    Step("cvr", "converted_sessions", "sessions", "CV率", "conversion rate"),
    Step("leads_per_conversion", "leads", "converted_sessions", "見込み顧客/CV", "leads per conversion"),
    Step("appointment_rate", "appointments", "leads", "アポイント獲得率", "appointment rate"),
    Step("meeting_rate", "deals", "appointments", "商談化率", "meeting rate"),
    Step("close_rate", "orders", "deals", "成約率", "close rate"),
    Step("revenue_per_order", "revenue", "orders", "受注単価", "revenue per order"),
    Step("conversions_per_converted_session", "conversions", "converted_sessions",
         "CV数/CVセッション", "conversions per converted session"),
)
STEPS_BY_ID: dict[str, Step] = {s.id: s for s in STEPS}

# Multiplicative driver chains (DESIGN.md §10): the goal's metric = the first metric × each step,
# e.g. 受注 = セッション × CV率 × 見込み顧客/CV × アポイント獲得率 × 商談化率 × 成約率. Only chains of
# at least three factors are worth splitting (two factors say no more than the metric itself).
FACTOR_CHAINS: dict[str, tuple[str, ...]] = {
    **{SALES_PATH[i]: SALES_PATH[: i + 1] for i in range(2, len(SALES_PATH))},
    "conversions": ("sessions", "converted_sessions", "conversions"),
}


# Ratios whose numerator and denominator are metrics of their own (Σ/Σ in mart.metrics_daily's
# numerator and denominator columns): a rate goal's change splits into its two sides. The
# catalogue's numerator/denominator metrics, plus GA4 ratios computed from raw columns.
RAW_RATIO_SIDES: dict[str, tuple[str, str]] = {
    "cvr": ("converted_sessions", "sessions"),
    "pages_per_session": ("page_views", "sessions"),
    "exit_rate": ("sessions", "page_views"),
}


def ratio_sides(metric_id: str) -> tuple[str, str] | None:
    """(numerator, denominator) metric ids of a ratio metric, built-in or custom; else None."""
    m = METRICS_BY_ID.get(metric_id)
    if m is not None and m.numerator is not None and m.denominator is not None:
        return m.numerator, m.denominator
    return RAW_RATIO_SIDES.get(metric_id)


def chain_steps(chain: tuple[str, ...]) -> tuple[Step, ...]:
    """The steps between neighbours of ``chain`` (KeyError for a pair with no step)."""
    by_pair = {(s.denominator, s.numerator): s for s in STEPS}
    return tuple(by_pair[(a, b)] for a, b in zip(chain, chain[1:], strict=False))


# Usual measures for a driver that pulls a goal down (Act hints that follow the drivers and the
# funnel bottleneck): steps of the sales side get sales-side measures, not LPO.
DRIVER_MEASURES: dict[str, dict[str, list[str]]] = {
    "cvr": PHASE_MEASURES[Phase.REVENUE],
    "leads_per_conversion": {"ja": ["EFO", "資料請求・問い合わせ導線の見直し"], "en": ["Form optimisation", "Review the enquiry and download paths"]},
    "appointment_rate": {"ja": ["リードナーチャリング", "インサイドセールスの強化"], "en": ["Lead nurturing", "Stronger inside sales"]},
    "meeting_rate": {"ja": ["営業トークの見直し", "事前ヒアリングの強化"], "en": ["Review the sales talk", "Better qualification before meetings"]},
    "close_rate": {"ja": ["提案内容の見直し", "営業トークの見直し"], "en": ["Review the proposals", "Review the sales talk"]},
    "revenue_per_order": {"ja": ["アップセル・クロスセル", "価格設計の見直し"], "en": ["Upselling and cross-selling", "Review pricing"]},
    "conversions_per_converted_session": {"ja": ["CTA改善"], "en": ["CTA improvements"]},
    "leads": {"ja": ["ホワイトペーパー・セミナーでのリード獲得", "広告"], "en": ["Lead generation with white papers and seminars", "Advertising"]},
    "landing_page": {"ja": ["LPO"], "en": ["Landing-page optimisation"]},
    "campaign": {"ja": ["キャンペーン内容・配信の見直し"], "en": ["Review the campaign's content and targeting"]},
}
# What a goal on a metric needs when it is behind: the key of DRIVER_MEASURES for the sales side
# (a stage behind is worked on at the step that feeds it; a rate at its own step), so a goal
# on アポ率 gets nurturing, one on 商談化率 or 成約率 the sales side's measures, never LPO/EFO.
# Metrics not listed get their AARRR phase's usual measures (PHASE_MEASURES).
GOAL_MEASURES: dict[str, str] = {
    "leads": "leads", "appointments": "appointment_rate", "deals": "meeting_rate",
    "orders": "close_rate", "revenue": "revenue_per_order",
    "appointment_rate": "appointment_rate", "meeting_rate": "meeting_rate", "close_rate": "close_rate",
    "cvr": "cvr", "converted_sessions": "cvr",
}


def goal_measures(metric_id: str, lang: str) -> list[str]:
    """The usual measures for a goal on ``metric_id`` that is behind (never empty for a known metric)."""
    key = GOAL_MEASURES.get(metric_id)
    if key is not None:
        return DRIVER_MEASURES[key][lang]
    m = METRICS_BY_ID.get(metric_id)
    return PHASE_MEASURES[m.phase][lang] if m is not None else []


# GA4 default channel groups and the measures that move them.
CHANNEL_MEASURES: dict[str, dict[str, list[str]]] = {
    "Organic Search": {"ja": ["SEO対策"], "en": ["SEO"]},
    "Paid Search": {"ja": ["広告"], "en": ["Advertising"]},
    "Display": {"ja": ["広告"], "en": ["Advertising"]},
    "Paid Social": {"ja": ["広告", "SNS活用"], "en": ["Advertising", "Social media"]},
    "Organic Social": {"ja": ["SNS活用"], "en": ["Social media"]},
    "Email": {"ja": ["メールマーケティング"], "en": ["E-mail marketing"]},
    "Referral": {"ja": ["紹介キャンペーン"], "en": ["Referral campaigns"]},
}

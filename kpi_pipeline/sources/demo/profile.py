"""The demo site: a Japanese B2B marketing-consultancy site, described as plain tables.

Numbers here are the knobs of the generator (levels, growth, per-channel and per-page
behaviour). They are tuned so the demo report has a story: traffic grows ~18 %/year, social
grows fastest, conversion rate slowly erodes, and orders run a little behind 100/year.
"""

from __future__ import annotations

from dataclasses import dataclass

# Site-wide levels at 2024-01-01 and their yearly growth factors.
BASE_WEEKDAY_SESSIONS = 1600.0
SESSIONS_GROWTH = 1.18
# A site renewal goes live on this day; search traffic then climbs by the lift over the ramp.
RENEWAL = ("2026-10-01", 56, 0.12)  # (go-live, ramp days, lift)
USERS_PER_SESSION = 0.86
NEW_USER_SHARE = 0.72  # falls by NEW_USER_SHARE_DRIFT a year as the audience returns more
NEW_USER_SHARE_DRIFT = 0.02
ENGAGEMENT_SECONDS = 88.0
LEAD_RATE = 0.0063  # generate_lead events per session-weight, falling a little every year
LEAD_RATE_GROWTH = 0.95
DOWNLOAD_RATE = 0.0035
SHARES_PER_DAY = 18.0
SHARES_GROWTH = 1.45


@dataclass(frozen=True)
class Channel:
    """How sessions of one default channel group behave."""

    name: str
    engagement_rate: float
    pages_per_session: float
    key_event_propensity: float


CHANNELS: tuple[Channel, ...] = (
    Channel("Organic Search", 0.58, 2.6, 1.0),
    Channel("Direct", 0.52, 2.3, 1.3),
    Channel("Referral", 0.62, 2.8, 1.2),
    Channel("Organic Social", 0.42, 1.7, 0.4),
    Channel("Paid Search", 0.50, 2.2, 1.5),
    Channel("Email", 0.66, 2.9, 1.8),
    Channel("Paid Social", 0.35, 1.6, 0.6),
    Channel("Unassigned", 0.30, 1.5, 0.5),
)
CHANNEL_INDEX = {c.name: i for i, c in enumerate(CHANNELS)}
SOCIAL_CHANNELS = ("Organic Social", "Paid Social")


@dataclass(frozen=True)
class Cell:
    """Sessions of one channel carrying one campaign name: both breakdowns are sums of cells.

    ``weight`` is the share of an ordinary day's traffic; a campaign cell's weight is scaled by
    the campaign's activity that day (0 outside its bursts). ``growth`` is a yearly factor on
    top of the site-wide growth.
    """

    channel: str
    campaign: str
    weight: float
    growth: float = 1.0
    key_event_boost: float = 1.0


NOT_SET = "(not set)"
CELLS: tuple[Cell, ...] = (
    Cell("Organic Search", "(organic)", 0.46),
    Cell("Direct", "(direct)", 0.22, growth=0.97),
    Cell("Referral", "(referral)", 0.07),
    Cell("Organic Social", NOT_SET, 0.035, growth=1.45),
    Cell("Paid Search", NOT_SET, 0.06),
    Cell("Email", NOT_SET, 0.015),
    Cell("Unassigned", NOT_SET, 0.01),
    Cell("Paid Search", "wp_kgi_download", 0.07, key_event_boost=2.5),
    Cell("Paid Social", "wp_kgi_download", 0.03, key_event_boost=2.0),
    Cell("Email", "spring_webinar", 0.025, key_event_boost=1.5),
    Cell("Paid Social", "spring_webinar", 0.03),
    Cell("Paid Social", "retargeting_q3", 0.035, key_event_boost=1.3),
    Cell("Email", "monthly_newsletter", 0.08),
)
# Campaign names GA4 uses for traffic without a campaign: excluded from campaign_session_share.
NON_CAMPAIGN_NAMES = (NOT_SET, "(direct)", "(organic)", "(referral)")


@dataclass(frozen=True)
class Page:
    """A page as a landing page (sessions) and as a page path (views)."""

    path: str
    landing_weight: float
    view_weight: float
    engagement_rate: float = 0.55
    pages_per_session: float = 2.2
    key_event_propensity: float = 1.0
    growth: float = 1.0


# Views of a page: one per session landing on it, plus (key pages) one per form submit or
# download, plus a share of the remaining views by view_weight. "(not set)" is GA4's landing
# page for sessions without a page view.
PAGES: tuple[Page, ...] = (
    Page("/", 0.26, 0.22, 0.50, 2.8, 1.0),
    Page("/service", 0.10, 0.12, 0.62, 2.9, 1.4),
    Page("/case", 0.05, 0.08, 0.65, 2.6, 1.5),
    Page("/pricing", 0.04, 0.06, 0.60, 2.4, 2.2),
    Page("/blog", 0.01, 0.05, 0.52, 2.5, 0.6, growth=1.1),
    Page("/blog/kgi-kpi-setting", 0.16, 0.13, 0.55, 1.9, 0.7, growth=1.1),
    Page("/blog/aarrr-model", 0.11, 0.09, 0.55, 1.8, 0.6, growth=1.1),
    Page("/blog/ga4-exploration", 0.08, 0.07, 0.50, 1.7, 0.5, growth=1.15),
    Page("/blog/seo-checklist", 0.07, 0.06, 0.48, 1.6, 0.4),
    Page("/company", 0.02, 0.04, 0.55, 2.3, 0.8),
    Page("/seminar", 0.005, 0.02, 0.60, 2.0, 1.5),
    Page("/download", 0.05, 0.01, 0.68, 1.8, 4.0),
    Page("/contact", 0.02, 0.01, 0.70, 1.7, 3.0),
    Page("/thanks", 0.0, 0.0),
    Page(NOT_SET, 0.01, 0.0, 0.10, 0.2, 0.0),
)
KEY_PAGES = ("/contact", "/thanks", "/download")

# Per event name: the key events are the conversions GA4 counts in keyEvents.
# fmt: off
EVENT_NAMES = (
    "page_view", "session_start", "first_visit", "user_engagement", "scroll", "click",
    "file_download", "form_submit", "generate_lead", "share",
)
# fmt: on
KEY_EVENT_NAMES = ("generate_lead", "file_download")
SHARE_EVENT = "share"

# Sales funnel (whitepaper rates) and order values in yen.
OFFLINE_LEADS_PER_BUSINESS_DAY = 1.4  # phone, events, referrals: leads GA4 never sees
ONLINE_LEAD_QUALIFICATION = 0.8  # share of generate_lead events that become CRM leads
APPOINTMENT_RATE = 0.10
# From autumn 2025 follow-up slows: the appointment rate slides to 8 % by July 2026,
# so FY2026 orders run a little behind a 100/year KGI while leads are on track.
APPOINTMENT_RATE_SLIDE = ("2025-10-01", "2026-07-01", 0.08)
DEAL_RATE = 0.50
ORDER_RATE = 0.50
ORDER_VALUE_MEDIAN = 1_000_000.0
ORDER_VALUE_RANGE = (500_000.0, 2_000_000.0)

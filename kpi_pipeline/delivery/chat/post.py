"""Post a week's check to Slack and Microsoft Teams, where most teams discuss their numbers.

One message per site and week: the week, the status counts, each KGI's progress and verdict,
the top driver or bottleneck, the Do check of the planned measures (「行動（Do）の確認」 with the
Act each calls for), and the link to the HTML report. Slack goes through
``slack_sdk``'s ``WebhookClient``; Teams (a workflow webhook) takes an Adaptive Card as plain
JSON, posted with the standard library. Each channel is tried on its own: one failing never
stops the others. A webhook URL is a secret (whoever has it can post): it is never logged, and
every error message is scrubbed of it. A channel that posted leaves ``sent-<channel>.json`` in
the week folder, so a re-run does not post twice (``force`` posts again).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from kpi_pipeline.delivery.report.render import RenderedReport
from kpi_pipeline.delivery.sent_marker import read_sent_marker, write_marker

CHANNELS = ("slack", "teams")
LABELS: dict[str, dict[str, str]] = {
    "ja": {"kpis": "KPI", "kgis": "KGI", "progress": "進捗", "driver": "主な変化",
           "bottleneck": "ボトルネック", "open": "レポートを開く", "file": "レポートのファイル",
           "no_kgis": "KGIは設定されていません"},
    "en": {"kpis": "KPIs", "kgis": "KGIs", "progress": "progress", "driver": "Biggest change",
           "bottleneck": "Bottleneck", "open": "Open the report", "file": "Report file",
           "no_kgis": "No KGIs set"},
}
# slack_sdk logs the URL of requests (at DEBUG, and at INFO when it retries): its own logger,
# switched off, never shows it; errors reach the user through ChatError instead
_SLACK_LOG = logging.getLogger("kpi_pipeline.delivery.chat.slack")
_SLACK_LOG.propagate = False
_SLACK_LOG.disabled = True


class ChatError(Exception):
    """Posting to one channel failed; the message names the channel, never the webhook URL."""

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(message)
        self.channel = channel


@dataclass(frozen=True)
class ChatTarget:
    """A channel to post to: ``slack`` or ``teams`` and its webhook URL (a secret)."""

    channel: str
    url: str = field(repr=False)
    timeout: float = 10.0

    def scrub(self, text: str) -> str:
        """``text`` without the webhook URL or its secret path."""
        parts = urlsplit(self.url)
        for secret in (self.url, parts.path + (f"?{parts.query}" if parts.query else ""),
                       parts.path):
            if secret and secret != "/":
                text = text.replace(secret, "/***")
        return text


@dataclass(frozen=True)
class ChatMessage:
    """What is said, in the report's language, before any channel's format."""

    lang: str
    title: str
    period: str
    counts: str
    kgis: tuple[str, ...]
    driver: str | None
    bottleneck: str | None
    link: str
    do_title: str | None = None  # 行動（Do）の確認, from the report's wording
    do_lines: tuple[str, ...] = ()  # one per planned measure: planned vs done, KPIs → the Act

    @property
    def web_link(self) -> bool:
        return "://" in self.link

    def label(self, key: str) -> str:
        return LABELS.get(self.lang, LABELS["en"])[key]


@dataclass(frozen=True)
class ChatResult:
    """What happened on one channel: ``sent``, ``already sent`` (with when), or ``failed``."""

    channel: str
    outcome: str
    error: str | None = None


def chat_message(report: RenderedReport, link: str) -> ChatMessage:
    """The message for ``report`` (from its manifest's summary) linking to ``link``."""
    s: dict[str, Any] = report.summary
    lang = report.lang
    labels = LABELS.get(lang, LABELS["en"])
    counts = " / ".join(f"{c['label']} {c['count']}" for c in s.get("counts", []))
    kgis = tuple(
        f"{k['name']}: {labels['progress']} {k['progress_text']} — {k['status_label']}"
        + "".join(f" ({text})" for text in _why(k) if text)
        for k in s.get("kgis", [])
    )
    do_check = s.get("do_check") or {}
    return ChatMessage(
        lang=lang, title=report.subject, period=f"{report.iso_week} {s.get('period', '')}".strip(),
        counts=counts, kgis=kgis or (labels["no_kgis"],), driver=s.get("driver"),
        bottleneck=s.get("bottleneck"), link=link, do_title=do_check.get("title"),
        do_lines=tuple(do_check.get("lines", ())),
    )


def _why(kgi: dict[str, Any]) -> tuple[str, str]:
    """Beside a KGI's status in chat: its chance and why (the report's aside), and a running
    total's weekly need. Manifests written before the chance existed carry neither."""
    return kgi.get("aside") or "", kgi.get("need") or ""


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters as entities: names from data cannot format or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(msg: ChatMessage) -> dict[str, Any]:
    """Blocks for an incoming webhook, plus ``text`` for notifications and old clients."""
    e = slack_escape
    lines = [f"*{e(msg.period)}*", f"{msg.label('kpis')}: {e(msg.counts)}", "",
             f"*{msg.label('kgis')}*", *(f"• {e(k)}" for k in msg.kgis)]
    for key, value in (("driver", msg.driver), ("bottleneck", msg.bottleneck)):
        if value:
            lines.append(f"*{msg.label(key)}*: {e(value)}")
    link = (f"<{e(msg.link)}|{e(msg.label('open'))}>" if msg.web_link
            else f"{msg.label('file')}: `{e(msg.link)}`")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": msg.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
    ]
    if msg.do_lines:
        do_check = [f"*{e(msg.do_title or '')}*", *(f"• {e(d)}" for d in msg.do_lines)]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(do_check)[:3000]}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    return {"text": f"{msg.title}\n{msg.link}", "blocks": blocks, "unfurl_links": False}


def teams_payload(msg: ChatMessage) -> dict[str, Any]:
    """A Teams workflow webhook message: one Adaptive Card attachment."""
    def text(value: str, **style: Any) -> dict[str, Any]:
        return {"type": "TextBlock", "text": value, "wrap": True, **style}

    body = [text(msg.title, weight="Bolder", size="Medium"), text(msg.period, isSubtle=True),
            text(f"{msg.label('kpis')}: {msg.counts}"),
            text(msg.label("kgis"), weight="Bolder", spacing="Medium"),
            *(text(f"- {k}") for k in msg.kgis)]
    for key, value in (("driver", msg.driver), ("bottleneck", msg.bottleneck)):
        if value:
            body.append(text(f"{msg.label(key)}: {value}"))
    if msg.do_lines:
        body += [text(msg.do_title or "", weight="Bolder", spacing="Medium"),
                 *(text(f"- {d}") for d in msg.do_lines)]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
    }
    if msg.web_link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": msg.label("open"), "url": msg.link}]
    else:
        body.append(text(f"{msg.label('file')}: {msg.link}", isSubtle=True))
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card},
    ]}


def _post_slack(target: ChatTarget, payload: dict[str, Any]) -> int:
    from slack_sdk.webhook import WebhookClient  # only when posting

    response = WebhookClient(target.url, timeout=int(max(target.timeout, 1)),
                             logger=_SLACK_LOG, retry_handlers=[]).send_dict(payload)
    if response.status_code >= 300:
        raise ChatError("slack", f"HTTP {response.status_code} {str(response.body)[:200]}")
    return response.status_code


def _post_teams(target: ChatTarget, payload: dict[str, Any]) -> int:
    request = urllib.request.Request(  # noqa: S310 (an http(s) URL: validated in settings)
        target.url, data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        body = exc.read(200).decode("utf-8", "replace")
        raise ChatError("teams", f"HTTP {exc.code} {body}") from None


_POSTERS: dict[str, Callable[[ChatTarget, dict[str, Any]], int]] = {
    "slack": _post_slack, "teams": _post_teams,
}
_PAYLOADS: dict[str, Callable[[ChatMessage], dict[str, Any]]] = {
    "slack": slack_payload, "teams": teams_payload,
}


def payload_for(channel: str, msg: ChatMessage) -> dict[str, Any]:
    """The JSON body ``channel`` receives for ``msg``."""
    return _PAYLOADS[channel](msg)


def marker_name(channel: str) -> str:
    return f"sent-{channel}.json"


def post(target: ChatTarget, msg: ChatMessage) -> int:
    """Post ``msg`` to one channel; raises :class:`ChatError` (scrubbed) on any failure."""
    try:
        return _POSTERS[target.channel](target, payload_for(target.channel, msg))
    except ChatError as exc:
        raise ChatError(target.channel, target.scrub(
            f"{target.channel} webhook refused the message: {exc}")) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or exc.__class__.__name__
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            raise ChatError(target.channel, f"the {target.channel} webhook did not answer "
                            f"within {target.timeout:g} s") from None
        raise ChatError(target.channel, target.scrub(
            f"could not reach the {target.channel} webhook ({urlsplit(target.url).hostname}): "
            f"{reason}")) from None


def send_chat(
    report: RenderedReport, targets: Iterable[ChatTarget], *, link: str, force: bool = False,
    now: datetime | None = None,
) -> list[ChatResult]:
    """Post ``report`` to every target; one result per channel, failures included (never
    raised, so every channel is tried). A channel already posted for this week and language
    is skipped unless ``force``."""
    msg = chat_message(report, link)
    results = []
    for target in targets:
        name = marker_name(target.channel)
        marker = read_sent_marker(report.out_dir, report.lang, name)
        if marker is not None and not force:
            results.append(ChatResult(target.channel, f"already sent on {marker.get('sent_at')}"))
            continue
        try:
            status = post(target, msg)
        except ChatError as exc:
            results.append(ChatResult(target.channel, "failed", str(exc)))
            continue
        sent_at = (now or datetime.now(UTC)).isoformat()
        write_marker(report.marker(name), {
            "channel": target.channel, "sent_at": sent_at, "iso_week": report.iso_week,
            "site_id": report.site_id, "lang": report.lang, "status": status, "link": link,
        })
        results.append(ChatResult(target.channel, "sent"))
    return results

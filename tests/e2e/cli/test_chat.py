"""Slack and Teams: `kpi-pipeline report --send` posts the week to each webhook (a real HTTP
server on loopback), e-mails it (a real SMTP server), and one failing channel stops no other.
Webhook URLs are secrets: their tokens never reach the output."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fixtures.report.builder import sample_report_data
from fixtures.report.smtp import HOST, RecordingHandler, free_port, smtp_server
from fixtures.report.webhook import WebhookRecorder, webhook_server
from helpers.cli import run_cli
from helpers.kpi_home import RanWeek, copy_home

from kpi_pipeline.delivery.chat.post import ChatTarget, chat_message, send_chat, slack_payload
from kpi_pipeline.delivery.report.render import render_report

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

WEEK = "2026-W47"
SLACK_PATH = "/services/T0001/B0002/SLACKTOKENxyz"
TEAMS_PATH = "/workflows/abc/triggers/manual/paths/invoke"
TEAMS_QUERY = "?api-version=1&sig=TEAMSSIGNATURE123"
BASE_URL = "https://reports.example.jp/kpi/"
SECRETS = ("SLACKTOKENxyz", "TEAMSSIGNATURE123")


@pytest.fixture
def home(ran_week_template: RanWeek, tmp_path: Path) -> Path:
    """A KPI_HOME where `run` built and rendered the week with no channel set (the session's
    run of the week), copied per test: each starts with nothing sent."""
    assert ran_week_template.result.args[1:] == ["run", "--week", WEEK]
    return copy_home(ran_week_template.home, tmp_path / "home")


def send_env(smtp_port: int, hook_port: int, **more: str) -> dict[str, str]:
    return {"SMTP_HOST": HOST, "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
            "REPORT_FROM": "KPI <kpi@example.jp>", "REPORT_TO": "team@example.jp",
            "SLACK_WEBHOOK_URL": f"http://{HOST}:{hook_port}{SLACK_PATH}",
            "TEAMS_WEBHOOK_URL": f"http://{HOST}:{hook_port}{TEAMS_PATH}{TEAMS_QUERY}", **more}


def no_secret_in(*texts: str) -> None:
    for secret in SECRETS:
        assert all(secret not in text for text in texts), secret


def test_send_posts_the_week_to_slack_and_teams_and_mails_the_link(home: Path, tmp_path: Path) -> None:
    hooks, mail = WebhookRecorder(), RecordingHandler()
    with smtp_server(mail) as smtp_port, webhook_server(hooks) as hook_port:
        env = send_env(smtp_port, hook_port, REPORT_BASE_URL=BASE_URL)
        first = run_cli("report", "--week", WEEK, "--send", home=home, cwd=tmp_path, **env)
        again = run_cli("report", "--week", WEEK, "--send", "--format", "html", home=home,
                        cwd=tmp_path, **env)
        forced = run_cli("report", "--week", WEEK, "--send", "--force", "--format", "html",
                         home=home, cwd=tmp_path, **env)

    link = f"{BASE_URL}{WEEK}/report.html"
    assert first.returncode == 0, first.stdout + first.stderr
    assert "slack: sent" in first.stdout and "teams: sent" in first.stdout
    (slack, _forced_slack) = hooks.bodies(SLACK_PATH)  # once, then once more with --force
    (teams, _forced_teams) = hooks.bodies(TEAMS_PATH)
    slack_text = str(slack["blocks"])
    assert WEEK in slack_text and "順調" in slack_text and "1年で受注100件" in slack_text
    assert "進捗" in slack_text and f"<{link}|レポートを開く>" in slack_text
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"] == link
    assert "1年で受注100件" in str(card["content"]["body"])

    message = mail.received[0].message
    text = message.get_body(("plain",)).get_content()
    assert text.splitlines()[0] == f"Web版のレポート: {link}"
    assert f'<a href="{link}">' in message.get_body(("html",)).get_content()
    assert any(p.get_content_type() == "application/pdf" for p in message.iter_attachments())

    # the re-run posts nothing and sends nothing; --force does both again
    assert again.returncode == 0, again.stdout + again.stderr
    assert "slack: already sent on" in again.stdout and "e-mail: " in again.stdout
    assert forced.returncode == 0 and len(mail.received) == 2
    no_secret_in(first.stdout, first.stderr, again.stdout, forced.stdout, forced.stderr)
    no_secret_in(*(p.read_text(encoding="utf-8") for p in (home / "reports").rglob("*.json")))


def test_a_channel_answering_500_is_named_while_the_other_and_email_still_deliver(
        home: Path, tmp_path: Path) -> None:
    hooks, mail = WebhookRecorder(status={SLACK_PATH: 500}), RecordingHandler()
    with smtp_server(mail) as smtp_port, webhook_server(hooks) as hook_port:
        env = send_env(smtp_port, hook_port)
        failed = run_cli("report", "--week", WEEK, "--send", "--format", "html", home=home,
                         cwd=tmp_path, **env)
        hooks.status.clear()  # Slack is back: the re-run posts to Slack only
        retried = run_cli("report", "--week", WEEK, "--send", "--format", "html", home=home,
                          cwd=tmp_path, **env)

    assert failed.returncode == 1
    output = " ".join((failed.stdout + failed.stderr).split())
    assert "slack failed" in output and "HTTP 500" in output
    assert "teams: sent" in failed.stdout and len(mail.received) == 1
    assert "Traceback" not in failed.stderr
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "slack: sent" in retried.stdout and "teams: already sent" in retried.stdout
    assert len(hooks.bodies(SLACK_PATH)) == 2 and len(hooks.bodies(TEAMS_PATH)) == 1
    assert len(mail.received) == 1  # the e-mail went once
    # without REPORT_BASE_URL the messages say where the file is on disk
    report = (home / "reports" / WEEK / "report.html").resolve()
    assert f"レポートのファイル: {report}" in str(hooks.bodies(TEAMS_PATH)[0])
    no_secret_in(failed.stdout, failed.stderr, retried.stdout, retried.stderr)


def test_a_refused_connection_is_named_and_chat_alone_needs_no_smtp(home: Path, tmp_path: Path) -> None:
    hooks = WebhookRecorder()
    closed = free_port()
    with webhook_server(hooks) as hook_port:
        result = run_cli(
            "report", "--week", WEEK, "--send", "--format", "html", home=home, cwd=tmp_path,
            SLACK_WEBHOOK_URL=f"http://{HOST}:{hook_port}{SLACK_PATH}",
            TEAMS_WEBHOOK_URL=f"http://{HOST}:{closed}{TEAMS_PATH}{TEAMS_QUERY}",
        )
    assert result.returncode == 1
    output = " ".join((result.stdout + result.stderr).split())
    assert "teams failed" in output and "could not reach the teams webhook" in output
    assert "slack: sent" in result.stdout and len(hooks.bodies(SLACK_PATH)) == 1
    no_secret_in(result.stdout, result.stderr)


def test_names_from_data_cannot_format_or_link_in_slack(tmp_path: Path) -> None:
    data = sample_report_data()
    evil = replace(data.kgis[0], name="<!channel> & <https://evil.example|click>")
    data = replace(data, items=(evil, *data.kpis))
    report = render_report(data, tmp_path / "2027-W18", formats={"html"}, charts=False)
    payload = str(slack_payload(chat_message(report, "https://r.example.jp/2027-W18/report.html")))
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in payload
    assert "<!channel>" not in payload


def test_a_webhook_that_does_not_answer_in_time_is_a_named_timeout(tmp_path: Path) -> None:
    import socket

    report = render_report(sample_report_data(week_start=date(2027, 5, 3)), tmp_path / "w",
                           formats={"html"}, charts=False)
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind((HOST, 0))
        silent.listen()
        url = f"http://{HOST}:{silent.getsockname()[1]}{SLACK_PATH}"
        (result,) = send_chat(report, [ChatTarget("slack", url, timeout=1.0)], link="x")
    assert result.outcome == "failed" and "did not answer within 1 s" in result.error
    assert "SLACKTOKENxyz" not in result.error
    assert not (tmp_path / "w" / "sent-slack.json").exists()


def test_the_scheduled_delivery_asset_posts_and_fails_naming_the_failing_channel(
        home: Path) -> None:
    from dagster import DagsterInstance, materialize

    from kpi_pipeline.config.sites import SiteConfig, SitesResource
    from kpi_pipeline.delivery.assets import report_email, weekly_report
    from kpi_pipeline.delivery.resources import DeliveryResource
    from kpi_pipeline.orchestration.asset_defaults import with_house_policy
    from kpi_pipeline.orchestration.partitions import partition_calendar
    from kpi_pipeline.orchestration.resources import WarehouseResource

    hooks = WebhookRecorder(status={TEAMS_PATH: 503})
    with webhook_server(hooks) as hook_port:
        result = materialize(
            with_house_policy([weekly_report, report_email],
                              partition_calendar("2024-01-01", "Asia/Tokyo")),
            partition_key="2026-11-16",
            resources={
                "warehouse": WarehouseResource(kpi_home=str(home)),
                "sites": SitesResource(sites=[SiteConfig(id="demo")]),
                "delivery": DeliveryResource(
                    formats=["html"], report_base_url=BASE_URL,
                    slack_webhook_url=f"http://{HOST}:{hook_port}{SLACK_PATH}",
                    teams_webhook_url=f"http://{HOST}:{hook_port}{TEAMS_PATH}{TEAMS_QUERY}"),
            },
            instance=DagsterInstance.ephemeral(), raise_on_error=False,
        )

    assert not result.success  # the run fails so ops see it, after every channel was tried
    (slack,) = hooks.bodies(SLACK_PATH)
    assert f"<{BASE_URL}{WEEK}/report.html|レポートを開く>" in str(slack["blocks"])
    assert len(hooks.bodies(TEAMS_PATH)) == 1
    failure = next(e for e in result.all_events if e.is_step_failure)
    text = str(failure.step_failure_data.user_failure_data)
    assert "teams" in text and "HTTP 503" in text
    logs = " ".join(str(e) for e in result.all_events)
    no_secret_in(text, logs)
    assert (home / "reports" / WEEK / "sent-slack.json").exists()
    assert not (home / "reports" / WEEK / "sent-teams.json").exists()
    assert (home / "reports" / "index.html").exists()


def test_a_webhook_setting_that_is_no_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = run_cli("report", home=tmp_path / "home", cwd=tmp_path,
                     SLACK_WEBHOOK_URL="hooks.example/T0/B0/SLACKTOKENxyz")
    assert result.returncode == 2
    assert "SLACK_WEBHOOK_URL" in result.stderr and "not an http(s) URL" in result.stderr
    no_secret_in(result.stdout, result.stderr)

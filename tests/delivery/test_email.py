"""E-mail delivery against a real SMTP server on loopback (aiosmtpd): plain, STARTTLS, TLS."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from fixtures.report.builder import copy_report, rendered_sample, with_kpi_name
from fixtures.report.smtp import (
    HOST,
    Cert,
    RecordingHandler,
    accept_login,
    free_port,
    make_cert,
    smtp_server,
)

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.delivery import (
    AlreadySentError,
    DeliveryError,
    RenderedReport,
    SmtpConfig,
    render_report,
    send_report,
)

PASSWORD = "s3cret-Passw0rd"
TO = ("marketing@example.jp", "owner@example.jp")
CC = ("analyst@example.jp",)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def report(tmp_path: Path) -> RenderedReport:
    """A private copy of the rendered sample week (sending writes sent.json / report.eml)."""
    return copy_report(rendered_sample("ja"), tmp_path / "2027-W18")


def config(port: int | None, **changes: object) -> SmtpConfig:
    values: dict[str, object] = dict(
        host=HOST, port=port, security="none", sender="KPIレポート <kpi@example.jp>",
        to=TO, cc=CC, timeout=5.0,
    )
    values.update(changes)
    return SmtpConfig(**values)  # type: ignore[arg-type]


def assert_complete_report_message(msg: EmailMessage) -> None:
    """mixed { related { alternative { plain, html }, png… }, pdf }, every cid resolvable."""
    assert msg.get_content_type() == "multipart/mixed"
    related, pdf = list(msg.iter_parts())
    assert related.get_content_type() == "multipart/related"
    alternative, *images = list(related.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html = list(alternative.iter_parts())
    assert plain.get_content_type() == "text/plain" and "3か月でCVRを1.2倍に" in plain.get_content()
    html_text = html.get_content()
    assert html.get_content_type() == "text/html" and "3か月でCVRを1.2倍に" in html_text
    cids = {img["Content-ID"].strip("<>") for img in images}
    referenced = set(re.findall(r'src="cid:([^"]+)"', html_text))
    assert referenced and referenced == cids
    for img in images:
        assert img.get_content_type() == "image/png"
        assert img.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "kpi-report-2027-W18.pdf"
    assert pdf.get_content()[:5] == b"%PDF-"


def test_report_is_delivered_over_plain_smtp_with_text_html_charts_and_pdf(
    report: RenderedReport,
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        result = send_report(report, config(port))
    (got,) = handler.received
    assert sorted(got.rcpt_tos) == sorted(TO + CC)
    assert got.mail_from == "kpi@example.jp"
    assert got.message["Subject"] == (
        "【KPIチェック】2027-W18 KGI 要注意1 ｜ KPI 順調2 / 要注意1 / 未達1 / 達成1（example.co.jp）"
    )
    assert got.message["Message-ID"] == result.message_id
    assert "Bcc" not in got.message
    assert_complete_report_message(got.message)
    assert sorted(result.accepted) == sorted(TO + CC) and result.refused == {}


def test_report_is_delivered_over_starttls_trusting_a_private_ca_file(
    report: RenderedReport, cert: Cert,
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, security="starttls", cert=cert,
                     authenticator=accept_login("kpi", PASSWORD)) as port:
        send_report(report, config(port, security="starttls", ca_file=cert.cert,
                                   username="kpi", password=PASSWORD))
    (got,) = handler.received
    assert_complete_report_message(got.message)


def test_report_is_delivered_over_implicit_tls_with_a_given_ssl_context(
    report: RenderedReport, cert: Cert,
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, security="ssl", cert=cert) as port:
        send_report(report, config(port, security="ssl"), ssl_context=cert.client_context())
    (got,) = handler.received
    assert_complete_report_message(got.message)


def test_an_untrusted_certificate_is_a_clear_tls_error(report: RenderedReport, cert: Cert) -> None:
    with smtp_server(RecordingHandler(), security="starttls", cert=cert) as port, \
            pytest.raises(DeliveryError) as caught:
        send_report(report, config(port, security="starttls"))
    message = str(caught.value)
    assert f"{HOST}:{port}" in message and "TLS" in message and "SMTP_CA_FILE" in message


def test_rejected_login_names_server_and_user_but_never_the_password(
    report: RenderedReport,
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, authenticator=accept_login("kpi", "another")) as port, \
            pytest.raises(DeliveryError) as caught:
        send_report(report, config(port, username="kpi", password=PASSWORD))
    message = str(caught.value)
    assert f"{HOST}:{port}" in message and "'kpi'" in message and "535" in message
    assert PASSWORD not in message and PASSWORD not in repr(caught.value)
    assert handler.received == []
    assert report.pdf.exists() and report.html.exists()  # the report stays on disk
    assert not (report.out_dir / "sent.json").exists()


def test_one_refused_recipient_is_named_while_the_others_receive_the_report(
    report: RenderedReport,
) -> None:
    handler = RecordingHandler(refuse={"owner@example.jp"})
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_report(report, config(port))
    message = str(caught.value)
    assert "owner@example.jp" in message and "550" in message and f"{HOST}:{port}" in message
    (got,) = handler.received
    assert sorted(got.rcpt_tos) == ["analyst@example.jp", "marketing@example.jp"]
    marker = json.loads((report.out_dir / "sent.json").read_text(encoding="utf-8"))
    assert "owner@example.jp" in marker["refused"]


def test_every_recipient_refused_is_a_clear_error_and_nothing_is_marked_sent(
    report: RenderedReport,
) -> None:
    handler = RecordingHandler(refuse=set(TO + CC))
    with smtp_server(handler) as port, pytest.raises(DeliveryError) as caught:
        send_report(report, config(port))
    message = str(caught.value)
    assert "refused every recipient" in message
    assert all(a in message for a in TO + CC)
    assert handler.received == [] and not (report.out_dir / "sent.json").exists()


def test_a_server_that_is_not_listening_is_named_and_the_report_stays_on_disk(
    report: RenderedReport,
) -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as caught:
        send_report(report, config(port, password=PASSWORD))
    message = str(caught.value)
    assert f"Could not connect to the SMTP server {HOST}:{port}" in message
    assert str(report.out_dir) in message and PASSWORD not in message
    assert report.pdf.exists()


def test_dry_run_writes_a_parseable_eml_next_to_the_report_and_sends_nothing(
    report: RenderedReport,
) -> None:
    result = send_report(report.out_dir, config(free_port()), dry_run=True)
    assert result.dry_run and result.eml_path == report.out_dir / "report.eml"
    msg = BytesParser(policy=policy.default).parsebytes(result.eml_path.read_bytes())
    assert_complete_report_message(msg)
    assert msg["To"] == "marketing@example.jp, owner@example.jp"
    assert not (report.out_dir / "sent.json").exists()


def test_a_week_already_sent_is_only_sent_again_with_force(report: RenderedReport) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        first = send_report(report, config(port))
        with pytest.raises(AlreadySentError) as caught:
            send_report(report, config(port))
        assert "force=True" in str(caught.value) and "2027-W18" in str(caught.value)
        send_report(report, config(port), force=True)
    assert len(handler.received) == 2
    marker = json.loads((report.out_dir / "sent.json").read_text(encoding="utf-8"))
    assert marker["message_id"] != first.message_id
    assert sorted(marker["recipients"]) == sorted(TO + CC)


def test_line_breaks_in_site_and_kpi_names_cannot_add_headers(tmp_path: Path) -> None:
    data = replace(
        with_kpi_name("<script>alert(1)</script>\nBcc: thief@evil.example"),
        site_label="example.jp\r\nBcc: thief@evil.example",
    )
    report = render_report(data, tmp_path / "2027-W18", formats={"html"}, charts=False)
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        send_report(report, config(port))
    (got,) = handler.received
    assert "thief@evil.example" not in got.rcpt_tos
    assert got.message.get_all("Bcc") is None
    subject = got.message["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject.endswith("（example.jp Bcc: thief@evil.example）")
    related = next(got.message.iter_parts())
    plain, html = list(next(related.iter_parts()).iter_parts())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.get_content()
    assert "<script>" not in html.get_content()
    assert "<script>alert(1)</script>" in plain.get_content()  # plain text is shown as text


def test_smtp_settings_come_from_the_environment_and_hide_the_password() -> None:
    settings = Settings.from_env({
        "SMTP_HOST": "smtp.example.jp", "SMTP_PORT": "2525", "SMTP_SECURITY": "ssl",
        "SMTP_USERNAME": "kpi", "SMTP_PASSWORD": PASSWORD, "SMTP_TIMEOUT": "7",
        "REPORT_FROM": "KPI <kpi@example.jp>", "REPORT_TO": "a@example.jp, B <b@example.jp>",
        "REPORT_CC": "c@example.jp", "SMTP_CA_FILE": "/etc/kpi/private-ca.pem",
    })
    cfg = SmtpConfig.from_settings(settings)
    assert cfg.server == "smtp.example.jp:2525" and cfg.security == "ssl" and cfg.timeout == 7
    assert cfg.recipients == ("a@example.jp", "b@example.jp", "c@example.jp")
    assert cfg.ca_file == Path("/etc/kpi/private-ca.pem")
    assert cfg.password == PASSWORD and PASSWORD not in repr(cfg)


def test_missing_or_broken_delivery_settings_are_named() -> None:
    with pytest.raises(ValueError, match="SMTP_HOST, REPORT_TO"):
        SmtpConfig.from_settings(Settings.from_env({"REPORT_FROM": "kpi@example.jp"}))
    with pytest.raises(ValueError, match="REPORT_TO"):
        SmtpConfig.from_settings(Settings.from_env({
            "SMTP_HOST": "h", "REPORT_FROM": "kpi@example.jp", "REPORT_TO": "not-an-address",
        }))


def test_default_ports_follow_the_security_mode() -> None:
    assert config(None, security="starttls").server == f"{HOST}:587"
    assert config(None, security="ssl").server == f"{HOST}:465"
    assert config(None, security="none").server == f"{HOST}:25"

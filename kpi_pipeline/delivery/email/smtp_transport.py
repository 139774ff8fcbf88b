"""Hand a message to the SMTP server: connect, TLS, login, send, and errors that say why.

Errors name the server and the recipients, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from kpi_pipeline.delivery.email.addresses import addr_spec
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig


class DeliveryError(Exception):
    """Sending failed (or was refused); the message names server and recipients."""

    def __init__(self, message: str, *, server: str = "", recipients: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.server = server
        self.recipients = recipients


def _scrub(text: str, config: SmtpConfig) -> str:
    if config.password:
        text = text.replace(config.password, "***")
    return text


def _reply(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}"


def _connect(config: SmtpConfig, context: ssl.SSLContext | None) -> smtplib.SMTP:
    host, port, timeout = config.host, config.effective_port, config.timeout
    if config.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=context or config.tls_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if config.security == "starttls":
            smtp.starttls(context=context or config.tls_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(
    msg: EmailMessage, config: SmtpConfig, context: ssl.SSLContext | None, where: str
) -> dict[str, str]:
    """Deliver; returns refused recipients (some refused). Raises DeliveryError otherwise."""
    server, rcpts = config.server, config.recipients
    who = ", ".join(rcpts)
    fail = lambda text: DeliveryError(  # noqa: E731
        _scrub(f"{text} The report was not sent; it is still in {where}.", config),
        server=server, recipients=rcpts,
    )
    try:
        smtp = _connect(config, context)
    except smtplib.SMTPAuthenticationError as exc:
        raise fail(
            f"The SMTP server {server} rejected the login of user {config.username!r} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}); check SMTP_USERNAME and SMTP_PASSWORD."
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise fail(
            f"The SMTP server {server} does not offer STARTTLS ({exc}); check SMTP_SECURITY."
        ) from None
    except ssl.SSLError as exc:
        raise fail(
            f"TLS with the SMTP server {server} failed ({exc.reason or exc}); check SMTP_SECURITY "
            "and, for a private certificate authority, SMTP_CA_FILE."
        ) from None
    except smtplib.SMTPException as exc:
        raise fail(f"The SMTP server {server} failed before sending: {exc}.") from None
    except OSError as exc:  # refused, unreachable, timed out
        reason = exc.strerror or exc.__class__.__name__
        raise fail(
            f"Could not connect to the SMTP server {server} ({config.security}): {reason}."
        ) from None
    try:
        refused = smtp.send_message(msg, from_addr=addr_spec(config.sender), to_addrs=list(rcpts))
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(f"{a} ({_reply(c, m)})" for a, (c, m) in exc.recipients.items())
        raise fail(f"The SMTP server {server} refused every recipient: {detail}.") from None
    except smtplib.SMTPSenderRefused as exc:
        raise fail(
            f"The SMTP server {server} refused the sender {exc.sender} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}) for recipients {who}."
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise fail(
            f"The SMTP server {server} refused the message for {who} "
            f"({_reply(exc.smtp_code, exc.smtp_error)})."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(f"Sending to {who} via {server} failed: {exc}.") from None
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return {a: _reply(c, m) for a, (c, m) in refused.items()}

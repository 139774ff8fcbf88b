"""E-mail addresses and header text from settings and data: validated, one line each.

Every header value passes through :func:`header_text`, so a name from data cannot add a header.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import getaddresses

from kpi_pipeline.errors import UserError

_CONTROL = {c: " " for c in range(32)} | {0x7F: " ", 0x85: " ", 0x2028: " ", 0x2029: " "}


class AddressError(UserError):
    """An e-mail setting is not usable (missing, not an address, a line break): the user's to fix."""

    title = "e-mail settings are wrong"


def header_text(value: str) -> str:
    """One line of header text: CR, LF and other control characters become spaces."""
    return " ".join(str(value).translate(_CONTROL).split())


def parse_addresses(value: str | None, field_name: str) -> tuple[str, ...]:
    """``a@x.jp, 名前 <b@y.jp>`` → addresses, validated; raises ValueError naming the field."""
    if not value or not value.strip():
        return ()
    if any(c in value for c in "\r\n\0"):
        raise AddressError(f"{field_name} contains a line break")
    out = []
    for name, addr in getaddresses([value]):
        if not addr or "@" not in addr or " " in addr:
            raise AddressError(f"{field_name}: {addr or value!r} is not an e-mail address")
        out.append(str(Address(display_name=header_text(name), addr_spec=addr)) if name else addr)
    return tuple(out)


def addr_spec(address: str) -> str:
    """The bare ``user@host`` of ``Name <user@host>``."""
    return getaddresses([address])[0][1]

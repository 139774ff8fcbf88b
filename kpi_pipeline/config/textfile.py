"""Read a text file a person wrote (targets, sites, CRM export) as UTF-8, or say where it is not.

Spreadsheets and Windows editors save Shift_JIS or UTF-16; a directory or an unreadable path
is given by mistake. Each becomes a :class:`TextFileError` naming the file (and the line of the
first byte that is not UTF-8), never a ``UnicodeDecodeError`` traceback.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from kpi_pipeline.errors import UserError


class TextFileError(UserError):
    """The file cannot be read as UTF-8 text; ``line`` is 1-based or None."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


def read_utf8(path: Path, setting: str | None = None) -> str:
    """The file's text (a UTF-8 byte order mark is dropped); :class:`TextFileError` otherwise.

    ``setting`` names the variable that chose the file, so "file not found" says what to fix.
    """
    hint = f" (set {setting} to an existing file)" if setting else ""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TextFileError(path, None, f"file not found{hint}") from None
    except IsADirectoryError:
        raise TextFileError(path, None, f"is a directory, not a file{hint}") from None
    except OSError as exc:
        raise TextFileError(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TextFileError(
            path, line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None


EXCEL_UTF8_HINT = "in Excel: 名前を付けて保存 → 「CSV UTF-8 (コンマ区切り) (*.csv)」 (Save As → CSV UTF-8)"


def read_spreadsheet_text(path: Path, setting: str | None = None) -> str:
    """Text of a CSV saved by a spreadsheet: UTF-8, UTF-16 (with its byte order mark, Excel's
    "Unicode text") or Shift_JIS/CP932 (Excel's plain "CSV" on Japanese Windows).

    Shift_JIS is tried only after UTF-8 failed; bytes that are neither raise a
    :class:`TextFileError` at the line of the first bad byte, saying how to save as UTF-8.
    """
    try:
        return read_utf8(path, setting)
    except TextFileError as exc:
        if exc.line is None:  # missing, a directory, unreadable
            raise
        raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError as exc:
        line, byte = raw[: exc.start].count(b"\n") + 1, raw[exc.start]
    else:
        # CP932 maps stray bytes (0x80, 0xa0, 0xfd-0xff) to control or private-use characters
        odd = next((i for i, ch in enumerate(text)
                    if ch not in "\r\n\t" and unicodedata.category(ch) in ("Cc", "Co", "Cn")), None)
        if odd is None:
            return text
        line, byte = text[:odd].count("\n") + 1, ord(text[odd]) if ord(text[odd]) < 256 else 0
    raise TextFileError(
        path, line, f"neither UTF-8 nor Shift_JIS text (byte 0x{byte:02x}); "
        f"save it as UTF-8: {EXCEL_UTF8_HINT}"
    )

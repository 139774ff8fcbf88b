"""What a user sees when the targets file is wrong: one line per mistake, naming file, line, field."""

from __future__ import annotations

from dataclasses import dataclass

from kpi_pipeline.errors import UserError


@dataclass(frozen=True)
class TargetIssue:
    """One mistake in the targets file; ``line`` is 1-based (None when the file cannot be read)."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class TargetsError(UserError):
    """The targets file has mistakes; all of them are in ``issues``, in file order."""

    title = "targets file has errors"
    listing = True

    def __init__(self, issues: list[TargetIssue]) -> None:
        # by file (the targets file first, then a measures file or done CSV it names), then line
        files = {name: i for i, name in enumerate(dict.fromkeys(i.file for i in issues))}
        self.issues = sorted(issues, key=lambda i: (files[i.file], i.line or 0, i.field))
        super().__init__("\n".join(str(i) for i in self.issues))

    @property
    def hint(self) -> str:
        """``3 problems in kpi_targets.yaml (see docs/targets.md)``."""
        count = len(self.issues)
        names = " and ".join(dict.fromkeys(i.file for i in self.issues)) or "the file"
        return f"{count} problem{'s' if count != 1 else ''} in {names} (see docs/targets.md)"

"""Where the repository, its docs and the tests' fixtures are, wherever a test module sits."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
FIXTURES = REPO_ROOT / "tests" / "fixtures"

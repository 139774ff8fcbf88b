"""Move a stylesheet into ``style`` attributes, because mail clients drop most ``<style>`` rules.

Done by ``css-inline`` (a full CSS selector engine): every selector of ``report.css`` reaches
the e-mail, not only the simple ones. At-rules (``@media``) cannot live in an attribute; they
stay in one ``<style>`` block for the clients that read it. Nothing is fetched from the network.
"""

from __future__ import annotations

import css_inline


def inline_css(document: str, css: str | None = None) -> str:
    """``document`` with its ``<style>`` rules (and ``css``, if given) as ``style`` attributes."""
    inliner = css_inline.CSSInliner(
        keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False, extra_css=css,
    )
    return inliner.inline(document)

"""Move a stylesheet into ``style`` attributes, because mail clients drop ``<style>`` blocks.

Deliberately small: it understands the selectors our own stylesheet uses for e-mail (``tag``,
``.class``, ``tag.class``, comma lists) and skips every other rule (descendants, pseudo-classes,
at-rules). It rewrites start tags of HTML that our templates produced, where every value from
data is already escaped, so a tag never contains a raw ``<`` or ``>``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SIMPLE = re.compile(r"^([a-z][a-z0-9]*)?((?:\.[A-Za-z0-9_-]+)*)$")
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*?)?(/?)>")
_ATTR = re.compile(r'\s(class|style)="([^"]*)"')
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style>", re.S | re.I)


@dataclass(frozen=True)
class _Rule:
    tag: str | None
    classes: frozenset[str]
    declarations: tuple[tuple[str, str], ...]
    specificity: int
    order: int

    def matches(self, tag: str, classes: set[str]) -> bool:
        return (self.tag is None or self.tag == tag) and self.classes <= classes


def _strip_at_rules(css: str) -> str:
    """Remove ``@media {...}``, ``@page {...}`` and the like (nested braces included)."""
    out, i = [], 0
    while i < len(css):
        at = css.find("@", i)
        if at < 0:
            out.append(css[i:])
            break
        out.append(css[i:at])
        brace, semi = css.find("{", at), css.find(";", at)
        if semi >= 0 and (brace < 0 or semi < brace):
            i = semi + 1
            continue
        depth, j = 0, brace
        while j < len(css):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    return "".join(out)


def parse_rules(css: str) -> list[_Rule]:
    """The simple rules of ``css`` in source order."""
    css = _strip_at_rules(_COMMENT.sub("", css))
    rules: list[_Rule] = []
    for order, match in enumerate(re.finditer(r"([^{}]+)\{([^{}]*)\}", css)):
        selectors, body = match.group(1), match.group(2)
        declarations = tuple(
            (prop.strip().lower(), value.strip())
            for prop, sep, value in (d.partition(":") for d in body.split(";"))
            if sep and prop.strip() and value.strip()
        )
        for selector in selectors.split(","):
            simple = _SIMPLE.match(selector.strip())
            if not simple or not selector.strip():
                continue
            tag, classes = simple.group(1), frozenset(c for c in simple.group(2).split(".") if c)
            spec = (1 if tag else 0) + 10 * len(classes)
            rules.append(_Rule(tag, classes, declarations, spec, order))
    return rules


def inline_css(document: str, css: str) -> str:
    """``document`` with ``css`` applied as ``style`` attributes and ``<style>`` blocks removed."""
    rules = sorted(parse_rules(css), key=lambda r: (r.specificity, r.order))
    body = _STYLE_BLOCK.sub("", document)

    def rewrite(m: re.Match[str]) -> str:
        tag, attrs, close = m.group(1).lower(), m.group(2) or "", m.group(3)
        found = {name: value for name, value in _ATTR.findall(attrs)}
        classes = set(html.unescape(found.get("class", "")).split())
        merged: dict[str, str] = {}
        for rule in rules:
            if rule.matches(tag, classes):
                merged.update(rule.declarations)
        if not merged:
            return m.group(0)
        own = html.unescape(found.get("style", ""))
        for prop, sep, value in (d.partition(":") for d in own.split(";")):
            if sep and prop.strip():
                merged[prop.strip().lower()] = value.strip()
        style = "; ".join(f"{k}: {v}" for k, v in merged.items())
        rest = re.sub(r'\sstyle="[^"]*"', "", attrs)
        return f'<{m.group(1)}{rest} style="{html.escape(style, quote=True)}"{close}>'

    return _START_TAG.sub(rewrite, body)

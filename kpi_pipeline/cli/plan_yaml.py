"""The plan draft as YAML: the user's targets file with the drafted KPIs added, comments kept.

The file is read with ruamel's round-trip loader, so every comment and the layout of what is
already there survive; the draft adds, under the KGI: the measured rates to the KGI's
``funnel:`` (so the report's reverse funnel and the KPIs agree), the web rate as a ratio metric
under ``metrics:``, and the KPIs under ``kpis:``, each with comments saying how its number was
worked back and whether it can be done (Japanese or English).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.catalog import METRICS_BY_ID
from kpi_pipeline.config.yaml_file import load_yaml
from kpi_pipeline.delivery.wording.formatting import Formatter
from kpi_pipeline.kpi.funnel.draft import (
    MEASURED_WEEKS,
    WEB_RATE_METRIC,
    WEB_STAGE,
    Draft,
    DraftKpi,
    Feasibility,
    Instead,
    RateSource,
    Step,
)
from kpi_pipeline.kpi.funnel.plan import STAGE_NAMES, rate_name, stage_name
from kpi_pipeline.targets.model import Pacing

WEB_RATE_NAMES = {"ja": "セッションからの見込み顧客獲得率", "en": "leads per session"}
TEXT: dict[str, dict[str, str]] = {
    "head": {
        "ja": "── kpi-pipeline plan の下書き: {kgi} [{id}] {start}〜{end}（{weeks}週）──",
        "en": "── draft by kpi-pipeline plan: {kgi} [{id}] {start} – {end} ({weeks} weeks) ──",
    },
    "how": {
        "ja": "KGIの{total}から各段階の必要数を逆算しました（段階ごとに切り上げ）。転換率の「計画」はKGIの funnel: の率、"
              "「実績」は直近{n}週（{first}〜{last}）の実績です。",
        "en": "Each stage's need worked back from the KGI's {total} (rounded up at every stage). Rates "
              "are 'planned' (the KGI's funnel:) or 'measured' (the last {n} weeks, {first} – {last}).",
    },
    "how_no_history": {
        "ja": "倉庫に履歴がないため、KGIの funnel: に書かれた計画の転換率だけで逆算しました（実現性は判定できません）。",
        "en": "The warehouse has no history: worked back from the KGI's {total} with the planned rates of its "
              "funnel: only (feasibility cannot be judged).",
    },
    "feasibility_how": {
        "ja": "実現性: 必要な週あたりの水準を、直近{n}週の水準と過去1年で最高の4週と比べています。",
        "en": "Feasibility: the weekly level each needs against the last {n} weeks and the best 4 "
              "weeks of the last year.",
    },
    "unknown_step": {
        "ja": "{upper}→{below}の転換率がわからないため、ここで止めています: KGIの funnel: に "
              "{{stage: {stage}, rate: 0.1}} のように書くか、履歴がたまってから再実行してください。",
        "en": "Stopped here: the rate from {upper} to {below} is unknown. Write it in the KGI's funnel: "
              "({{stage: {stage}, rate: 0.1}}), or run plan again once the warehouse has history.",
    },
    "no_web": {
        "ja": "セッション数の履歴がないため、Web側のKPI（セッション数と見込み顧客獲得率）は下書きに含めていません。",
        "en": "No history of sessions: the web KPIs (sessions and leads per session) are left out.",
    },
    "check": {
        "ja": "内容を確かめてから確認してください: kpi-pipeline targets check <このファイル>",
        "en": "Review it, then check it: kpi-pipeline targets check <this file>",
    },
    "kgi_line": {"ja": "KGI（{name}）の{feasibility}", "en": "KGI ({name}) {feasibility}"},
    "chain": {
        "ja": "逆算: {below}{need}{below_unit} ÷ {rate} {value}（{source}）= {name}{total}{unit}（週{per_week}{unit}）",
        "en": "worked back: {need} {below} ÷ {rate} {value} ({source}) = {total} {name} ({per_week} a week)",
    },
    "assumes": {
        "ja": "前提: {rate} {value}（{source}）。この率を下回ると上の段階の必要数が足りなくなります",
        "en": "assumes: {rate} {value} ({source}); below it, the stages above fall short",
    },
    "feasibility": {
        "ja": "実現性: 週{needed}が必要 / 直近{n}週 {recent}・過去1年で最高の4週 {best} → {grade}",
        "en": "feasibility: needs {needed} a week / last {n} weeks {recent}, best 4 weeks of the last year {best} → {grade}",
    },
    "feasibility_rate": {
        "ja": "実現性: {needed}が必要 / 直近{n}週 {recent}・過去1年で最高の4週 {best} → {grade}",
        "en": "feasibility: needs {needed} / last {n} weeks {recent}, best 4 weeks of the last year {best} → {grade}",
    },
    "chance_at_start": {"ja": "・開始時点の達成確率 {pct}", "en": "; chance at the start {pct}"},
    "grade_within_reach": {"ja": "直近の水準で届きます", "en": "within reach at the recent level"},
    "grade_stretch": {"ja": "直近より高い水準ですが、過去1年の最高の4週なら届きます",
                      "en": "above the recent level, within the best 4 weeks of the last year"},
    "grade_unrealistic": {"ja": "⚠ 過去1年で一度も4週続けて届いていない水準です",
                          "en": "⚠ never reached for 4 weeks in a row in the last year"},
    "grade_unknown": {"ja": "履歴がないため判定できません", "en": "no history to judge it by"},
    "instead_rate": {
        "ja": "代わりに: {upper}が最高の4週の水準（{best_volume}）のままなら、{rate}を{needed}に上げる必要があります（過去1年の最高 {best}）",
        "en": "instead: with {upper} at its best 4 weeks ({best_volume} a week), the {rate} would have to be {needed} (best of the last year {best})",
    },
    "instead_volume": {
        "ja": "代わりに: {rate}が過去1年の最高（{best_rate}）でも、{upper}が{needed}必要です（過去1年の最高 {best}）",
        "en": "instead: even at the best {rate} of the last year ({best_rate}), {upper} would have to be {needed} a week (best of the last year {best})",
    },
    "instead_kgi": {
        "ja": "KGIそのものが過去1年の最高の4週（週{best}）を超えています: 目標か期間の見直しを検討してください",
        "en": "the KGI itself asks for more than its best 4 weeks of the last year ({best} a week): consider a lower target or a longer period",
    },
    "beyond_best": {
        "ja": "それも過去1年の最高を超えるため、1つの変更では届きません: KGIの目標か期間も見直してください",
        "en": "that is beyond the best of the last year too: no single change will do; revisit the KGI's target or period",
    },
    "source_planned": {"ja": "計画", "en": "planned"},
    "source_measured": {"ja": "実績", "en": "measured"},
    "baseline": {"ja": "直近{n}週: {level}", "en": "last {n} weeks: {level} a week"},
    "baseline_rate": {"ja": "直近{n}週: {level}", "en": "last {n} weeks: {level}"},
    "rate_step": {"ja": "{rate}: {source}（{first}〜{last}）", "en": "{rate}: {source} ({first} – {last})"},
    "name_volume": {"ja": "{period}で{name}{total}{unit}", "en": "{total} {name} in {period}"},
    "name_rate": {"ja": "{name}を{value}以上に保つ", "en": "Keep the {name} at {value} or more"},
    "period_year": {"ja": "{n}年", "en": "{n} year{s}"},
    "period_month": {"ja": "{n}ヶ月", "en": "{n} month{s}"},
    "period_week": {"ja": "{n}週", "en": "{n} week{s}"},
    "metric_web_rate": {"ja": "見込み顧客獲得率（セッションあたり）", "en": "Leads per session"},
    "unit_count": {"ja": "件", "en": ""},
}


class _Words:
    """The draft's text in one language."""

    def __init__(self, lang: str) -> None:
        self.lang, self.f = lang, Formatter(lang)

    def __call__(self, key: str, **values: object) -> str:
        return TEXT[key][self.lang].format(**values)

    def name(self, metric_id: str) -> str:
        """A stage's name (受注, leads) or a metric's (セッション数, sessions)."""
        if metric_id in STAGE_NAMES:
            return stage_name(metric_id, self.lang)
        if metric_id == WEB_RATE_METRIC:
            return WEB_RATE_NAMES[self.lang]
        found = METRICS_BY_ID.get(metric_id)
        return found.name(self.lang) if found else metric_id

    def rate_name(self, step: Step) -> str:
        if step.upper == WEB_STAGE:
            return WEB_RATE_NAMES[self.lang]
        return rate_name(step.upper, step.below, self.lang)

    def unit(self, metric_id: str) -> str:
        return self("unit_count") if metric_id in STAGE_NAMES else ""

    def level(self, metric_id: str, value: float | None, *, rate: bool = False) -> str:
        """A weekly level: 3.7件 / 20,224 (a week), or a rate 7.16%."""
        if rate:
            return self.f.rate(value)
        text = self.f.count(value)
        return f"週{text}{self.unit(metric_id)}" if self.lang == "ja" and value is not None else text

    def source(self, step: Step) -> str:
        return self(f"source_{step.source.value}")

    def period(self, days: int) -> str:
        """1年 / 6ヶ月 / 10週 (en: 1 year, 6 months, 10 weeks)."""
        for key, length in (("period_year", 365.25), ("period_month", 30.44), ("period_week", 7)):
            n = days / length
            if round(n) >= 1 and abs(n - round(n)) < 0.05:
                return self(key, n=round(n), s="" if round(n) == 1 else "s")
        return self("period_week", n=f"{days / 7:.0f}", s="s")


def _feasibility(w: _Words, metric_id: str, found: Feasibility, *, rate: bool = False) -> list[str]:
    """The feasibility line and, for an unrealistic step, what would have to change instead."""
    lines = [w("feasibility_rate" if rate else "feasibility", n=MEASURED_WEEKS,
               needed=w.level(metric_id, found.needed, rate=rate).removeprefix("週"),
               recent=w.level(metric_id, found.recent, rate=rate),
               best=w.level(metric_id, found.best, rate=rate), grade=w(f"grade_{found.grade.value}"))]
    if found.chance is not None:
        lines[0] += w("chance_at_start", pct=f"{found.chance:.0%}")
    if found.instead is not None:
        lines.append(_instead(w, found.instead))
    return lines


def _instead(w: _Words, instead: Instead) -> str:
    """What would have to change instead of an unrealistic step."""
    if instead.kind == "kgi":
        return w("instead_kgi", best=w.f.count(instead.best))
    step = Step(instead.upper or "", instead.below or "", 0.0, RateSource.MEASURED)
    upper, rate = w.name(step.upper), w.rate_name(step)
    if instead.kind == "rate":
        text = w("instead_rate", upper=upper, rate=rate, needed=w.f.rate(instead.needed),
                 best=w.f.rate(instead.best), best_volume=w.level(step.upper, instead.held))
    else:
        text = w("instead_volume", upper=upper, rate=rate, needed=w.level(step.upper, instead.needed),
                 best=w.level(step.upper, instead.best), best_rate=w.f.rate(instead.held))
    if instead.beyond_best:
        text += ("。" if w.lang == "ja" else ". ") + w("beyond_best")
    return text


def _flow(**values: Any) -> CommentedMap:
    node = CommentedMap(values)
    node.fa.set_flow_style()
    return node


def _unique(wanted: str, taken: set[str]) -> str:
    found, n = wanted, 1
    while found in taken:
        n += 1
        found = f"{wanted}_{n}"
    taken.add(found)
    return found


def _dumper(text: str) -> YAML:
    """A round-trip dumper that indents lists as the file does (``  - id:`` by default)."""
    _, indent, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold a long name or comment
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=indent or 4, offset=offset if indent else 2)
    return yaml


def _block(root: CommentedMap, key: str, *, after: str | None = None, before: str | None = None) -> CommentedSeq:
    """``root[key]`` as a block list (created after ``after`` or before ``before`` when missing
    or empty; else at the end)."""
    found = root.get(key)
    if isinstance(found, CommentedSeq) and found:
        found.fa.set_block_style()
        return found
    seq = CommentedSeq()
    if key in root:
        root[key] = seq
    else:
        keys = list(root)
        at = keys.index(after) + 1 if after in keys else keys.index(before) if before in keys else len(keys)
        root.insert(at, key, seq)
    return seq


def _open_up(items: CommentedSeq, node: CommentedMap) -> None:
    """A one-line (flow) item as block lines, to take a block list and comments; the comment
    at the end of its line moves to its first key."""
    if not node.fa.flow_style():
        return
    node.fa.set_block_style()
    index = next(i for i, item in enumerate(items) if item is node)
    tokens = items.ca.items.get(index)
    if tokens and tokens[0] is not None and node:
        items.ca.items.pop(index)
        node.yaml_add_eol_comment(tokens[0].value.strip().removeprefix("#").strip(), next(iter(node)))


def _day(day: date) -> date:
    """A date of its own: the same object twice would be written as a YAML anchor and alias."""
    return date(day.year, day.month, day.day)


class DraftWriter:
    """Adds drafts to one targets file's round-trip document."""

    def __init__(self, root: CommentedMap, lang: str) -> None:
        self.root, self.w = root, _Words(lang)
        self.goal_ids = {str(item.get("id")) for key in ("kgis", "kpis")
                         for item in root.get(key) or [] if isinstance(item, CommentedMap)}
        self.metric_ids = {str(m.get("id")) for m in root.get("metrics") or [] if isinstance(m, CommentedMap)}

    def add(self, draft: Draft) -> None:
        kgi = next(n for n in self.root["kgis"] if isinstance(n, CommentedMap) and n.get("id") == draft.kgi.id)
        self._funnel(kgi, draft)
        web_metric = self._web_metric() if any(k.metric_id == WEB_RATE_METRIC for k in draft.kpis) else None
        kpis = _block(self.root, "kpis", after="kgis")
        totals = {draft.kgi.metric_id: int(-(-(draft.kgi.target.value or 0) // 1))}
        totals.update({k.metric_id: k.total for k in draft.kpis if k.total is not None})
        for i, kpi in enumerate(draft.kpis):
            kpis.append(self._kpi(draft, kpi, web_metric))
            lines = (self._header(draft) if i == 0 else []) + self._explain(draft, kpi, totals)
            kpis.yaml_set_comment_before_after_key(len(kpis) - 1, before="\n" + "\n".join(lines), indent=2)

    def _funnel(self, kgi: CommentedMap, draft: Draft) -> None:
        """The measured rates added to the KGI's funnel, so the reverse funnel uses them too."""
        written = {str(s.get("stage")) for s in kgi.get("funnel") or [] if isinstance(s, CommentedMap)}
        new = [s for s in draft.steps if s.upper != WEB_STAGE and s.upper not in written]
        if not new or draft.measured is None:
            return
        _open_up(self.root["kgis"], kgi)
        funnel = _block(kgi, "funnel", after="target")
        first, last = (iso_week_label(d) for d in draft.measured)
        for step in new:
            funnel.append(_flow(stage=step.upper, rate=step.rate))
            funnel.yaml_add_eol_comment(self.w("rate_step", rate=self.w.rate_name(step), source=self.w.source(step),
                                               first=first, last=last), len(funnel) - 1)

    def _web_metric(self) -> str:
        """The ratio metric leads / sessions: the file's own if it has one, else declared here."""
        for m in self.root.get("metrics") or []:
            ratio = m.get("ratio") if isinstance(m, CommentedMap) else None
            if isinstance(ratio, CommentedMap) and (ratio.get("numerator"), ratio.get("denominator")) == ("leads", WEB_STAGE):
                return str(m["id"])
        metric_id = _unique(WEB_RATE_METRIC, self.metric_ids)
        metrics = _block(self.root, "metrics", before="kgis")
        metrics.append(_flow(id=metric_id, name=TEXT["metric_web_rate"]["ja"], name_en=TEXT["metric_web_rate"]["en"],
                             phase="revenue", ratio=_flow(numerator="leads", denominator=WEB_STAGE)))
        return metric_id

    def _kpi(self, draft: Draft, kpi: DraftKpi, web_metric: str | None) -> CommentedMap:
        w, kgi = self.w, draft.kgi
        metric_id = web_metric if kpi.metric_id == WEB_RATE_METRIC and web_metric else kpi.metric_id
        node = CommentedMap()
        node["id"] = _unique(f"{kgi.id}_{metric_id}", self.goal_ids)
        if kpi.rate_kpi:
            node["name"] = w("name_rate", name=w.rate_name(kpi.step), value=w.f.rate(kpi.step.rate))
        else:
            name = w.name(kpi.metric_id)
            node["name"] = w("name_volume", period=w.period(kgi.days), total=f"{kpi.total:,}",
                             unit=w.unit(kpi.metric_id), name=name if w.lang == "ja" else name.lower())
        node.update(kgi=kgi.id, metric=metric_id, start=_day(kgi.start), deadline=_day(kgi.deadline))
        if draft.baseline is not None:
            node["baseline"] = _flow(**{"from": _day(draft.baseline[0]), "to": _day(draft.baseline[1])})
            if draft.baseline == draft.measured and kpi.feasibility.recent is not None:
                level = w.level(kpi.metric_id, kpi.feasibility.recent, rate=kpi.rate_kpi)
                key = "baseline_rate" if kpi.rate_kpi else "baseline"
                node.yaml_add_eol_comment(w(key, n=MEASURED_WEEKS, level=level), "baseline")
        if kpi.rate_kpi:
            node["target"] = _flow(at_least=kpi.step.rate)
        else:
            node["target"] = _flow(value=kpi.total)
            node["measure"] = "cumulative"
            if kgi.pacing is not Pacing.LINEAR:
                node["pacing"] = kgi.pacing.value
        return node

    def _header(self, draft: Draft) -> list[str]:
        w, kgi = self.w, draft.kgi
        total = f"{stage_name(kgi.metric_id, w.lang)}{kgi.target.value:,.0f}{w.unit(kgi.metric_id)}" if w.lang == "ja" \
            else f"{kgi.target.value:,.0f} {stage_name(kgi.metric_id, w.lang)}"
        lines = [w("head", kgi=kgi.name, id=kgi.id, start=kgi.start, end=kgi.deadline, weeks=f"{draft.weeks:.1f}")]
        if draft.measured is not None:
            first, last = (iso_week_label(d) for d in draft.measured)
            lines += [w("how", total=total, n=MEASURED_WEEKS, first=first, last=last),
                      w("feasibility_how", n=MEASURED_WEEKS),
                      w("kgi_line", name=stage_name(kgi.metric_id, w.lang),
                        feasibility=" ".join(_feasibility(w, kgi.metric_id, draft.kgi_feasibility)))]
        else:
            lines.append(w("how_no_history", total=total))
        if draft.unknown_step is not None:
            upper, below = draft.unknown_step
            lines.append(w("unknown_step", upper=w.name(upper), below=w.name(below), stage=upper))
        elif not any(s.upper == WEB_STAGE for s in draft.steps):
            lines.append(w("no_web"))
        return [*lines, w("check"), ""]

    def _explain(self, draft: Draft, kpi: DraftKpi, totals: dict[str, int]) -> list[str]:
        """How the KPI's number came about, and its feasibility."""
        w, step = self.w, kpi.step
        value = w.f.rate(step.rate)
        if kpi.rate_kpi:
            lines = [w("assumes", rate=w.rate_name(step), value=value, source=w.source(step))]
        else:
            total = kpi.total or 0
            lines = [w("chain", below=w.name(step.below), need=f"{totals.get(step.below, 0):,}",
                       below_unit=w.unit(step.below), unit=w.unit(step.upper), rate=w.rate_name(step), value=value, source=w.source(step),
                       name=w.name(step.upper), total=f"{total:,}",
                       per_week=w.f.count(total / draft.weeks))]
        if draft.has_history:
            lines += _feasibility(w, kpi.metric_id, kpi.feasibility, rate=kpi.rate_kpi)
        return lines


def relative_files(path: Path) -> list[str]:
    """Files the targets file at ``path`` names relative to itself (CSV metrics, the measures
    file, done logs): a copy of it elsewhere would not find them."""
    root = load_yaml(path)
    names = [m.get("csv", {}).get("file") for m in root.get("metrics") or [] if isinstance(m, CommentedMap)]
    measures = root.get("measures")
    names.append(measures if isinstance(measures, str) else None)
    names += [m.get("done") for m in measures or [] if isinstance(m, CommentedMap)] if not isinstance(measures, str) else []
    return [n for n in names if isinstance(n, str) and not Path(n).expanduser().is_absolute()]


def draft_text(path: Path, text: str, drafts: list[Draft], lang: str) -> str:
    """The targets file at ``path`` (its ``text``) with ``drafts`` added, as YAML."""
    root = load_yaml(path)
    writer = DraftWriter(root, lang)
    for draft in drafts:
        writer.add(draft)
    out = io.StringIO()
    _dumper(text).dump(root, out)
    return out.getvalue().rstrip("\n") + "\n"



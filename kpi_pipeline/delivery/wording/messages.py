"""Every label of the report in Japanese and English: templates never hard-code text.

Terms follow the KGI/KPI whitepaper (見るべき指標, 主な施策, 逆算, 見込み顧客獲得, アポイント, 商談,
受注・リピート). Placeholders are ``str.format`` fields; values are inserted as plain text and
escaped by the template like any other value.
"""

from __future__ import annotations

from collections.abc import Callable

from kpi_pipeline.kpi.judgement.status import STATUS_NAMES

LANGS: tuple[str, ...] = ("ja", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # header
    "title": {"ja": "週次KPIチェックレポート", "en": "Weekly KPI check report"},
    "site": {"ja": "サイト", "en": "Site"},
    "period": {"ja": "対象期間", "en": "Period"},
    "iso_week": {"ja": "週", "en": "Week"},
    "generated": {"ja": "作成日時", "en": "Generated"},
    "page_footer": {"ja": "KPIパイプライン", "en": "KPI pipeline"},
    # summary
    "summary": {"ja": "サマリー", "en": "Summary"},
    "kgi_status": {"ja": "KGI（最終目標）の状況", "en": "KGIs (final goals)"},
    "kpi_status": {"ja": "KPI（中間目標）の状況", "en": "KPIs (intermediate goals)"},
    "kpi_count": {"ja": "{n}件", "en": "{n}"},
    "no_kgis": {"ja": "KGIが設定されていません。", "en": "No KGI is set."},
    "no_kpis": {"ja": "この週に評価するKPIはありません。", "en": "No KPI to check this week."},
    "biggest_change": {"ja": "今週いちばん大きな変化", "en": "Biggest change this week"},
    "change_sentence": {
        "ja": "{metric}が前週比{change}で{word}（{prev} → {value}）",
        "en": "{metric} {change} week on week, {word} ({prev} → {value})",
    },
    "no_change": {"ja": "前週と比べられる指標がありません。", "en": "Nothing to compare with last week."},
    "improved": {"ja": "改善", "en": "better"},
    "worsened": {"ja": "悪化", "en": "worse"},
    "anomalies": {"ja": "異常値", "en": "Anomalies"},
    "no_anomalies": {"ja": "今週は異常値はありません。", "en": "No anomalies this week."},
    "anomaly_spike": {"ja": "急増", "en": "spike"},
    "anomaly_drop": {"ja": "急減", "en": "drop"},
    "anomaly_sentence": {
        "ja": "{metric}：{value}（直近の中央値 {median}、{kind}）",
        "en": "{metric}: {value} (recent median {median}, {kind})",
    },
    "attention": {"ja": "対応が必要なフェーズ", "en": "Phases that need action"},
    "none_behind": {"ja": "遅れているKPIはありません。", "en": "No KPI is behind."},
    "progress_of": {"ja": "進捗 {progress}", "en": "progress {progress}"},
    "actual_vs_target": {"ja": "実績 {actual} / 目標 {target}", "en": "actual {actual} / target {target}"},
    "deadline_on": {"ja": "期限 {date}", "en": "due {date}"},
    # KPI table
    "details": {"ja": "詳細", "en": "Details"},
    "kpi_table": {"ja": "KGI・KPI一覧", "en": "KGIs and KPIs"},
    "col_item": {"ja": "KGI / KPI", "en": "KGI / KPI"},
    "col_status": {"ja": "状況", "en": "Status"},
    "col_baseline": {"ja": "基準値", "en": "Baseline"},
    "col_target": {"ja": "目標", "en": "Target"},
    "col_expected": {"ja": "今週の目標ペース", "en": "Expected by now"},
    "col_actual": {"ja": "実績", "en": "Actual"},
    "col_progress": {"ja": "進捗", "en": "Progress"},
    "col_forecast": {"ja": "期限時点の予測", "en": "Forecast at deadline"},
    "kind_kgi": {"ja": "KGI", "en": "KGI"},
    "kind_kpi": {"ja": "KPI", "en": "KPI"},
    "cumulative": {"ja": "（累計）", "en": " (running total)"},
    "sep": {"ja": " ・ ", "en": " · "},
    "pace_line": {"ja": "目標ペース", "en": "Target pace"},
    "forecast_band": {"ja": "予測レンジ", "en": "Forecast range"},
    "pace_charts": {"ja": "目標ペースと実績", "en": "Actual against the target pace"},
    # the chance of reaching the target (mart.kpi_progress.p_reach), said as a number
    "chance": {"ja": "達成確率 {pct}", "en": "{pct} chance"},
    "chance_under": {"ja": "1%未満", "en": "under 1%"},
    "chance_over": {"ja": "99%超", "en": "over 99%"},
    "need_rate": {
        "ja": "残り{weeks}週で週{needed}{unit}必要（直近8週は週{recent}{unit}）",
        "en": "{needed} a week needed for the remaining {weeks} weeks (last 8 weeks: {recent} a week)",
    },
    # progress far outside the way from baseline to target, said in words
    "progress_away": {"ja": "目標と逆方向", "en": "away from the target"},
    "progress_far_beyond": {"ja": "目標を大きく超過", "en": "far beyond the target"},
    # beside a status the week's numbers seem to contradict: why the status is what it is
    "why_noise_but": {"ja": "誤差の範囲ですが、このペースでは達成確率 {pct}",
                      "en": "within normal variation, but at this pace the chance is {pct}"},
    "why_on_pace_but": {"ja": "今週はペースどおりですが、直近8週の水準では達成確率 {pct}",
                        "en": "on pace this week, but at the level of the last 8 weeks the chance is {pct}"},
    "why_moved_away_but": {"ja": "基準値より悪い週は順調としません（達成確率 {pct}）",
                           "en": "a week worse than the baseline is never on track (the chance is {pct})"},
    "why_near_pace_but": {"ja": "今週はペースをやや下回る程度ですが、直近8週の水準では達成確率 {pct}",
                          "en": "only slightly behind the pace this week, but at the level of the last 8 weeks "
                                "the chance is {pct}"},
    "why_behind_but": {"ja": "ペースより遅れていますが、直近8週の水準では達成確率 {pct}",
                       "en": "behind the pace, but at the level of the last 8 weeks the chance is {pct}"},
    "why_held_but": {"ja": "今は守れていますが、期間を通して守れる確率 {pct}",
                     "en": "held so far, but the chance it holds over the period is {pct}"},
    "why_breached_but": {"ja": "線を越えていますが、期間を通して守れる確率 {pct}",
                         "en": "over the line, but the chance it holds over the period is {pct}"},
    # AARRR
    "aarrr": {"ja": "AARRRフェーズ別の指標", "en": "Metrics by AARRR phase"},
    "col_metric": {"ja": "見るべき指標", "en": "Metric"},
    "col_value": {"ja": "今週", "en": "This week"},
    "col_prev": {"ja": "前週", "en": "Last week"},
    "col_wow": {"ja": "前週比", "en": "vs last week"},
    "col_last_year": {"ja": "前年同週", "en": "Same week last year"},
    "col_yoy": {"ja": "前年比", "en": "vs last year"},
    "trend_caption": {"ja": "直近{n}週の推移", "en": "Last {n} weeks"},
    # reverse funnel
    "funnel": {"ja": "逆算ファネル", "en": "Reverse funnel"},
    "funnel_intro": {
        "ja": "KGIから各段階の必要数を逆算し、今週までに必要な数と実績を比べています。",
        "en": "The number each stage needs, worked back from the KGI, against the actuals so far.",
    },
    "col_stage": {"ja": "段階", "en": "Stage"},
    "col_rate": {"ja": "次の段階への転換率（計画）", "en": "Planned rate to next stage"},
    "col_required_total": {"ja": "期間全体の必要数", "en": "Needed in the period"},
    "col_required_to_date": {"ja": "今週までの必要数", "en": "Needed by now"},
    "col_actual_to_date": {"ja": "今週までの実績", "en": "Actual so far"},
    "col_attainment": {"ja": "達成率", "en": "Attainment"},
    "col_needed": {"ja": "今後の必要ペース", "en": "Needed from now"},
    "per_week": {"ja": "週{n}{unit}", "en": "{n} a week"},
    "bottleneck": {"ja": "ボトルネック", "en": "Bottleneck"},
    "what_it_takes": {
        "ja": "残り{weeks}週で{stage}+{count}{unit}が必要（週{per_week}{unit}）",
        "en": "{count} more {stage} needed in the remaining {weeks} weeks ({per_week} a week)",
    },
    "funnel_done": {"ja": "{stage}は期間の必要数に達しています", "en": "{stage}: the period's requirement is met"},
    "funnel_before_start": {
        "ja": "開始前（{date}から）：期間の{weeks}週で{stage}{count}{unit}が必要（週{per_week}{unit}）",
        "en": "Not started yet (from {date}): {count} {stage} needed over the period's {weeks} weeks ({per_week} a week)",
    },
    "funnel_ended_short": {
        "ja": "期間終了：{stage}は必要数{total}{unit}に対し実績{actual}{unit}（{short}{unit}不足）",
        "en": "Period over: {actual} {stage} against the {total} needed ({short} short)",
    },
    "funnel_ended_met": {
        "ja": "期間終了：{stage}は必要数{total}{unit}に到達（実績{actual}{unit}）",
        "en": "Period over: {stage} reached the {total} needed ({actual})",
    },
    "funnel_observed": {
        "ja": "実績の転換率のままなら{stage}+{count}{unit}が必要（週{per_week}{unit}）。計画の転換率なら+{planned}{unit}",
        "en": "At the actual rates so far, {count} more {stage} are needed ({per_week} a week); at the planned rates, {planned}",
    },
    "col_observed_need": {"ja": "実績の転換率での残り必要数", "en": "Still needed at actual rates"},
    "funnel_stage_observed": {"ja": " / 実績の転換率での残り必要数 {remaining}", "en": " / still needed at actual rates {remaining}"},
    "unit_count": {"ja": "件", "en": ""},
    "stage_leads": {"ja": "見込み顧客", "en": "leads"},
    "stage_appointments": {"ja": "アポイント", "en": "appointments"},
    "stage_deals": {"ja": "商談", "en": "deals"},
    "stage_orders": {"ja": "受注", "en": "orders"},
    # Act
    "actions": {"ja": "改善のヒント（Action）", "en": "What to do next (Act)"},
    "actions_intro": {
        "ja": "遅れているKPIのフェーズごとに、主な施策と状況の要因になった指標を示します。",
        "en": "For each phase with a KPI behind, the usual measures and the metrics behind the status.",
    },
    "behind_kpis": {"ja": "遅れているKPI", "en": "KPIs behind"},
    "drivers": {"ja": "要因になった指標", "en": "Metrics behind the status"},
    "measures": {"ja": "主な施策", "en": "Usual measures"},
    "pace_sentence": {
        "ja": "{name}：実績 {actual}（目標ペース {expected}、ペース比 {pace}）",
        "en": "{name}: actual {actual} (expected {expected}, {pace} of pace)",
    },
    "driver_sentence": {
        "ja": "{metric}：{value}（前週比 {change}）",
        "en": "{metric}: {value} ({change} week on week)",
    },
    "no_drivers": {"ja": "前週から悪化した指標はありません。", "en": "No metric got worse since last week."},
    # notes
    "notes": {"ja": "データに関する注意", "en": "Data notes"},
    "no_notes": {"ja": "特記事項はありません。", "en": "Nothing to note."},
    "note_provisional": {
        "ja": "{dates}のデータは暫定値です（GA4の直近のデータは後から変わることがあります）。",
        "en": "Data for {dates} is provisional (GA4 may still change recent days).",
    },
    "note_provisional_days": {
        "ja": "この週の直近{n}日分のデータは暫定値です。",
        "en": "The last {n} days of this week are provisional.",
    },
    "note_missing_days": {
        "ja": "この週は{n}日分のデータがありません。",
        "en": "{n} days of this week have no data.",
    },
    "note_sampled": {
        "ja": "{source}（{asset}、{date_from}〜{date_to}）の取得にサンプリングされたデータが含まれます。",
        "en": "The {source} load of {asset} ({date_from} – {date_to}) contains sampled data.",
    },
    "note_thresholded": {
        "ja": "{source}（{asset}、{date_from}〜{date_to}）はしきい値が適用され、少数のデータが除かれている可能性があります。",
        "en": "The {source} load of {asset} ({date_from} – {date_to}) is subject to thresholding: small counts may be withheld.",
    },
    "note_other_row": {
        "ja": "{source}（{asset}、{date_from}〜{date_to}）で行数の多いディメンションが「(other)」にまとめられています。",
        "en": "The {source} load of {asset} ({date_from} – {date_to}) folded rare dimension values into \"(other)\".",
    },
    "note_item": {"ja": "{name}：{note}", "en": "{name}: {note}"},
    # what the warehouse holds: earlier days a corrected export changed, days missing in a goal's period
    "note_changed_days": {
        "ja": "{source}が前の週の{n}日分を変更したため、読み込み直しました（{table}）：{days}。以前のレポートの数値とは異なります。",
        "en": "The {source} changed {n} day(s) of earlier weeks, now reloaded ({table}): {days}. Earlier reports showed other numbers.",
    },
    "changed_day": {"ja": "{day}（{changes}）", "en": "{day} ({changes})"},
    "changed_added": {"ja": "{days}（追加）", "en": "{days} (added)"},
    "changed_value": {"ja": "{field} {old} → {new}", "en": "{field} {old} → {new}"},
    "changed_fields": {"ja": "{n}項目", "en": "{n} fields"},
    "note_goal_gap": {
        "ja": "{source}（{table}）に{days}のデータがありません（目標の期間内で{n}日分）。影響する目標：{goals}",
        "en": "The {source} ({table}) has no data for {days} ({n} day(s) inside the goals' periods). Goals affected: {goals}",
    },
    "source_crm": {"ja": "CRMのエクスポート", "en": "CRM export"},
    "source_custom": {"ja": "カスタム指標のCSV", "en": "custom metric CSV"},
    "source_custom_named": {"ja": "カスタム指標（{metrics}）のCSV", "en": "custom metric CSV ({metrics})"},
    "source_web": {"ja": "Webアクセスデータ", "en": "web analytics data"},
    "sep_items": {"ja": "、", "en": ", "},
    "and_more": {"ja": "ほか{n}件", "en": "and {n} more"},
    "and_more_runs": {"ja": "ほか{n}期間", "en": "and {n} more periods"},
    # e-mail
    "subject": {"ja": "【KPIチェック】{week} {counts}", "en": "[KPI check] {week} {counts}"},
    "subject_site": {"ja": "（{site}）", "en": " ({site})"},
    "subject_count": {"ja": "{label}{n}", "en": "{label} {n}"},
    "subject_with_kgis": {"ja": "KGI {kgis} ｜ KPI {kpis}", "en": "KGIs {kgis} | KPIs {kpis}"},
    "see_pdf": {
        "ja": "詳しいグラフと表は添付のPDFをご覧ください。",
        "en": "The attached PDF has every chart and table.",
    },
    "dash": {"ja": "—", "en": "—"},
    # how a status was judged (issue 11): the goal's plan, progress against the pace, notes
    "plan_reach": {"ja": "基準値 {baseline} → 目標 {target}", "en": "baseline {baseline} → target {target}"},
    "plan_at_most": {"ja": "上限 {target}（期間を通して）", "en": "ceiling {target} (over the period)"},
    "plan_at_least": {"ja": "下限 {target}（期間を通して）", "en": "floor {target} (over the period)"},
    "plan_maintain": {"ja": "{target}を維持", "en": "hold {target}"},
    "progress_vs_expected": {
        "ja": "進捗 {progress}（この時点の期待 {expected}）",
        "en": "progress {progress} (expected by now {expected})",
    },
    "keep_progress": {
        "ja": "期間の実績 {actual}・基準を守った週 {held}",
        "en": "period so far {actual}, weeks on the right side {held}",
    },
    "expected_short": {"ja": "期待 {expected}", "en": "expected {expected}"},
    "weeks_held": {"ja": "{held}/{weeks}週", "en": "{held} of {weeks} weeks"},
    "judged_on_window": {"ja": "直近{weeks}週の平均で判定", "en": "judged on the mean of the last {weeks} weeks"},
    "judgement_within_noise": {"ja": "誤差の範囲", "en": "within normal variation"},
    "judgement_moved_away": {"ja": "目標と逆方向", "en": "moving away from the target"},
    "ended_goals": {"ja": "終了した目標", "en": "Ended goals"},
    # the measures log (施策ログ) in the Act section
    "measures_running": {"ja": "実施中の施策", "en": "Measures running"},
    "measures_ended": {"ja": "終了した施策", "en": "Measures ended"},
    "measures_intro": {"ja": "施策の開始前4週と開始後の週を比べ、開始前12週のトレンドが予測した値との差で判定します。差が予測の幅（95%予測区間：トレンド自体の不確かさを含む）に収まれば効果とは言えず、開始前との差が大きくてもトレンドで説明できるなら「トレンドどおり」、そうでなければ「誤差の範囲」です。",
                       "en": "The 4 weeks before each measure against the weeks after its start, judged against what the trend of the 12 weeks before predicted for them. A difference inside the prediction range (the 95% prediction interval, which includes the uncertainty of the trend itself) is no effect: \"in line with the trend\" when the trend explains a large change, else within noise."},
    "measure_line": {"ja": "{name}（{period}）：{effects}", "en": "{name} ({period}): {effects}"},
    "measure_period": {"ja": "{start}〜{end}", "en": "{start} – {end}"},
    "measure_effect": {"ja": "{kpi} {before} → {after}（{change}、ふだんの振れ幅 ±{noise}）{verdict}",
                       "en": "{kpi} {before} → {after} ({change}, normal noise ±{noise}) {verdict}"},
    "measure_effect_level": {"ja": "{kpi} 週あたり{before} → {after}（{change}、ふだんの振れ幅 ±{noise}）{verdict}",
                             "en": "{kpi} {before} → {after} a week ({change}, normal noise ±{noise}) {verdict}"},
    "measure_effect_pending": {"ja": "{kpi} {verdict}", "en": "{kpi}: {verdict}"},
    "measure_effect_trend": {"ja": "{kpi} {before} → {after}（{change}{trend}）{verdict}",
                             "en": "{kpi} {before} → {after} ({change}{trend}) {verdict}"},
    "measure_effect_level_trend": {"ja": "{kpi} 週あたり{before} → {after}（{change}{trend}）{verdict}",
                                   "en": "{kpi} {before} → {after} a week ({change}{trend}) {verdict}"},
    "measure_trend_part": {"ja": "。開始前のトレンドでは {expected}、差 {effect}、予測の幅 ±{limit}{control}",
                           "en": "; the trend before predicted {expected}: {effect}, prediction range ±{limit}{control}"},
    "measure_trend_level": {"ja": "。開始前のトレンドでは週あたり{expected}、差 {effect}、予測の幅 ±{limit}{control}",
                            "en": "; the trend before predicted {expected} a week: {effect}, prediction range ±{limit}{control}"},
    "measure_control": {"ja": "、対照：サイト {site}", "en": ", control: site {site}"},
    "measure_improved": {"ja": "効果あり", "en": "effect"},
    "measure_worsened": {"ja": "悪化", "en": "worse"},
    "measure_trend": {"ja": "トレンドどおり（施策の効果は確認できず）", "en": "in line with the trend (no effect beyond it)"},
    "measure_noise": {"ja": "誤差の範囲", "en": "within noise"},
    "measure_unknown": {"ja": "判定できません（比較できる週のデータが不足）", "en": "cannot judge yet (too few weeks of data)"},
    "measure_too_early": {"ja": "効果測定中（開始後の完全な週がまだありません）", "en": "too early (no full week since the start yet)"},
    "sep_list": {"ja": "／", "en": "; "},
    "ended_line": {"ja": "{name}：{status}（{date}まで）", "en": "{name}: {status} (until {date})"},
    # note codes stored in mart.kpi_progress.note (kpi_pipeline/kpi/judgement/notes.py), localized here
    "code_missing_days_scaled": {
        "ja": "欠損日あり: {days}日分から7日分に換算", "en": "{days} of 7 days present: scaled to a week",
    },
    "code_partial_week": {"ja": "この週のデータは{days}日分のみです", "en": "only {days} days of data this week"},
    "code_week_not_over": {"ja": "この週はまだ終わっていません", "en": "this week is not over yet"},
    "code_no_baseline_data": {
        "ja": "基準期間 {start}〜{end} のデータがないため目標値を計算できません",
        "en": "no data in the baseline window {start}..{end}: the target cannot be computed",
    },
    "code_zero_baseline": {
        "ja": "基準期間 {start}〜{end} の週平均が0のため、倍率（×{multiplier}）では目標が決まりません。target: {{value: N}} で目標を書いてください",
        "en": "the baseline window {start}..{end} averages 0 a week: ×{multiplier} of 0 sets no target; write the target as target: {{value: N}}",
    },
    "code_seasonal_fallback": {
        "ja": "昨年同時期のデータが足りないため、季節ペースではなく線形ペースで計算しています",
        "en": "less than a year of history: paced linearly instead of seasonally",
    },
    "code_compound_fallback": {
        "ja": "基準値か目標が0以下のため、複利ペースではなく線形ペースで計算しています",
        "en": "baseline or target is not positive: paced linearly instead of compound",
    },
    "code_compound_cumulative": {
        "ja": "累計目標の複利ペースは線形ペースで計算しています",
        "en": "a running total with compound pacing is paced linearly",
    },
    "code_small_count_window": {
        "ja": "週あたりの件数が少ないため、直近{weeks}週（開始以降、最低4週）の平均で判定しています",
        "en": "a few a week: judged on the mean of the last {weeks} weeks (since the start, at least 4)",
    },
    "code_judged_on_weeks": {
        "ja": "期限の判定は直近{weeks}週の平均です", "en": "the deadline is judged on the mean of the last {weeks} weeks",
    },
    "code_reach_as_keep": {
        "ja": "目標が基準値より悪い側にあるため、期間を通して目標を守れているかで判定しています",
        "en": "the target is on the worse side of the baseline: judged as a line to hold over the period",
    },
    "code_kpi_summary": {"ja": "KPI: {counts}", "en": "KPIs: {counts}"},
}


# Status labels have one source, shared with mart.kpi_progress notes: kpi.status.STATUS_NAMES.
MESSAGES.update({f"status_{status.value}": names for status, names in STATUS_NAMES.items()})

# The why (mart.goal_drivers), the funnel's chain and bottleneck, and the Act hints that follow them.
MESSAGES.update({
    "why": {"ja": "遅れている目標の要因", "en": "Why goals are behind"},
    "why_intro": {
        "ja": "変化を要因（掛け算の各要素、またはチャネル）に分け、足し合わせると変化に一致します。",
        "en": "Each change split into its drivers (factors of a product, or channels); the parts add up to the change.",
    },
    "check_sentence": {
        "ja": "{name}：{comparison} {change}（{value_from} → {value_to}）。{reason}",
        "en": "{name}: {change} {comparison} ({value_from} → {value_to}); {reason}",
    },
    "comparison_baseline": {"ja": "基準値比", "en": "vs baseline"},
    "comparison_baseline_weeks": {"ja": "基準値比（直近{weeks}週の平均）",
                                  "en": "vs baseline (mean of the last {weeks} weeks)"},
    "comparison_previous_week": {"ja": "前週比", "en": "vs last week"},
    "comparison_plan": {"ja": "計画比", "en": "vs plan"},
    # a running total's gap since the start: to its plan by now, or to what its baseline's pace gives
    "check_sentence_plan_total": {
        "ja": "{name}：計画比 {change}（今週までの計画 {value_from} → 実績 {value_to}）。{reason}",
        "en": "{name}: {change} vs plan ({value_from} planned by now, {value_to} actual); {reason}",
    },
    "check_sentence_baseline_total": {
        "ja": "{name}：基準期間のペース比 {change}（基準期間のペースなら {value_from} → 実績 {value_to}）。{reason}",
        "en": "{name}: {change} vs the baseline's pace ({value_from} at that pace by now, {value_to} actual); {reason}",
    },
    "drivers_against": {"ja": "押し下げ要因は{drivers}", "en": "held back by {drivers}"},
    "drivers_main": {"ja": "主な要因は{drivers}", "en": "mainly {drivers}"},
    "drivers_share": {"ja": "{direction}の{share}は{drivers}", "en": "{share} of the {direction} is {drivers}"},
    "direction_down": {"ja": "減少", "en": "fall"},
    "direction_up": {"ja": "増加", "en": "rise"},
    "driver_factor": {"ja": "{name} {before}→{after}（{contribution}）", "en": "{name} {before} → {after} ({contribution})"},
    "driver_segment": {"ja": "{name}（{contribution}）", "en": "{name} ({contribution})"},
    "list_sep": {"ja": "、", "en": ", "},
    "measure_sep": {"ja": "・", "en": ", "},
    "hints": {"ja": "要因とボトルネックに合う施策", "en": "Measures for the drivers and the bottleneck"},
    "hint_driver": {"ja": "{name}：{driver}が押し下げ → {measures}", "en": "{name}: pulled down by {driver} → {measures}"},
    "hint_raise_target": {
        "ja": "{name}：期限（{date}）の前に目標を達成済み（進捗{progress}）→ 目標の引き上げを検討（新しい目標を追加し、今の目標に replaced_by）",
        "en": "{name}: target already met before its deadline ({date}; progress {progress}) → consider raising it (add a new goal and set replaced_by on this one)",
    },
    # a status, headline or bottleneck that an unusual week (mart.metric_anomalies) drives
    "caveat_anomaly": {"ja": "今週は異常値の影響", "en": "affected by an unusual week"},
    "caveat_anomaly_previous": {"ja": "前週は異常値の影響", "en": "last week was unusual"},
    "with_caveat": {"ja": "{text}（{caveat}）", "en": "{text} ({caveat})"},
    "hint_bottleneck": {
        "ja": "逆算ファネルのボトルネック（{stage}）：{reason} → {measures}",
        "en": "Reverse-funnel bottleneck ({stage}): {reason} → {measures}",
    },
    "reason_rate_below_plan": {
        "ja": "{rate}が計画{planned}に対し実績{actual}（{above}から{stage}への転換が不足）",
        "en": "{rate} is {actual} against {planned} planned (too few {above} become {stage})",
    },
    "reason_volume_at_top": {
        "ja": "各段階の転換率は計画どおりで、{stage}の数が不足（今週までの必要数{needed}に対し実績{actual}）",
        "en": "every rate is on plan; too few {stage} ({actual} against {needed} needed by now)",
    },
    "funnel_stage_line_kgi": {
        "ja": "{stage}：今週までの必要数 {needed} / 実績 {actual} / 残り必要数 {remaining}{pace}",
        "en": "{stage}: needed by now {needed} / actual {actual} / still needed {remaining}{pace}",
    },
    "funnel_stage_pace": {"ja": "（週{per_week}）", "en": " ({per_week} a week)"},
    "col_actual_rate": {"ja": "実績の転換率", "en": "Actual rate"},
    "col_remaining_need": {"ja": "残り必要数", "en": "Still needed"},
    "funnel_stage_line": {
        "ja": "{stage}：転換率 計画{planned}・実績{actual_rate} / 今週までの必要数 {needed} / 実績 {actual} / 残り必要数 {remaining}{pace}",
        "en": "{stage}: rate planned {planned}, actual {actual_rate} / needed by now {needed} / actual {actual} / still needed {remaining}{pace}",
    },
})


# The Do check (mart.do_check): was each planned measure done, its KPIs, and the Act per quadrant.
MESSAGES.update({
    "do_check": {"ja": "行動（Do）の確認", "en": "Was the Do done?"},
    "do_check_intro": {
        "ja": "計画した施策の量に対して実行した量（開始からの累計）と、その施策で動かしたいKPIの状況です。"
              "行動が計画どおりか・KPIが順調かの組み合わせで、次の一手を示します。",
        "en": "How much of each planned measure was done against the plan (since its start), and "
              "how the KPIs it should move stand. The next step follows from the two together.",
    },
    "do_line": {"ja": "{name}: {done}/{planned}{unit}（{do}）・{kpis}",
                "en": "{name}: {done}/{planned}{unit} ({do}) · {kpis}"},
    "do_unit": {"ja": "{unit}", "en": " {unit}"},
    "do_kpi": {"ja": "KPI {kpi}: {status}", "en": "KPI {kpi}: {status}"},
    "do_met": {"ja": "達成", "en": "done as planned"},
    "do_missed": {"ja": "未達", "en": "behind plan"},
    "do_act_for": {"ja": "{kpi}: {act}", "en": "{kpi}: {act}"},
    "do_effects": {"ja": "開始前後の比較: {effects}", "en": "Before and after the start: {effects}"},
    "act_do_missed_kpi_missed": {
        "ja": "まずは計画どおりに実行しましょう（行動が計画に届いていません）",
        "en": "Do it as planned first: the Do is behind its plan",
    },
    "act_do_met_kpi_missed": {
        "ja": "行動は計画どおりですがKPIが未達です。この施策だけではKPIが十分に動かないため、量（回数・本数）か内容を見直しましょう",
        "en": "Done as planned, but the KPI is behind: the Do does not move it enough. Change its amount or its content",
    },
    "act_do_met_kpi_met": {
        "ja": "行動もKPIも順調です。この調子で続けましょう",
        "en": "The Do and the KPI are on track: keep going",
    },
    "act_do_missed_kpi_met": {
        "ja": "行動は計画に届いていませんがKPIは順調です。何がKPIを動かしたのか、理由を確かめましょう",
        "en": "The KPI moved without the Do: find out why",
    },
})


def message(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``values`` filled in."""
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise KeyError(f"no message {key!r}") from None
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to one language, for templates."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGS)}")

    def t(key: str, **values: object) -> str:
        return message(key, lang, **values)

    return t

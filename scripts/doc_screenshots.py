"""Screenshots for docs/report.md and docs/marketer.md: the archive page, a chat message and the
first two pages of the report's PDF, from a real KPI_HOME.

    make demo && .venv/bin/python scripts/doc_screenshots.py [KPI_HOME]

Opens ``reports/index.html`` in the same headless Chromium the browser test drives
(tests/helpers/browser.py), and draws the Slack message of the newest week from the exact
payload ``kpi-pipeline report --send`` posts (blocks rendered the way Slack lays them out:
a preview, not a capture of Slack itself); the PDF's pages with poppler's ``pdftoppm`` at
70 dpi. Writes docs/images/archive-index.png, docs/images/chat-slack.png and
docs/images/report-page-{1,2}.png.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.browser import chromium, full_page_png, set_viewport, static_server  # noqa: E402

from kpi_pipeline.delivery.archive.index import WEEK_FOLDER  # noqa: E402
from kpi_pipeline.delivery.chat.post import chat_message, slack_payload  # noqa: E402
from kpi_pipeline.delivery.report.render import RenderedReport  # noqa: E402

IMAGES = ROOT / "docs" / "images"
EXAMPLE_BASE_URL = "https://reports.example.jp/kpi/"


def mrkdwn_to_html(text: str) -> str:
    """Enough of Slack's mrkdwn for a preview: links, *bold*, `code`, line breaks."""
    def link(m: re.Match[str]) -> str:
        return f'<a href="#">{m.group(2)}</a>'

    out = re.sub(r"<([^|>]+)\|([^>]+)>", link, text)  # entities stay entities: already escaped
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", out)
    return out.replace("\n", "<br>")


def slack_preview(payload: dict) -> str:
    blocks = []
    for block in payload["blocks"]:
        text = block["text"]["text"]
        if block["type"] == "header":
            blocks.append(f'<div class="header">{html.escape(text)}</div>')
        else:
            blocks.append(f'<div class="section">{mrkdwn_to_html(text)}</div>')
    return f"""<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><style>
body {{ font-family: IPAexGothic, sans-serif; margin: 0; background: #ffffff; color: #1d1c1d; }}
.msg {{ display: flex; gap: 10px; padding: 16px 20px; max-width: 680px; }}
.avatar {{ width: 36px; height: 36px; border-radius: 6px; background: #1565c0; color: #fff;
          font-weight: bold; display: flex; align-items: center; justify-content: center; }}
.name {{ font-weight: bold; font-size: 15px; }} .time {{ color: #616061; font-size: 12px; }}
.header {{ font-weight: bold; font-size: 17px; margin: 6px 0; }}
.section {{ font-size: 15px; line-height: 1.5; margin: 6px 0; }}
a {{ color: #1264a3; }} code {{ background: #f6f6f6; border: 1px solid #ddd; padding: 0 3px; }}
</style></head><body><div class="msg"><div class="avatar">K</div><div>
<span class="name">KPI check</span> <span class="time">APP 9:00</span>
{''.join(blocks)}</div></div></body></html>"""


def main() -> None:
    home = Path(sys.argv[1] if len(sys.argv) > 1 else ".kpi")
    reports = home / "reports"
    newest = max((p for p in reports.iterdir() if WEEK_FOLDER.match(p.name)), key=lambda p: p.name)
    report = RenderedReport.load(newest)
    link = EXAMPLE_BASE_URL + f"{newest.name}/report.html"
    preview = Path(tempfile.mkdtemp()) / "slack.html"
    preview.write_text(slack_preview(slack_payload(chat_message(report, link))), encoding="utf-8")
    IMAGES.mkdir(parents=True, exist_ok=True)
    if report.pdf is not None:
        for page in (1, 2):
            out = IMAGES / f"report-page-{page}"
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page),
                            "-singlefile", str(report.pdf), str(out)], check=True)
            print(f"wrote {out}.png")
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as driver:
        with static_server(reports) as base:
            set_viewport(driver, 1000, 1200)
            driver.get(base)
            shot = full_page_png(driver, IMAGES / "archive-index.png")
            print(f"wrote {shot}")
        with static_server(preview.parent) as base:
            set_viewport(driver, 720, 300)
            driver.get(base + preview.name)
            shot = full_page_png(driver, IMAGES / "chat-slack.png")
            print(f"wrote {shot}")


if __name__ == "__main__":
    main()

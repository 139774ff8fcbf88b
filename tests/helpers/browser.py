"""Debian's headless Chromium driven by Selenium (its chromedriver, never a downloaded browser),
and a loopback static server for a reports folder: how a reader opens the reports."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")
OVERFLOW_JS = "return [document.documentElement.scrollWidth, window.innerWidth];"
# every <img> decoded with a size, every inline <svg> laid out with a width
CHARTS_JS = """
return [...document.images].map(i => [i.currentSrc || i.src, i.complete ? i.naturalWidth : 0])
  .concat([...document.querySelectorAll('svg')].filter(s => !s.closest('svg svg'))
  .map((s, n) => ['inline svg ' + n, Math.round(s.getBoundingClientRect().width)]));
"""


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port (``python -m http.server``'s handler)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a throwaway profile in ``profile``."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def set_viewport(driver: webdriver.Chrome, width: int, height: int = 900) -> None:
    """Make the page's viewport (not the window) ``width`` CSS pixels wide. Not "mobile":
    mobile emulation widens the viewport to the content, hiding any overflow."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False,
    })


def full_page_png(driver: webdriver.Chrome, path: Path) -> Path:
    """A screenshot of the whole page (not only the viewport) as PNG."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path

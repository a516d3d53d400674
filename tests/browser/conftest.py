"""A built site served on loopback, and headless Chromium driven by Playwright.

Locally the tests skip with a reason when no Chromium is installed; in CI (CI=true) a
missing browser is a failure, because .ci/run installs it.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import sphinx_html

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "docs" / "_build" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def build(src: Path, out: Path, conf: Path = ROOT) -> None:
    result = sphinx_html(src, out, conf=conf)
    assert result.returncode == 0, f"the site does not build:\n{result.stderr[-4000:]}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs it with apt-get install chromium")
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def site_html() -> Path:
    """The real site, built once into docs/_build/browser/html.

    ``BUILT_SITE=FOLDER`` tests a site already built there instead (``tox -e docs`` builds
    docs/_build/html), so a rerun need not rebuild.
    """
    given = os.environ.get("BUILT_SITE")
    if given:
        html = Path(given).resolve()
        assert (html / "index.html").is_file(), f"BUILT_SITE={given} holds no built site"
        return html
    html = BUILD / "html"
    build(ROOT / "docs", html)
    return html


@pytest.fixture(scope="session")
def site(browser, site_html: Path) -> Iterator[str]:
    """The built site served on loopback."""
    url, server = serve(site_html)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = BUILD / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page whose console errors and off-machine requests are recorded."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r) -> None:
            url = r.request.url
            if url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")):
                r.continue_()
            else:
                self.outside.append(url)
                r.abort()

        page.route("**/*", route)

    def clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.outside == [], f"requests that leave the machine: {self.outside}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    w = Watched(context.new_page())
    yield w
    context.close()

"""Browser tests: the real app (``huzhu serve`` on a demo SQLite file) driven by the
system Chromium through Playwright's sync API.

* ``app`` (module): a fresh database (``huzhu db upgrade`` + ``huzhu demo``), served on a
  free port with the fast test timings of ``tests/realtime/servers.py``;
* ``browser`` (module): headless ``/usr/bin/chromium`` (never ``playwright install``);
* ``context`` / ``new_context()``: a browser context whose every request to anything but
  the app is aborted and recorded in ``outside`` (tests assert it stays empty);
* ``app.token(username)``: a fresh token of a demo account (password login, like the
  pages); ``app.api(method, path, token)`` for setup and checks through the REST API;
* ``shot(page, name, cjk=selector)``: a screenshot under ``out/e2e/`` checked non-blank,
  with the CJK text of ``selector`` rendered as glyphs.

Helpers that drive the pages (log in, click the map, declare, raise) are in
``tests/e2e/map_world.py``.

Without Playwright or Chromium these tests skip with the reason (fail under
HUZHU_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.demo.accounts import DEMO_PASSWORD
from tests.conftest import REQUIRE_SERVICES
from tests.realtime.servers import HUZHU, Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "e2e"
DEMO_SIZE = ["--households", "300", "--volunteers", "60"]


def _missing(what: str) -> None:
    message = f"browser tests need {what}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (HUZHU_REQUIRE_SERVICES=1)")
    pytest.skip(message)


# Module scope: the sync API runs an event loop of its own while it is open, which must be
# closed again before the asyncio tests of the other folders run in the same session.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


class App:
    """The served demo: ``base`` URL, ``server`` (its log on failure), ``db_url``."""

    def __init__(self, server: Server, db_url: str) -> None:
        self.server, self.db_url, self.base = server, db_url, server.base

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """A fresh bearer token for a demo account, by the same login the map uses."""
        r = httpx.post(
            f"{self.base}/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def api(self, method: str, path: str, token: str, **kw: Any) -> Any:
        """A REST call as ``token``; the JSON answer (asserts a 2xx)."""
        headers = {"Authorization": f"Bearer {token}"}
        r = httpx.request(method, f"{self.base}/api/v1{path}", headers=headers, timeout=30, **kw)
        assert r.is_success, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def demo_volunteer(self) -> str:
        """The demo volunteer's id (the demo keeps them available and insured)."""
        return self.api("GET", "/volunteers/me", self.token("volunteer"))["id"]


def demo_server(work: Path, **env: str) -> Server:
    """``huzhu serve`` (not started) on a fresh demo database in ``work``; ``env`` may hold
    settings, and values may name the server's own base URL as ``{base}``."""
    db_url = f"sqlite+aiosqlite:///{work / 'demo.db'}"
    cli_env = {**os.environ, "HUZHU_DATABASE_URL": db_url}
    cli_env.pop("HUZHU_REDIS_URL", None)
    for args in (["db", "upgrade"], ["demo", *DEMO_SIZE]):
        done = subprocess.run([HUZHU, *args], env=cli_env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    server = Server(db_url, work)
    server.env.update({k: v.replace("{base}", server.base) for k, v in env.items()})
    return server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    server = demo_server(tmp_path_factory.mktemp("e2e")).start()
    try:
        yield App(server, server.env["HUZHU_DATABASE_URL"])
    finally:
        server.stop()


@pytest.fixture
def outside() -> list[str]:
    """Every request a page tried outside the app (aborted)."""
    return []


@pytest.fixture
def new_context(browser: Any, app: App, outside: list[str]) -> Iterator[Callable[..., Any]]:
    """Make a browser context that may reach only the app; closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        ctx = browser.new_context(locale="zh-CN", **options)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(app.base + "/") or url.startswith("data:"):
                r.continue_()
            else:
                outside.append(url)
                r.abort()

        ctx.route("**/*", route)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


def shot(page: Any, name: str, *, cjk: str) -> Path:
    """Save a full-page screenshot and check it: not blank, and the element ``cjk`` (a
    selector of CJK text) rendered glyphs (its own screenshot is not one flat colour)."""
    from PIL import Image, ImageStat

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as img:
        spread = ImageStat.Stat(img.convert("L")).stddev[0]
    assert spread > 5, f"{path} looks blank (grey-level spread {spread:.1f})"
    element = page.locator(cjk).first
    text = element.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{cjk} holds no CJK text: {text!r}"
    box = element.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 5, f"{cjk} has no size: {box}"
    glyphs = ARTEFACTS / f"{name}-cjk.png"
    element.screenshot(path=str(glyphs))
    with Image.open(glyphs) as img:
        lo, hi = img.convert("L").getextrema()
    assert hi - lo > 60, f"{cjk} renders as a flat box (grey levels {lo}..{hi})"
    return path

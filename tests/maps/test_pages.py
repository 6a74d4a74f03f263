"""maps/pages.py: the pages and their assets come from the app only, with cache headers, a
CSP that keeps them on this origin, and nothing outside maps/web (or Leaflet's dist)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from core.app import create_app
from core.config import Settings
from maps.pages import VENDOR, WEB, csp

OSM = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"


async def client_for(settings: Settings) -> httpx.AsyncClient:
    app = create_app(settings, background=False)  # pages need no database
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(settings) as client:
        yield client


def test_leaflet_is_installed_by_make() -> None:
    assert (VENDOR["leaflet"] / "leaflet.js").is_file(), "run make (npm ci --prefix maps/web)"


async def test_the_map_page_is_revalidated_and_kept_on_this_origin(web: httpx.AsyncClient) -> None:
    assert (await web.head("/map")).status_code == 200
    r = await web.get("/map")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "img-src 'self' data: blob:;" in policy  # no tiles configured
    for ref in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert ref.startswith("/") or ref.startswith("data:"), ref
        if ref.startswith("/static/"):
            assert (await web.get(ref)).status_code == 200, ref


async def test_assets_answer_304_when_unchanged(web: httpx.AsyncClient) -> None:
    r = await web.get("/static/common/socket.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    again = await web.get("/static/common/socket.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    leaflet = await web.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200
    assert leaflet.headers["cache-control"] == "public, max-age=86400"


@pytest.mark.parametrize(
    "path",
    [
        "/static/node_modules/leaflet/package.json",
        "/static/package.json",
        "/static/package-lock.json",
        "/static/%2e%2e/pages.py",
        "/static/common/%2e%2e/%2e%2e/pages.py",
        "/static/vendor/leaflet/%2e%2e/package.json",
        "/static/vendor/jquery/jquery.js",
        "/static/nothing.js",
    ],
)
async def test_nothing_else_is_served(web: httpx.AsyncClient, path: str) -> None:
    r = await web.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_tiles_are_off_unless_configured(web: httpx.AsyncClient, settings: Settings) -> None:
    assert (await web.get("/map/config.json")).json() == {"tile_url": None}
    tiled = settings.model_copy(update={"map_tile_url": OSM})
    async with await client_for(tiled) as client:
        assert (await client.get("/map/config.json")).json() == {"tile_url": OSM}
        policy = (await client.get("/map")).headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://*.tile.openstreetmap.org;" in policy


def test_csp_ignores_a_tile_url_that_is_not_http() -> None:
    assert "javascript" not in csp("javascript:alert(1)")
    assert WEB.joinpath("map.html").is_file()

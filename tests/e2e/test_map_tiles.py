"""The optional raster tile layer: with ``HUZHU_MAP_TILE_URL`` set, the map asks that tile
server (here the app's own origin, which has none, so nothing leaves the machine) for the
tiles under the areas; without it (every other test) no tile is asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import App, demo_server
from tests.e2e.map_world import open_map

TILES = "{base}/tiles/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    server = demo_server(tmp_path_factory.mktemp("tiles"), HUZHU_MAP_TILE_URL=TILES).start()
    try:
        yield App(server, server.env["HUZHU_DATABASE_URL"])
    finally:
        server.stop()


def test_a_configured_tile_layer_asks_its_server_for_tiles(
    app: App, context: Any, outside: list[str]
) -> None:
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/tiles/" in r.url else None)
    open_map(page, app)
    page.wait_for_selector("img.leaflet-tile", state="attached")  # 404s here: no tiles
    assert asked and all(u.startswith(f"{app.base}/tiles/") for u in asked)
    z, x, y = asked[0].removeprefix(f"{app.base}/tiles/").removesuffix(".png").split("/")
    assert 0 <= int(x) < 2 ** int(z) and 0 <= int(y) < 2 ** int(z)
    assert outside == []

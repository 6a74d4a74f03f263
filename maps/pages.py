"""The browser pages and their assets, all served by the app (no CDN, works offline).

``/map`` (coordinators), ``/v`` (volunteers) and ``/h`` (households) are HTML files in
``maps/web/``; ``/static/…`` serves that folder's scripts, styles and images, and
``/static/vendor/leaflet/…`` Leaflet's ``dist`` as installed by ``make`` (npm, pinned by
``maps/web/package-lock.json``). Pages are revalidated on every load (ETag, 304); the
pinned library may be cached for a day. A Content-Security-Policy keeps every page on
this origin, except raster tiles when ``HUZHU_MAP_TILE_URL`` is set.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from core.errors import NotFound
from core.http.deps import SettingsDep

WEB = Path(__file__).resolve().parent / "web"
VENDOR = {"leaflet": WEB / "node_modules" / "leaflet" / "dist"}
PAGES = {"map": "map.html", "v": "volunteer.html", "h": "household.html"}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
OWN = "no-cache"  # revalidate each load: a new release is seen at once
PINNED = "public, max-age=86400"

router = APIRouter(include_in_schema=False)


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a tile URL template (``{s}`` subdomains as ``*``); None: no tiles."""
    parts = urlsplit(tile_url.replace("{s}", "SUBDOMAIN"))
    if not tile_url or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = ".".join("*" if "SUBDOMAIN" in label else label for label in parts.netloc.split("."))
    return f"{parts.scheme}://{host}"


def csp(tile_url: str) -> str:
    """Only this origin; images also from the tile server when one is configured."""
    source = tile_source(tile_url)
    img = "'self' data: blob:" + (f" {source}" if source else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'self'"
    )


def _file(request: Request, root: Path, rel: str, cache: str) -> Response:
    """The file at ``root/rel`` (never outside ``root``), with a 304 when unchanged."""
    path = (root / rel).resolve()
    kind = TYPES.get(path.suffix)
    if not path.is_relative_to(root) or kind is None or not path.is_file():
        raise NotFound(f"no such file: {rel}")
    stat = path.stat()
    digest = hashlib.md5(f"{stat.st_mtime}-{stat.st_size}".encode(), usedforsecurity=False)
    etag = f'"{digest.hexdigest()}"'
    headers = {"Cache-Control": cache, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=kind, headers=headers, stat_result=stat)


def _page(name: str):
    async def page(request: Request, settings: SettingsDep) -> Response:
        response = _file(request, WEB, PAGES[name], OWN)
        response.headers["Content-Security-Policy"] = csp(settings.map_tile_url)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    page.__name__ = f"page_{name}"
    return page


for _name in PAGES:
    router.add_api_route(f"/{_name}", _page(_name), methods=["GET", "HEAD"])


@router.get("/static/vendor/{library}/{rel:path}")
async def vendor_asset(request: Request, library: str, rel: str) -> Response:
    if library not in VENDOR:
        raise NotFound(f"no such library: {library}")
    return _file(request, VENDOR[library], rel, PINNED)


@router.get("/static/{rel:path}")
async def own_asset(request: Request, rel: str) -> Response:
    if rel.split("/", 1)[0] in ("node_modules", "vendor") or rel.startswith("package"):
        raise NotFound(f"no such file: {rel}")
    return _file(request, WEB, rel, OWN)


@router.get("/map/config.json")
async def map_config(settings: SettingsDep) -> JSONResponse:
    """What the map page needs before login: the optional tile layer."""
    return JSONResponse(
        {"tile_url": settings.map_tile_url or None},
        headers={"Cache-Control": "no-cache"},
    )

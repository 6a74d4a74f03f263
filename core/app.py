"""The composition root: builds the FastAPI app and wires every router and worker loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from core import __version__
from core.auth.api import router as auth_router
from core.config import Settings, get_settings
from core.db import Database
from core.events.timers import fire_due
from core.gc_tuning import tune_gc
from core.http import errors
from core.http.middleware import AccessLog, BodySizeLimit
from core.incidents import dispatch_timers  # noqa: F401  (registers dispatch.offer_expiry)
from core.incidents.api import router as incidents_router
from core.incidents.dispatch_api import router as dispatch_router
from core.incidents.hooks import on_activation
from core.incidents.match_api import router as match_router
from core.incidents.match_loop import match_loop
from core.incidents.needs_api import router as needs_router
from core.registry.areas.api import router as areas_router
from core.registry.depots.api import router as depots_router
from core.registry.households.api import router as households_router
from core.registry.items.api import router as items_router
from core.registry.orgs.api import router as orgs_router
from core.registry.volunteers.api import router as volunteers_router
from core.single_worker import SingleWorkerLock
from core.stock.alerts_api import router as stock_alerts_router
from core.stock.api import router as stock_router
from core.stock.counts_api import router as stock_counts_router
from core.stock.depots_api import router as stock_depots_router
from core.stock.disclosure_api import pages as disclosure_pages
from core.stock.disclosure_api import router as disclosure_router
from core.stock.funds_api import router as funds_router
from core.stock.shadow import shadow_for_live_drill
from core.stopping import pause, stop_loops
from maps.api import router as maps_router
from maps.depots_api import router as depots_import_router
from maps.households_api import router as households_import_router
from maps.pages import router as pages_router
from maps.volunteers_api import router as volunteers_import_router
from plans import hooks as plan_hooks
from plans.api import router as plans_router
from plans.chain_api import router as chain_router
from plans.readiness_api import router as readiness_router
from realtime.ws_app import routers as ws_routers
from realtime.ws_app import start_realtime

log = logging.getLogger("huzhu.app")
API_PREFIX = "/api/v1"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _timer_loop(database: Database, settings: Settings, stop: asyncio.Event) -> None:
    worker = worker_name()
    while not stop.is_set():
        try:
            await fire_due(database, worker=worker)
        except Exception:  # keep the loop alive; each failure is logged
            log.exception("timer loop")
        await pause(stop, settings.timer_poll_seconds)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    background: bool = True,
) -> FastAPI:
    """The app. Tests pass their own ``database`` and ``background=False``."""
    settings = settings or get_settings()
    plan_hooks.register()
    on_activation(shadow_for_live_drill)  # a live drill draws on shadow stock only

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_gc(settings)
        own_db = database is None
        db = database or Database.configured(settings)
        lock = SingleWorkerLock.for_settings(settings) if own_db else None
        if lock is not None:
            lock.acquire()
        app.state.database = db
        tasks = []
        live = None
        stop = asyncio.Event()
        if background:
            tasks = [asyncio.create_task(_timer_loop(db, settings, stop)),
                     asyncio.create_task(match_loop(db, settings, stop))]  # fmt: skip
            live = await start_realtime(app, db, settings)
        try:
            yield
        finally:
            if live is not None:
                await live.stop()
            await stop_loops(stop, tasks)  # each finishes its round: no write cut short
            if own_db:
                await db.dispose()
            if lock is not None:
                lock.release()

    app = FastAPI(
        title="Huzhu 互助",
        version=__version__,
        description="Community charity emergency response coordination.",
        lifespan=lifespan,
        docs_url="/docs",
    )
    app.state.settings = settings
    if database is not None:
        app.state.database = database
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AccessLog)
    app.include_router(auth_router, prefix=API_PREFIX)
    app.include_router(maps_router, prefix=API_PREFIX)
    for router in (
        depots_import_router,
        households_import_router,
        volunteers_import_router,
        areas_router,
        orgs_router,
        items_router,
        depots_router,
        households_router,
        volunteers_router,
        incidents_router,
        needs_router,
        match_router,
        dispatch_router,
        plans_router,
        readiness_router,
        chain_router,
        stock_router,
        stock_alerts_router,
        stock_counts_router,
        stock_depots_router,
        funds_router,
        disclosure_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(disclosure_pages)  # public HTML under /disclosure (信息公开)
    app.include_router(pages_router)  # /map, /v, /h and their /static assets (maps/web)
    for router in ws_routers:
        app.include_router(router)  # /ws/volunteer, /ws/coordinator

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """The database answers, and Redis too when one is configured."""
        checks: dict[str, Any] = {}
        ok = True
        try:
            async with app.state.database.reader() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            ok, checks["database"] = False, f"error: {exc.__class__.__name__}"
        if settings.redis_url:
            checks["redis"] = await _redis_check(settings.redis_url)
            ok = ok and checks["redis"] == "ok"
        else:
            checks["redis"] = "not configured"
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503)

    return app


async def _redis_check(url: str) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    finally:
        await client.aclose()

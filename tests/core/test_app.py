"""The app shell: health, request size limit, problem details, logs, one SQLite worker."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from core.app import create_app
from core.config import Settings
from core.db import Database
from core.logs import JsonFormatter
from core.single_worker import AnotherWorkerRunning, SingleWorkerLock
from tests.conftest import service_url


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_healthz_checks_the_database(database: Database, settings: Settings) -> None:
    async with _client(create_app(settings, database=database, background=False)) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "redis": "not configured"}


async def test_healthz_reports_an_unreachable_redis(database: Database) -> None:
    settings = Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0")
    async with _client(create_app(settings, database=database, background=False)) as client:
        r = await client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["redis"].startswith("error")


async def test_healthz_with_redis(database: Database) -> None:
    url = service_url("HUZHU_TEST_REDIS_URL", "Redis")
    settings = Settings(_env_file=None, redis_url=url)
    async with _client(create_app(settings, database=database, background=False)) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["redis"] == "ok"


async def test_healthz_reports_a_dead_database(settings: Settings) -> None:
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with _client(create_app(settings, database=db, background=False)) as client:
            r = await client.get("/healthz")
    finally:
        await db.dispose()
    assert r.status_code == 503 and r.json()["database"].startswith("error")


async def test_oversized_body_is_413_and_reaches_no_route(database: Database) -> None:
    settings = Settings(_env_file=None, max_request_bytes=2048)
    app = create_app(settings, database=database, background=False)
    async with _client(app) as client:
        r = await client.post(
            "/api/v1/auth/token", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["loc"] == ["body"]

        async def chunks():
            for _ in range(5):
                yield b"y" * 1000

        streamed = await client.post(
            "/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


async def test_validation_errors_are_problem_details(api) -> None:
    r = await api.post("/api/v1/auth/token", json={"username": ""})
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == 422 and body["title"] == "Invalid input"
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "username"), ("body", "password")}


async def test_unknown_route_is_problem_404(api) -> None:
    r = await api.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_openapi_docs_served(api) -> None:
    assert (await api.get("/docs")).status_code == 200
    spec = (await api.get("/openapi.json")).json()
    assert "/api/v1/auth/token" in spec["paths"]


async def test_one_log_line_per_request(api, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="huzhu.http"):
        await api.get("/healthz")
    lines = [r for r in caplog.records if r.name == "huzhu.http"]
    assert len(lines) == 1
    entry = json.loads(JsonFormatter().format(lines[0]))
    assert entry["path"] == "/healthz" and entry["status"] == 200 and entry["ms"] >= 0


def test_second_sqlite_worker_is_refused(tmp_path) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/h.db")
    first = SingleWorkerLock.for_settings(settings)
    second = SingleWorkerLock.for_settings(settings)
    first.acquire()
    try:
        with pytest.raises(AnotherWorkerRunning, match="one worker"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_postgres_needs_no_worker_lock() -> None:
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://u@h/db")
    assert SingleWorkerLock.for_settings(settings) is None


async def test_a_services_extra_facts_never_break_the_problem(database, settings) -> None:
    from fastapi import APIRouter

    from core.errors import Conflict

    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise Conflict("already released", status="released", available=0)

    app = create_app(settings, database=database, background=False)
    app.include_router(router)
    async with _client(app) as client:
        r = await client.get("/boom")
    assert r.status_code == 409
    assert r.json()["status"] == 409 and r.json()["status_value"] == "released"
    assert r.json()["available"] == 0

"""The `huzhu` command on a temporary SQLite database."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from core.auth import service as auth_service
from core.cli import app
from core.config import get_settings
from core.db import Database
from core.errors import Unauthorized

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("HUZHU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result


def test_user_lifecycle(sqlite_env) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    created = invoke("user", "create", "root", "--role", "admin", "--json")
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)["token"]
    listed = json.loads(invoke("user", "list", "--json").output)
    assert [u["username"] for u in listed] == ["root"]
    assert invoke("user", "revoke", "root").exit_code == 0

    async def check() -> None:
        db = Database(sqlite_env)
        try:
            async with db.reader() as session:
                with pytest.raises(Unauthorized, match="revoked"):
                    await auth_service.authenticate(session=session, token=token)
        finally:
            await db.dispose()

    asyncio.run(check())


def test_user_create_names_the_bad_field(sqlite_env) -> None:
    invoke("db", "upgrade")
    result = invoke("user", "create", "coord", "--role", "coordinator", "--area", "999999999999")
    assert result.exit_code == 1
    assert "body.area_code" in result.output
    assert json.loads(invoke("user", "list", "--json").output) == []


def test_revoking_an_unknown_user_fails(sqlite_env) -> None:
    invoke("db", "upgrade")
    result = invoke("user", "revoke", "nobody")
    assert result.exit_code == 1 and "no user nobody" in result.output


def test_backup_and_restore(sqlite_env, tmp_path) -> None:
    invoke("db", "upgrade")
    invoke("user", "create", "root", "--role", "admin")
    backup = tmp_path / "backup.db"
    assert invoke("db", "backup", str(backup)).exit_code == 0
    invoke("user", "create", "second", "--role", "admin")
    restored = invoke("db", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "new event epoch" in restored.output
    listed = json.loads(invoke("user", "list", "--json").output)
    assert [u["username"] for u in listed] == ["root"]


def test_serve_refuses_several_workers_on_sqlite(sqlite_env, monkeypatch) -> None:
    monkeypatch.setenv("HUZHU_WORKERS", "2")
    get_settings.cache_clear()
    result = invoke("serve")
    assert result.exit_code == 1 and "one worker" in result.output


def test_areas_import_all_or_nothing(sqlite_env, tmp_path) -> None:
    invoke("db", "upgrade")
    good = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"code": "530000000000", "name": "云南省", "level": 1},
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "code": "532900000000",
                    "name": "大理州",
                    "level": 2,
                    "parent_code": "530000000000",
                },
            },
        ],
    }
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "code": "532922000000",
                    "name": "漾濞县",
                    "level": 3,
                    "parent_code": "532900000000",
                },
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "code": "532923000000",
                    "name": "祥云县",
                    "level": 3,
                    "parent_code": "999900000000",
                },
            },
        ],
    }
    (tmp_path / "good.geojson").write_text(json.dumps(good, ensure_ascii=False))
    (tmp_path / "bad.geojson").write_text(json.dumps(bad, ensure_ascii=False))
    ok = invoke("areas", "import", str(tmp_path / "good.geojson"), "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["created"] == 2
    refused = invoke("areas", "import", str(tmp_path / "bad.geojson"))
    assert refused.exit_code == 1
    assert "rows.1.parent_code" in refused.output
    again = invoke("areas", "import", str(tmp_path / "good.geojson"))
    assert again.exit_code == 1 and "rows.0.code" in again.output


def _area_feature(code: str, name: str, level: int, parent: str | None = None) -> dict:
    props = {"code": code, "name": name, "level": level}
    if parent:
        props["parent_code"] = parent
    return {"type": "Feature", "geometry": None, "properties": props}


def test_depots_import(sqlite_env, tmp_path) -> None:
    invoke("db", "upgrade")
    areas = {
        "type": "FeatureCollection",
        "features": [
            _area_feature("530000000000", "云南省", 1),
            _area_feature("530100000000", "昆明市", 2, "530000000000"),
            _area_feature("530102000000", "五华区", 3, "530100000000"),
        ],
    }
    (tmp_path / "areas.geojson").write_text(json.dumps(areas, ensure_ascii=False))
    assert invoke("areas", "import", str(tmp_path / "areas.geojson")).exit_code == 0
    csv = "name,kind,area_code,lon,lat,capacity_people\n"
    csv += "五华区救灾物资储备库,warehouse,530102000000,102.71,25.04,\n"
    (tmp_path / "depots.csv").write_text(csv)
    bad = csv + "临时避难点,shelter,530102000000,102.72,25.05,\n"
    (tmp_path / "bad.csv").write_text(bad)
    refused = invoke("depots", "import", str(tmp_path / "bad.csv"))
    assert refused.exit_code == 1 and "rows.1.capacity_people" in refused.output
    ok = invoke("depots", "import", str(tmp_path / "depots.csv"), "--crs", "gcj02", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == {"created": 1}

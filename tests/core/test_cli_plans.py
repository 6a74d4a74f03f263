"""`huzhu plan …` on a temporary SQLite database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.cli import app
from tests.core.test_cli import _area_feature, sqlite_env  # noqa: F401  (fixture)

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_plan_lifecycle(sqlite_env, tmp_path) -> None:  # noqa: F811
    assert invoke("db", "upgrade").exit_code == 0
    areas = {"type": "FeatureCollection", "features": [
        _area_feature("530000000000", "云南省", 1),
        _area_feature("532900000000", "大理州", 2, "530000000000"),
        _area_feature("532922000000", "漾濞县", 3, "532900000000"),
    ]}  # fmt: skip
    (tmp_path / "a.geojson").write_text(json.dumps(areas, ensure_ascii=False))
    assert invoke("areas", "import", str(tmp_path / "a.geojson")).exit_code == 0
    assert "earthquake" in invoke("plan", "templates").output
    created = invoke("plan", "new", "532922000000", "earthquake")
    assert created.exit_code == 0, created.output
    first = json.loads(created.output)
    assert first["status"] == "draft" and first["version"] == 1
    approved = invoke("plan", "approve", first["version_id"])
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["status"] == "approved"
    again = invoke("plan", "approve", first["version_id"])
    assert again.exit_code == 1
    shown = invoke("plan", "show", first["plan_id"], "--yaml")
    assert shown.exit_code == 0 and "document:" in shown.output
    (tmp_path / "bad.yaml").write_text(shown.output.replace("default:", "default_x:", 1))
    bad = invoke("plan", "validate", str(tmp_path / "bad.yaml"))
    assert bad.exit_code == 1 and "checkin_deadlines_minutes" in bad.output

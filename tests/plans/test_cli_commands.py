"""`huzhu plan …` functions: offline validation, and new/show/approve/diff on both engines."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid, NotFound
from plans.cli_commands import (
    plan_approve,
    plan_diff,
    plan_new,
    plan_show,
    plan_templates,
    plan_validate,
)
from plans.service import new_version, update_draft
from plans.templates import TEMPLATE_DIR, load_template
from tests.plans.world import make_world


def test_templates_and_offline_validation(tmp_path: Path) -> None:
    assert {t["name"] for t in plan_templates()} >= {"earthquake", "public_health"}
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        assert plan_validate(path)["levels"] == ["I", "II", "III", "IV"]
    wrapped = tmp_path / "plan.yaml"
    doc = load_template("flood")
    wrapped.write_text(yaml.safe_dump({"document": doc}, allow_unicode=True), encoding="utf-8")
    assert plan_validate(wrapped)["hazard"] == "flood"
    doc["materials"][0]["item_code"] = "GOLD-BAR"
    as_json = tmp_path / "plan.json"
    as_json.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        plan_validate(as_json)
    assert caught.value.errors[0].loc == ("materials", 0, "item_code")
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [x\n", encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        plan_validate(broken)
    assert caught.value.errors[0].loc == ("file",)


async def test_new_show_approve_diff(session: AsyncSession) -> None:
    w = await make_world(session)
    made = await plan_new(session=session, area_code=w.seat.code, hazard="forest_fire")
    assert made["version"] == 1 and made["status"] == "draft" and made["template"] == "forest_fire"
    with pytest.raises(Invalid) as caught:
        await plan_new(session=session, area_code="999999999999", hazard="flood")
    assert caught.value.errors[0].loc == ("area_code",)
    plan_id, v1 = uuid.UUID(made["plan_id"]), uuid.UUID(made["version_id"])
    approved = await plan_approve(session=session, version_id=v1)
    assert approved["status"] == "approved" and approved["last_retired_version"] is None
    v2 = await new_version(session=session, principal=None, plan_id=plan_id)
    await update_draft(session=session, principal=None, version_id=v2.id, patch={"supply_days": 1})
    assert (await plan_approve(session=session, version_id=v2.id))["last_retired_version"] == 1
    shown = await plan_show(session=session, plan_id=plan_id)
    assert shown["version"]["version"] == 2 and shown["plan"]["approved"]["version"] == 2
    text = await plan_show(session=session, plan_id=plan_id, version=1, as_yaml=True)
    assert isinstance(text, str) and yaml.safe_load(text)["document"]["supply_days"] == 2
    with pytest.raises(NotFound):
        await plan_show(session=session, plan_id=plan_id, version=7)
    diff = await plan_diff(session=session, v1=v1, v2=v2.id)
    assert diff["changes"] == [{"op": "changed", "path": ["supply_days"], "old": 2, "new": 1}]
    assert json.dumps(diff)  # plain JSON for --json

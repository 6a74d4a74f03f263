"""The plan document: shipped handbooks validate; every rule names the path it breaks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.errors import Invalid
from core.registry.items.catalogue import load_catalogue
from core.registry.vocab import SKILLS, VULNERABILITY_TAGS
from plans.activation import deadlines_for
from plans.documents import merge_patch, parse_document
from plans.schema import PlanDocument
from plans.templates import list_templates, load_template, template_document, template_names
from plans.vocab import HAZARD_CATEGORY, METRICS, Hazard

LOC = ("body", "document")


def bad(doc: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(Invalid) as caught:
        parse_document(doc, loc=LOC)
    return [{"loc": list(e.loc), "msg": e.msg} for e in caught.value.errors]


def quake() -> dict[str, Any]:
    return load_template("earthquake")


def test_every_hazard_has_a_handbook_and_every_handbook_validates() -> None:
    assert template_names() == sorted(h.value for h in Hazard)
    catalogue = {item.code for item in load_catalogue()}
    for info in list_templates():
        doc = template_document(info.name)
        assert doc.hazard.value == info.name and doc.category == HAZARD_CATEGORY[doc.hazard]
        assert [lv.level for lv in doc.levels] == ["I", "II", "III", "IV"]
        assert all(lv.triggers and lv.name for lv in doc.levels)
        assert {m.item_code for m in doc.materials} <= catalogue and doc.materials
        assert set(doc.volunteer_skills) <= set(SKILLS)
        assert set(doc.checkin_deadlines_minutes) <= {*VULNERABILITY_TAGS, "default"}
        assert doc.self_help_checklist and "一二(五)四" not in doc.source
        assert "二(五)四" in doc.source, info.name  # each cites the policy text
        assert doc.contact_tree.team[0].role == "commander"


def test_json_schema_documents_every_field() -> None:
    schema = PlanDocument.model_json_schema()
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description") or name in {"title", "hazard", "levels", "contact_tree",
                                                   "materials", "self_help_checklist"}  # fmt: skip
    assert set(schema["$defs"]) >= {"LevelSpec", "Threshold", "ContactTree", "MaterialNeed"}


def test_category_is_filled_from_the_hazard_and_must_agree() -> None:
    doc = quake()
    del doc["category"]
    assert parse_document(doc, loc=LOC).category.value == "natural_disaster"
    doc["category"] = "public_health"
    assert bad(doc)[0]["loc"] == [*LOC, "category"]


def test_levels_out_of_order() -> None:
    doc = quake()
    doc["levels"][0], doc["levels"][1] = doc["levels"][1], doc["levels"][0]
    errors = bad(doc)
    assert errors[0]["loc"] == [*LOC, "levels", 0, "level"]
    assert "I, II, III, IV" in errors[0]["msg"]


def test_exactly_four_levels() -> None:
    doc = quake()
    doc["levels"].pop()
    assert bad(doc)[0]["loc"] == [*LOC, "levels"]


def test_thresholds_must_not_rise_towards_less_severe_levels() -> None:
    doc = quake()
    doc["levels"][1]["thresholds"][0] = {"metric": "deaths", "at_least": 400}  # I says 300
    errors = bad(doc)
    assert errors == [
        {"loc": [*LOC, "levels", 1, "thresholds", 0, "at_least"], "msg": errors[0]["msg"]}
    ]
    assert "out of order" in errors[0]["msg"] and "I (300)" in errors[0]["msg"]
    doc["levels"][1]["thresholds"][0] = {"metric": "tremors", "at_least": 4}
    assert bad(doc)[0]["loc"] == [*LOC, "levels", 1, "thresholds", 0, "metric"]
    assert "tremors" not in METRICS


def test_unknown_items_skills_and_tags_are_named() -> None:
    doc = quake()
    doc["materials"].append({"item_code": "NOPE-1", "per_person_day": 1})
    doc["volunteer_skills"]["juggling"] = 2
    doc["checkin_deadlines_minutes"]["vip"] = 10
    locs = [e["loc"] for e in bad(doc)]
    n = len(doc["materials"]) - 1
    assert locs == [
        [*LOC, "materials", n, "item_code"],
        [*LOC, "volunteer_skills", "juggling"],
        [*LOC, "checkin_deadlines_minutes", "vip"],
    ]


def test_items_are_checked_against_the_given_catalogue() -> None:
    with pytest.raises(Invalid) as caught:
        parse_document(quake(), loc=LOC, item_codes={"WATER-BOTTLED-L"})
    assert all(e.loc[2] == "materials" for e in caught.value.errors)


@pytest.mark.parametrize("minutes", [0, -5])
def test_deadlines_must_be_positive(minutes: int) -> None:
    doc = quake()
    doc["checkin_deadlines_minutes"]["bedridden"] = minutes
    assert bad(doc)[0]["loc"] == [*LOC, "checkin_deadlines_minutes", "bedridden"]


def test_default_deadline_is_required_and_bounds_the_others() -> None:
    doc = quake()
    del doc["checkin_deadlines_minutes"]["default"]
    assert bad(doc)[0]["loc"] == [*LOC, "checkin_deadlines_minutes", "default"]
    doc = quake()
    doc["checkin_deadlines_minutes"]["aged_80_plus"] = 300  # default is 240
    assert bad(doc)[0]["loc"] == [*LOC, "checkin_deadlines_minutes", "aged_80_plus"]


def test_materials_need_exactly_one_quantity_and_no_repeats() -> None:
    doc = quake()
    doc["materials"][0]["per_person"] = 2
    doc["materials"][1]["item_code"] = doc["materials"][0]["item_code"]
    locs = [e["loc"] for e in bad(doc)]
    assert [*LOC, "materials", 1, "item_code"] in locs and [*LOC, "materials", 0] in locs
    doc = quake()
    doc["materials"][0]["per_person_day"] = 0
    assert bad(doc)[0]["loc"] == [*LOC, "materials", 0, "per_person_day"]


def test_unknown_fields_and_repeated_roles_are_refused() -> None:
    doc = quake()
    doc["colour"] = "red"
    assert bad(doc)[0]["loc"] == [*LOC, "colour"]
    doc = quake()
    doc["contact_tree"]["team"][1]["role"] = "commander"
    assert bad(doc)[0]["loc"] == [*LOC, "contact_tree", "team", 1, "role"]


def test_not_a_mapping() -> None:
    with pytest.raises(Invalid) as caught:
        parse_document(["levels"], loc=LOC)
    assert caught.value.errors[0].loc == LOC


def test_merge_patch_follows_rfc_7396() -> None:
    target = {"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]}
    patch = {"a": None, "b": {"c": 9}, "l": [3], "n": {"x": None}}
    assert merge_patch(target, patch) == {"b": {"c": 9, "d": 3}, "l": [3], "n": {}}
    assert target == {"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]}


def test_deadlines_for_reads_a_document_or_its_json() -> None:
    doc = template_document("flood")
    assert deadlines_for(doc) == deadlines_for(copy.deepcopy(doc.model_dump(mode="json")))
    assert deadlines_for(doc)["default"] == 180 and deadlines_for(doc)["bedridden"] == 30
    with pytest.raises(ValueError):
        deadlines_for({})

"""Structured diffs between plan documents (pure)."""

from __future__ import annotations

from plans.diff import count_changes, diff_documents
from plans.documents import parse_document, stored
from plans.templates import load_template


def quake() -> dict:
    return stored(parse_document(load_template("earthquake"), loc=()))


def test_same_document_has_no_changes() -> None:
    assert diff_documents(quake(), quake()) == []


def test_keyed_lists_are_matched_by_identity_not_position() -> None:
    old, new = quake(), quake()
    new["materials"].reverse()
    new["materials"][0]["per_person"] = 0.5  # MED-STRETCHER, last in the old list
    new["levels"][2]["thresholds"] = [t for t in new["levels"][2]["thresholds"]
                                      if t["metric"] != "deaths"]  # fmt: skip
    new["volunteer_skills"]["search_rescue"] = 8
    new["checkin_deadlines_minutes"]["default"] = 180
    changes = diff_documents(old, new)
    assert [(c["op"], c["path"]) for c in changes] == [
        ("removed", ["levels", "III", "thresholds", "deaths"]),
        ("changed", ["materials", "MED-STRETCHER", "per_person"]),
        ("changed", ["volunteer_skills", "search_rescue"]),
        ("changed", ["checkin_deadlines_minutes", "default"]),
    ]
    assert changes[1]["old"] == 0.01 and changes[1]["new"] == 0.5
    assert changes[0]["old"]["at_least"] == 10
    assert count_changes(changes) == {"added": 0, "removed": 1, "changed": 3}


def test_text_lists_diff_as_sequences() -> None:
    old, new = quake(), quake()
    checklist = new["self_help_checklist"]
    checklist.insert(1, "备好轮椅和助行器")
    checklist[4] = checklist[4] + "，关好门窗"
    del checklist[-1]
    changes = [(c["op"], c["path"]) for c in diff_documents(old, new)]
    assert changes == [
        ("added", ["self_help_checklist", 1]),
        ("changed", ["self_help_checklist", 3]),
        ("removed", ["self_help_checklist", 8]),
    ]


def test_added_and_removed_keys_and_entries() -> None:
    old, new = quake(), quake()
    new["shelters"] = [{"depot_id": "0190d3c2-0000-7000-8000-000000000001", "note": ""}]
    del new["volunteer_skills"]["translation"]
    new["contact_tree"]["team"].append({**new["contact_tree"]["team"][0], "role": "press"})
    ops = {(c["op"], tuple(c["path"])) for c in diff_documents(old, new)}
    assert ops == {
        ("added", ("shelters", "0190d3c2-0000-7000-8000-000000000001")),
        ("removed", ("volunteer_skills", "translation")),
        ("added", ("contact_tree", "team", "press")),
    }
    assert diff_documents({}, {"a": 1}) == [{"op": "added", "path": ["a"], "old": None, "new": 1}]

"""Structured differences between two plan documents (pure functions, JSON in and out).

A change is ``{"op": "added" | "removed" | "changed", "path": [...], "old": …, "new": …}``.
Paths name mapping keys; entries of lists with an identity are matched by it and named
by it (levels by ``level``, thresholds by ``metric``, materials by ``item_code``, team
roles by ``role``, grid workers by ``grid_code``, shelters and assembly points by
``depot_id``), so reordering them is no change. Lists of text (triggers, the checklist)
are compared as sequences: a path ends with the entry's index in the old list (removed,
changed) or the new one (added).
"""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Any

Path = tuple[str | int, ...]

KEYED: dict[Path, str] = {
    ("levels",): "level",
    ("levels", "*", "thresholds"): "metric",
    ("materials",): "item_code",
    ("shelters",): "depot_id",
    ("assembly_points",): "depot_id",
    ("contact_tree", "team"): "role",
    ("contact_tree", "grid_workers"): "grid_code",
}


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference from ``old`` to ``new``, in document order."""
    return list(_diff(old, new, (), ()))


def count_changes(changes: list[dict[str, Any]]) -> dict[str, int]:
    """How many changes of each kind."""
    counts = {"added": 0, "removed": 0, "changed": 0}
    for change in changes:
        counts[change["op"]] += 1
    return counts


def _change(op: str, path: Path, old: Any = None, new: Any = None) -> dict[str, Any]:
    return {"op": op, "path": list(path), "old": old, "new": new}


def _diff(old: Any, new: Any, path: Path, shape: Path) -> Iterator[dict[str, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                yield _change("removed", (*path, key), old=old[key])
            elif key not in old:
                yield _change("added", (*path, key), new=new[key])
            else:
                yield from _diff(old[key], new[key], (*path, key), (*shape, key))
    elif isinstance(old, list) and isinstance(new, list):
        key = KEYED.get(shape)
        if key is not None and _keyed(old, key) and _keyed(new, key):
            yield from _diff_keyed(old, new, key, path, shape)
        else:
            yield from _diff_sequence(old, new, path, shape)
    elif old != new:
        yield _change("changed", path, old=old, new=new)


def _keyed(items: list[Any], key: str) -> bool:
    ids = [item.get(key) for item in items if isinstance(item, dict)]
    return len(ids) == len(items) and None not in ids and len(set(map(str, ids))) == len(ids)


def _diff_keyed(
    old: list[dict[str, Any]], new: list[dict[str, Any]], key: str, path: Path, shape: Path
) -> Iterator[dict[str, Any]]:
    before = {str(item[key]): item for item in old}
    after = {str(item[key]): item for item in new}
    for ident, item in before.items():
        if ident not in after:
            yield _change("removed", (*path, ident), old=item)
        else:
            yield from _diff(item, after[ident], (*path, ident), (*shape, "*"))
    for ident, item in after.items():
        if ident not in before:
            yield _change("added", (*path, ident), new=item)


def _diff_sequence(
    old: list[Any], new: list[Any], path: Path, shape: Path
) -> Iterator[dict[str, Any]]:
    hashable = [repr(x) for x in old], [repr(x) for x in new]
    matcher = SequenceMatcher(a=hashable[0], b=hashable[1], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            yield from _diff(old[i1 + k], new[j1 + k], (*path, i1 + k), (*shape, "*"))
        for i in range(i1 + paired, i2):
            yield _change("removed", (*path, i), old=old[i])
        for j in range(j1 + paired, j2):
            yield _change("added", (*path, j), new=new[j])

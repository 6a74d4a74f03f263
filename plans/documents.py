"""Plan documents in and out: validation with located errors, merge patches, YAML."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from core.errors import ErrorList, Invalid
from plans.schema import PlanDocument

Loc = Sequence[str | int]


def parse_document(
    data: Any,
    *,
    loc: Loc,
    item_codes: Collection[str] | None = None,
    hazard: str | None = None,
) -> PlanDocument:
    """Validate ``data`` as a :class:`PlanDocument`; 422 naming ``loc + path`` for each
    problem. ``item_codes`` are the catalogue codes allowed (default: the shipped file);
    ``hazard`` is the plan's, which the document must repeat."""
    if not isinstance(data, dict):
        raise Invalid.field(loc, "a plan document must be a mapping (JSON object)")
    try:
        doc = PlanDocument.model_validate(data, context={"item_codes": item_codes})
    except ValidationError as exc:
        errors = ErrorList()
        for err in exc.errors():
            errors.add((*loc, *err["loc"]), err["msg"].removeprefix("Value error, "))
        errors.raise_if_any(_detail(errors))
        raise  # pragma: no cover  (a ValidationError always has errors)
    if hazard is not None and doc.hazard.value != hazard:
        msg = f"this plan is for {hazard}; the document says {doc.hazard.value}"
        raise Invalid.field((*loc, "hazard"), msg)
    return doc


def _detail(errors: ErrorList) -> str:
    shown = [".".join(map(str, e.loc)) for e in errors.errors[:5]]
    more = f" and {len(errors.errors) - 5} more" if len(errors.errors) > 5 else ""
    return "invalid plan document: " + ", ".join(shown) + more


def stored(doc: PlanDocument) -> dict[str, Any]:
    """The JSON form kept in ``plan_version.document`` (every field, defaults filled)."""
    return doc.model_dump(mode="json")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge key by key, ``null`` deletes, anything
    else (lists included) replaces. ``target`` is not modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def from_yaml(text: str | bytes, *, loc: Loc = ("body",)) -> Any:
    """Parse YAML (safe loader); 422 naming ``loc`` with the line of a syntax error."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise Invalid.field(loc, f"not valid YAML{where}: {exc}") from exc


def to_yaml(data: Any, *, header: str = "") -> str:
    """Block-style YAML keeping key order and Chinese text as is."""
    body = yaml.safe_dump(to_jsonable_python(data), allow_unicode=True, sort_keys=False, width=100)
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + body

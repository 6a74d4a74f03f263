"""Rules of a plan document beyond field types (run by ``PlanDocument`` after parsing).

* levels are exactly I, II, III, IV in that order; a metric's threshold never rises from
  a more severe level to a less severe one (I ≥ II ≥ III ≥ IV), each metric at most once
  per level and known (:data:`plans.vocab.METRICS`);
* the category agrees with the hazard (and is filled in when omitted);
* materials name known catalogue items, once each, with exactly one of
  ``per_person_day`` / ``per_person``; volunteer skills are known skills with a positive
  number per 1,000 residents;
* check-in deadlines name known vulnerability tags or ``default`` (required), are
  positive, and a vulnerable class never waits longer than ``default``;
* team roles, grid codes and depots are unique in their lists.

All problems are reported together, each with its path inside the document.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from core.registry.vocab import SKILLS, VULNERABILITY_TAGS
from plans.vocab import DEFAULT_CLASS, HAZARD_CATEGORY, LEVEL_NAMES, LEVELS, METRICS

if TYPE_CHECKING:
    from plans.schema import PlanDocument

Loc = tuple[str | int, ...]
MAX_DEADLINE_MINUTES = 7 * 24 * 60


@lru_cache(maxsize=1)
def shipped_item_codes() -> frozenset[str]:
    """The codes of the shipped item catalogue file (offline validation)."""
    from core.registry.items.catalogue import load_catalogue

    return frozenset(item.code for item in load_catalogue())


def check_document(doc: PlanDocument, *, item_codes: Collection[str] | None = None) -> None:
    """Raise a ``ValidationError`` listing every broken rule; fill defaults otherwise."""
    codes = shipped_item_codes() if item_codes is None else item_codes
    problems: list[tuple[Loc, str]] = []
    problems += _levels(doc)
    problems += _category(doc)
    problems += _materials(doc, codes)
    problems += _skills(doc.volunteer_skills)
    problems += _deadlines(doc.checkin_deadlines_minutes)
    team = doc.contact_tree
    problems += _unique(("contact_tree", "team"), "role", [r.role for r in team.team])
    grids = [g.grid_code for g in team.grid_workers]
    problems += _unique(("contact_tree", "grid_workers"), "grid_code", grids)
    for field in ("shelters", "assembly_points"):
        ids = [str(p.depot_id) for p in getattr(doc, field)]
        problems += _unique((field,), "depot_id", ids)
    if problems:
        raise ValidationError.from_exception_data(
            "PlanDocument",
            [
                InitErrorDetails(
                    type=PydanticCustomError("plan_rule", "{msg}", {"msg": msg}),
                    loc=loc,
                    input=_at(doc, loc),
                )
                for loc, msg in problems
            ],
        )


def _at(doc: Any, loc: Loc) -> Any:
    value = doc.model_dump(mode="json")
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _levels(doc: PlanDocument) -> Iterable[tuple[Loc, str]]:
    for i, spec in enumerate(doc.levels):
        if spec.level != LEVELS[i]:
            got = ", ".join(s.level for s in doc.levels)
            yield ("levels", i, "level"), f"levels must be I, II, III, IV in order; got {got}"
            return
        spec.name = spec.name or LEVEL_NAMES[spec.level]
    highest: dict[str, tuple[float, str]] = {}  # metric -> threshold at a more severe level
    for i, spec in enumerate(doc.levels):
        seen: set[str] = set()
        for j, t in enumerate(spec.thresholds):
            loc: Loc = ("levels", i, "thresholds", j)
            if t.metric not in METRICS:
                yield (*loc, "metric"), f"unknown metric {t.metric!r}"
                continue
            if t.metric in seen:
                yield (*loc, "metric"), f"{t.metric} appears twice in level {spec.level}"
                continue
            seen.add(t.metric)
            before = highest.get(t.metric)
            if before is not None and t.at_least > before[0]:
                yield (
                    (*loc, "at_least"),
                    (
                        f"thresholds out of order: level {spec.level} needs {t.metric} ≥ "
                        f"{t.at_least:g}, more than the more severe level {before[1]} "
                        f"({before[0]:g})"
                    ),
                )
            highest[t.metric] = (t.at_least, spec.level)


def _category(doc: PlanDocument) -> Iterable[tuple[Loc, str]]:
    expected = HAZARD_CATEGORY[doc.hazard]
    if doc.category is None:
        doc.category = expected
    elif doc.category != expected:
        yield ("category",), f"hazard {doc.hazard.value} belongs to category {expected.value}"


def _materials(doc: PlanDocument, codes: Collection[str]) -> Iterable[tuple[Loc, str]]:
    seen: set[str] = set()
    for i, need in enumerate(doc.materials):
        if need.item_code not in codes:
            yield ("materials", i, "item_code"), f"unknown item code {need.item_code!r}"
        elif need.item_code in seen:
            yield ("materials", i, "item_code"), f"{need.item_code} is listed twice"
        seen.add(need.item_code)
        if (need.per_person_day is None) == (need.per_person is None):
            yield ("materials", i), "give exactly one of per_person_day and per_person"


def _skills(skills: dict[str, float]) -> Iterable[tuple[Loc, str]]:
    for skill, per_thousand in skills.items():
        if skill not in SKILLS:
            yield ("volunteer_skills", skill), f"unknown skill {skill!r}"
        elif not per_thousand > 0:
            yield ("volunteer_skills", skill), "volunteers per 1,000 residents must be > 0"


def _deadlines(deadlines: dict[str, int]) -> Iterable[tuple[Loc, str]]:
    loc: Loc = ("checkin_deadlines_minutes",)
    if DEFAULT_CLASS not in deadlines:
        yield (*loc, DEFAULT_CLASS), "required: the deadline for everyone without a listed tag"
    for key, minutes in deadlines.items():
        if key != DEFAULT_CLASS and key not in VULNERABILITY_TAGS:
            yield (*loc, key), f"unknown vulnerability tag {key!r}"
        elif minutes <= 0:
            yield (*loc, key), "a deadline must be > 0 minutes"
        elif minutes > MAX_DEADLINE_MINUTES:
            yield (*loc, key), f"a deadline must be at most {MAX_DEADLINE_MINUTES} minutes"
    default = deadlines.get(DEFAULT_CLASS)
    if default is None or default <= 0:
        return
    for key, minutes in deadlines.items():
        if key in VULNERABILITY_TAGS and default < minutes <= MAX_DEADLINE_MINUTES:
            yield (
                (*loc, key),
                (f"a vulnerable class may not wait longer than everyone else ({default} min)"),
            )


def _unique(loc: Loc, field: str, values: list[str]) -> Iterable[tuple[Loc, str]]:
    first: dict[str, int] = {}
    for i, value in enumerate(values):
        j = first.setdefault(value, i)
        if j != i:
            yield (*loc, i, field), f"{value} repeats entry {j}"

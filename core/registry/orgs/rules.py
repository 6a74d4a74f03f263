"""Shared by the organization and fund services: who writes, kind rules, names, events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import ErrorList, Forbidden
from core.events.outbox import EventIn
from core.registry.areas.models import Area, AreaLevel
from core.registry.orgs.models import OrgCategory, OrgKind, OrgRegistration

WRITERS = frozenset({Role.admin, Role.coordinator})
Loc = Callable[[str], tuple[str | int, ...]]
"""Maps a field name to its error location: ("body", f) or ("rows", i, f)."""

_CATEGORIES = ", ".join(c.value for c in OrgCategory)
_COMMITTEES = frozenset({OrgKind.residents_committee, OrgKind.villagers_committee})


def body_loc(field: str) -> tuple[str | int, ...]:
    return ("body", field)


def row_loc(index: int) -> Loc:
    return lambda field: ("rows", index, field)


def ensure_writer(principal: Principal, what: str) -> None:
    """403 unless the principal may change ``what`` at all (admin, coordinator)."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change {what}")


def check_kind_rules(
    *,
    kind: str,
    category: str | None,
    registration: str,
    public_fundraising: bool,
    area_level: int | None,
    loc: Loc,
    errors: ErrorList,
) -> None:
    """The organization rules that tie fields together (2018 and 2024 texts).

    * a community social organization (社区社会组织) has one of the five categories;
      no other kind has one;
    * only community social organizations may be township-managed (乡镇(街道)备案管理),
      and then their home area is a township or a community;
    * only charity organizations (慈善组织) hold a public-fundraising qualification;
    * residents'/villagers' committees belong to a community or village (level 5).
    """
    is_cso = kind == OrgKind.community_social_organization
    if is_cso and category is None:
        errors.add(loc("category"), f"required for a community social organization: {_CATEGORIES}")
    if not is_cso and category is not None:
        errors.add(loc("category"), f"only community social organizations have one, not {kind}")
    if registration == OrgRegistration.township_managed:
        if not is_cso:
            msg = f"only community social organizations may be township-managed, not {kind}"
            errors.add(loc("registration"), msg)
        elif area_level is not None and area_level < AreaLevel.township:
            msg = "a township-managed organization's home area is a township or a community"
            errors.add(loc("area_code"), msg)
    if public_fundraising and kind != OrgKind.charity_organization:
        msg = f"only charity organizations (慈善组织) can hold 公开募捐资格, not {kind}"
        errors.add(loc("public_fundraising"), msg)
    if kind in _COMMITTEES and area_level is not None and area_level != AreaLevel.community:
        errors.add(loc("area_code"), f"a {kind} belongs to a community or village (level 5)")


def fund_name(host_name: str, area_name: str, area_level: int, zihao: str) -> str:
    """The 2024 text's name: "{host}{乡镇/街道}{字号}社区基金" or "{host}{社区/村}{字号}基金"."""
    suffix = "社区基金" if area_level == AreaLevel.township else "基金"
    return f"{host_name}{area_name}{zihao}{suffix}"


def org_event(type_: str, *, id: uuid.UUID, name: str, area_path: str, **data: Any) -> EventIn:
    """An ``organization.*`` or ``community_fund.*`` event on ``area:<area_path>``."""
    return EventIn(
        type=type_,
        data={"id": id, "name": name, "area_path": area_path, **data},
        streams=[f"area:{area_path}"],
    )


def duplicates(values: Sequence[str | None]) -> dict[int, int]:
    """``{index: first index}`` for every value repeated earlier in ``values`` (None skipped)."""
    first: dict[str, int] = {}
    dupes: dict[int, int] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        j = first.setdefault(value, i)
        if j != i:
            dupes[i] = j
    return dupes


async def count_where(session: AsyncSession, model: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(where)) or 0)


async def areas_by_code(session: AsyncSession, codes: set[str]) -> dict[str, Area]:
    """Stored areas by 12-digit code (chunked under the engines' parameter limits)."""
    found: dict[str, Area] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        for area in (await session.scalars(select(Area).where(Area.code.in_(chunk)))).all():
            found[area.code] = area
    return found


def detail(errors: ErrorList) -> str:
    """The problem ``detail`` listing the fields in ``errors``."""
    return "invalid fields: " + ", ".join(".".join(map(str, e.loc)) for e in errors.errors)

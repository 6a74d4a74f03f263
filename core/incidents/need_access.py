"""Who raises, changes and reads needs (the one place; the table is in :mod:`.needs`).

Reach (needs visible at all; others are 404 and absent from lists) is the households'
rule on the need's community path and household: admin everything; coordinator,
grid worker and auditor their area subtree; a household contact the needs of their
own household; a volunteer none yet (an active assignment will grant its need).
Personal fields (``description``, the exact point) follow
:func:`core.auth.personal.may_read_personal` with the household's grid.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement

from core.auth.personal import may_read_personal
from core.auth.roles import Principal, Role
from core.auth.scope import in_scope
from core.errors import Forbidden
from core.incidents.need_models import NeedSource, NeedStatus
from core.registry.households.access import personal_clause

RAISERS = frozenset({Role.admin, Role.coordinator, Role.grid_worker, Role.household_contact})
SOS_CALLERS = frozenset({Role.admin, Role.coordinator, Role.household_contact})
CONTACT_SOURCES = frozenset({NeedSource.household_report, NeedSource.sos})


def ensure_may_raise(principal: Principal, source: NeedSource) -> None:
    """403 unless the role may raise needs from ``source`` at all."""
    role = principal.role
    if role not in RAISERS:
        raise Forbidden(f"role {role.value} may not raise needs")
    if source is NeedSource.sos and role not in SOS_CALLERS:
        raise Forbidden(f"role {role.value} may not send an SOS")
    if role is Role.household_contact and source not in CONTACT_SOURCES:
        raise Forbidden("a household contact raises household reports and SOS only")
    if source is NeedSource.chain and not principal.is_admin:
        raise Forbidden("only the check-in chain raises chain needs")


def may_raise_at(
    principal: Principal,
    *,
    area_path: str,
    household_id: uuid.UUID | None,
    grid_id: uuid.UUID | None,
) -> str | None:
    """None if ``principal`` may raise a need here, else the reason it may not."""
    role = principal.role
    if role is Role.admin:
        return None
    if role is Role.coordinator:
        return None if in_scope(principal, area_path) else "outside your area"
    if role is Role.grid_worker:
        ok = household_id is not None and grid_id in principal.grid_ids
        return None if ok else "grid workers raise needs only for households in their grids"
    if role is Role.household_contact:
        ok = household_id is not None and household_id == principal.household_id
        return None if ok else "a household contact reports only for their own household"
    return f"role {role.value} may not raise needs"


def ensure_may_change(
    principal: Principal,
    *,
    area_path: str,
    household_id: uuid.UUID | None,
    grid_id: uuid.UUID | None,
    to: NeedStatus,
) -> None:
    """403 unless ``principal`` may move this need (already in reach) to ``to``.

    A household contact may only cancel their own household's needs.
    """
    role = principal.role
    own = household_id is not None and household_id == principal.household_id
    if role is Role.household_contact and own:
        if to is not NeedStatus.cancelled:
            raise Forbidden("a household contact may only cancel their household's needs")
        return
    if role not in (Role.admin, Role.coordinator, Role.grid_worker):
        raise Forbidden(f"role {role.value} may not change needs")
    why = may_raise_at(principal, area_path=area_path, household_id=household_id, grid_id=grid_id)
    if why is not None:
        raise Forbidden(why)


def personal(
    principal: Principal,
    *,
    area_path: str,
    household_id: uuid.UUID | None,
    grid_id: uuid.UUID | None,
) -> bool:
    """May ``principal`` read this need's description and exact point?"""
    return may_read_personal(
        principal, area_path=area_path, grid_id=grid_id, household_id=household_id
    )


def need_personal_clause(
    principal: Principal, *, area_path: Any, household_id: Any, grid_id: Any
) -> ColumnElement[bool]:
    """:func:`personal` as SQL (``grid_id`` from the outer-joined household)."""
    return personal_clause(
        principal, area_path=area_path, grid_id=grid_id, household_id=household_id
    )

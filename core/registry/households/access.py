"""Who reaches, reads personally and writes households and persons (the one place).

Reach (rows visible at all; others are 404 and absent from lists): admin everything;
coordinator, grid worker and auditor their area subtree; household contact their own
household only; volunteer nothing yet (an active assignment will grant it).

Personal fields per row: :func:`core.auth.personal.may_read_personal`;
:func:`personal_clause` is the same rule as SQL, for filters that must not reveal
personal data (tags, ages, exact points).

The role matrix for writes is in :mod:`core.registry.households.service`; this
module implements it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, false, true

from core.auth.personal import may_read_personal
from core.auth.roles import Principal, Role
from core.auth.scope import in_scope, scope_clause
from core.errors import Forbidden
from core.registry.households.models import Household

CREATORS = frozenset({Role.admin, Role.coordinator, Role.grid_worker})
CONTACT_HOUSEHOLD_FIELDS = frozenset({"phone"})


def in_reach(principal: Principal, *, area_path: str, household_id: uuid.UUID) -> bool:
    """True if the principal may see the row at all (else 404)."""
    role = principal.role
    if role is Role.volunteer:
        return False
    if role is Role.household_contact:
        return principal.household_id is not None and household_id == principal.household_id
    return in_scope(principal, area_path)


def reach_clause(principal: Principal, *, area_path: Any, household_id: Any) -> ColumnElement:
    """:func:`in_reach` as a WHERE clause (``area_path``/``household_id`` are columns)."""
    role = principal.role
    if role is Role.volunteer:
        return false()
    if role is Role.household_contact:
        if principal.household_id is None:
            return false()
        return household_id == principal.household_id
    return scope_clause(principal, area_path)


def personal_clause(
    principal: Principal, *, area_path: Any, grid_id: Any, household_id: Any
) -> ColumnElement:
    """:func:`~core.auth.personal.may_read_personal` as a WHERE clause."""
    role = principal.role
    if role is Role.admin:
        return true()
    if role is Role.coordinator:
        return scope_clause(principal, area_path)
    if role is Role.grid_worker:
        if not principal.grid_ids:
            return false()
        return and_(scope_clause(principal, area_path), grid_id.in_(sorted(principal.grid_ids)))
    if role is Role.auditor:
        return scope_clause(principal, area_path) if principal.can_read_personal else false()
    if role is Role.household_contact and principal.household_id is not None:
        return household_id == principal.household_id
    return false()


def personal(principal: Principal, household: Household) -> bool:
    """May ``principal`` read the personal fields of ``household`` and its members?"""
    return may_read_personal(
        principal,
        area_path=household.area_path,
        grid_id=household.grid_id,
        household_id=household.id,
    )


def ensure_creator(principal: Principal) -> None:
    """403 unless the role may register households (admin, coordinator, grid worker)."""
    if principal.role not in CREATORS:
        raise Forbidden(f"role {principal.role.value} may not register households")


def may_write(principal: Principal, *, area_path: str, grid_id: uuid.UUID | None) -> bool:
    """May an admin, coordinator or grid worker place a household here?"""
    role = principal.role
    if role is Role.admin:
        return True
    if role is Role.coordinator:
        return in_scope(principal, area_path)
    if role is Role.grid_worker:
        return in_scope(principal, area_path) and grid_id in principal.grid_ids
    return False


def ensure_may_change(
    principal: Principal, household: Household, fields: Iterable[str] | None = None
) -> None:
    """403 unless ``principal`` may change (``fields`` of) ``household``.

    ``fields=None`` means the household as a whole (delete).
    """
    if principal.role is Role.household_contact and household.id == principal.household_id:
        if fields is None:
            raise Forbidden("a household contact may not delete the household")
        extra = sorted(set(fields) - CONTACT_HOUSEHOLD_FIELDS)
        if extra:
            raise Forbidden(f"a household contact may change only phone, not {', '.join(extra)}")
        return
    if not may_write(principal, area_path=household.area_path, grid_id=household.grid_id):
        raise Forbidden(f"role {principal.role.value} may not change this household")


def ensure_may_change_members(principal: Principal, household: Household) -> None:
    """403 unless ``principal`` may add, change or remove members of ``household``."""
    if principal.role is Role.household_contact and household.id == principal.household_id:
        return
    if not may_write(principal, area_path=household.area_path, grid_id=household.grid_id):
        raise Forbidden(f"role {principal.role.value} may not change members of this household")

"""Who reports check-ins and who reads the chain board (the one place).

=================  ===============================  =======================================
role               reports for                      board rows (personal fields: see below)
=================  ===============================  =======================================
admin              any household                    all
coordinator        households in their subtree      their subtree
grid worker        households of their grids        their grids
household contact  their own household              — (403)
auditor            — (403, read-only)               their subtree
volunteer          — (403 until assignments carry   — (403)
                   the household: a later issue)
=================  ===============================  =======================================

A household out of reach (another area; for a contact, any other household) is 404, as
for households themselves; a grid worker's household of another grid in their community
is 403 (they can see it, not report for it). Personal fields on the board (addresses)
follow :func:`core.auth.personal.may_read_personal` and every read is logged.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, false

from core.auth.roles import Principal, Role
from core.auth.scope import in_scope, scope_clause
from core.errors import Forbidden

REPORTERS = frozenset({Role.admin, Role.coordinator, Role.grid_worker, Role.household_contact})
BOARD_READERS = frozenset({Role.admin, Role.coordinator, Role.grid_worker, Role.auditor})


def ensure_reporter(principal: Principal) -> None:
    if principal.role not in REPORTERS:
        raise Forbidden(f"role {principal.role.value} may not report check-ins")


def ensure_board_reader(principal: Principal) -> None:
    if principal.role not in BOARD_READERS:
        raise Forbidden(f"role {principal.role.value} may not read the chain board")


def in_reach(principal: Principal, *, area_path: str, household_id: uuid.UUID) -> bool:
    """May the principal see this household's check-in at all (else 404)?"""
    if principal.role is Role.household_contact:
        return principal.household_id is not None and principal.household_id == household_id
    return in_scope(principal, area_path)


def may_report(principal: Principal, *, grid_id: uuid.UUID | None) -> bool:
    """For a household already in reach: may the principal report for it (else 403)?"""
    if principal.role is Role.grid_worker:
        return grid_id is not None and grid_id in principal.grid_ids
    return principal.role in REPORTERS


def board_clause(principal: Principal, *, area_path: Any, grid_id: Any) -> ColumnElement[bool]:
    """THE row filter of the board (check-in columns ``area_path``, ``grid_id``)."""
    if principal.role not in BOARD_READERS:
        return false()
    clause = scope_clause(principal, area_path)
    if principal.role is Role.grid_worker:
        if not principal.grid_ids:
            return false()
        return and_(clause, grid_id.in_(sorted(principal.grid_ids)))
    return clause

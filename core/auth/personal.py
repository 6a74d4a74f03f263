"""Who may read personal data (names, phones, birth years, tags of residents and volunteers).

DESIGN.md Decisions: Roles. Every such read is logged with
:func:`core.auth.service.log_personal_read`.
"""

from __future__ import annotations

import uuid

from core.auth.roles import Principal, Role
from core.auth.scope import in_scope


def may_read_personal(
    principal: Principal,
    *,
    area_path: str,
    grid_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> bool:
    """True if ``principal`` may see personal fields of a row at ``area_path``.

    Admin: everywhere. Coordinator: their subtree. Grid worker: households of their
    grids. Auditor: their subtree only when granted. Household contact: their own
    household. Volunteer: not here (an active assignment grants it, a later issue).
    """
    role = principal.role
    if role is Role.admin:
        return True
    if role is Role.coordinator:
        return in_scope(principal, area_path)
    if role is Role.grid_worker:
        return (
            in_scope(principal, area_path) and grid_id is not None and grid_id in principal.grid_ids
        )
    if role is Role.auditor:
        return principal.can_read_personal and in_scope(principal, area_path)
    if role is Role.household_contact:
        return household_id is not None and household_id == principal.household_id
    return False

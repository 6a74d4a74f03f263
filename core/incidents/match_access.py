"""Who reads and changes matching: tasks, assignments, overrides and batches.

* reads (tasks, assignments with their reasons, overrides): admin, and coordinators, grid
  workers and auditors inside their area subtree (the row's ``area_path``, i.e. the
  need's); other roles 403 (a volunteer's own dispatches come with the realtime issue);
* writes (run a batch, add or delete an override): admin and coordinators (403 else);
* outside the caller's subtree a need, assignment or override is 404 (not disclosed).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.scope import ensure_in_scope
from core.errors import Forbidden
from core.incidents import rules
from core.incidents.need_models import Need

READERS = frozenset({Role.admin, Role.coordinator, Role.grid_worker, Role.auditor})


def ensure_reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise Forbidden(f"role {principal.role.value} may not read matching")


def ensure_writer(principal: Principal) -> None:
    """403 unless the role may change matching (the incidents' writers: core.incidents.rules)."""
    rules.ensure_writer(principal, "change matching")


async def need_in_scope(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, *, write: bool = False
) -> Any:
    """The need's (id, incident_id, area_path, status, is_drill); 404 outside the scope,
    403 for a role that may not read (or, with ``write``, change) matching."""
    row = (
        await session.execute(
            select(Need.id, Need.incident_id, Need.area_path, Need.status, Need.is_drill).where(
                Need.id == need_id
            )
        )
    ).first()
    ensure_in_scope(principal, row.area_path if row else None, what="need")
    (ensure_writer if write else ensure_reader)(principal)
    return row

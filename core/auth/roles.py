"""Roles and the principal a request acts as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """DESIGN.md Decisions: Roles."""

    admin = "admin"
    coordinator = "coordinator"
    grid_worker = "grid_worker"
    volunteer = "volunteer"
    household_contact = "household_contact"
    auditor = "auditor"


# Roles a coordinator may hand out by invitation (never admin).
INVITABLE_BY_COORDINATOR = frozenset(
    {Role.coordinator, Role.grid_worker, Role.volunteer, Role.household_contact, Role.auditor}
)
# Roles that must be bound to an area; only an admin may be unbounded.
AREA_BOUND = frozenset(set(Role) - {Role.admin})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: taken from a valid token, never from the request body.

    ``scope_path`` is the ``area_path`` of the area the role covers (that area
    and everything below); ``None`` means everywhere (admin only).
    """

    user_id: uuid.UUID
    token_id: uuid.UUID
    role: Role
    scope_path: str | None
    grid_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    household_id: uuid.UUID | None = None
    volunteer_id: uuid.UUID | None = None
    can_read_personal: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


SYSTEM = Principal(
    user_id=uuid.UUID(int=0), token_id=uuid.UUID(int=0), role=Role.admin, scope_path=None
)
"""The principal of trusted callers (CLI, demo loader, drills, timers): an admin without a
user row. Services take ``principal=None`` to mean it."""


def actor(principal: Principal) -> uuid.UUID | None:
    """The user to record as author (None for :data:`SYSTEM`)."""
    return None if principal is SYSTEM or principal.user_id.int == 0 else principal.user_id

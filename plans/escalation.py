"""Who an overdue check-in escalates to: grid worker → community → township coordinators.

The levels go into the ``checkin.overdue`` event (``escalate_to``, in that order) so the
coordinators' alert inbox can show them; the event is also on the ``area:`` streams of
the community and its township. Two SELECTs for any number of households.

The escalation is timed (:mod:`plans.escalate`): the first alert goes to the grid worker
(the community when the household has no grid or its grid no active worker); a household
still not confirmed :data:`ESCALATION_INTERVAL_MINUTES` later reaches the community
coordinators, and as long again after that the township coordinators.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import User, UserGrid
from core.auth.roles import Role

ESCALATION_INTERVAL_MINUTES = 30
"""Minutes between escalation steps, divided by the incident's speed-up (live drills)."""

ESCALATE_TIMER = "chain.escalate"
"""The durable timer kind: payload ``incident_id``, ``deadline_at``, ``level``."""

NEXT_LEVEL: dict[str, str] = {"grid": "community", "community": "township"}
"""The level a still-unconfirmed household reaches one interval later."""


def escalation_interval(speedup: float) -> timedelta:
    """The time between two escalation steps of an incident with this speed-up."""
    return timedelta(minutes=ESCALATION_INTERVAL_MINUTES / max(speedup, 1.0))


def escalate_key(incident_id: uuid.UUID, deadline_at: datetime, level: str) -> str:
    """The unique key of the escalation timer of one deadline batch and level."""
    return f"chain-esc:{incident_id}:{deadline_at.isoformat()}:{level}"


def level_path(level: str, community_path: str) -> str:
    """The ``area_path`` whose stream a level's alert goes to (the grid's: its community)."""
    return township_path(community_path) if level == "township" else community_path


def township_path(community_path: str) -> str:
    """The township's ``area_path`` above a community's (its parent)."""
    parts = community_path.rstrip("/").split("/")
    return "/".join(parts[:-1]) + "/" if len(parts) > 1 else community_path


@dataclass(frozen=True, slots=True)
class Escalation:
    """Users per level: grid workers by grid, coordinators by exact area path."""

    grid_workers: dict[uuid.UUID, list[uuid.UUID]]
    coordinators: dict[str, list[uuid.UUID]]

    def first_level(self, grid_id: uuid.UUID | None) -> str:
        """``grid`` when the household's grid has an active worker, else ``community``."""
        return "grid" if grid_id is not None and self.grid_workers.get(grid_id) else "community"

    def users(
        self, level: str, *, grid_id: uuid.UUID | None, community_path: str
    ) -> list[uuid.UUID]:
        """The recipients of one household's alert at ``level``."""
        if level == "grid":
            return self.grid_workers.get(grid_id, []) if grid_id is not None else []
        return self.coordinators.get(level_path(level, community_path), [])

    def levels(self, *, grid_id: uuid.UUID | None, community_path: str) -> list[dict[str, object]]:
        """The ``escalate_to`` list of one household, nearest level first."""
        township = township_path(community_path)
        out: list[dict[str, object]] = []
        if grid_id is not None:
            users = self.grid_workers.get(grid_id, [])
            out.append({"level": "grid", "grid_id": grid_id, "users": users})
        for level, path in (("community", community_path), ("township", township)):
            users = self.coordinators.get(path, [])
            out.append({"level": level, "area_path": path, "users": users})
        return out


async def escalation_for(
    *,
    session: AsyncSession,
    grid_ids: Iterable[uuid.UUID | None],
    community_paths: Iterable[str],
) -> Escalation:
    """Active grid workers of ``grid_ids``; coordinators of the communities and townships."""
    grids = sorted({g for g in grid_ids if g is not None})
    communities = set(community_paths)
    paths = sorted(communities | {township_path(p) for p in communities})
    workers: dict[uuid.UUID, list[uuid.UUID]] = {}
    if grids:
        stmt = (
            select(UserGrid.grid_id, User.id)
            .join(User, User.id == UserGrid.user_id)
            .where(
                UserGrid.grid_id.in_(grids),
                User.role == Role.grid_worker.value,
                User.disabled_at.is_(None),
            )
            .order_by(UserGrid.grid_id, User.id)
        )
        for grid_id, user_id in await session.execute(stmt):
            workers.setdefault(grid_id, []).append(user_id)
    coordinators: dict[str, list[uuid.UUID]] = {}
    if paths:
        stmt2 = (
            select(User.scope_path, User.id)
            .where(
                User.scope_path.in_(paths),
                User.role == Role.coordinator.value,
                User.disabled_at.is_(None),
            )
            .order_by(User.scope_path, User.id)
        )
        for path, user_id in await session.execute(stmt2):
            coordinators.setdefault(path, []).append(user_id)
    return Escalation(grid_workers=workers, coordinators=coordinators)

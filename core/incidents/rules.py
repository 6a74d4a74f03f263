"""Who may see and change an incident, and the shape of its events.

Visibility is one clause, :func:`touching`: an incident is seen from an area when at
least one of the areas it covers (``incident_area``: affected communities and areas
opened for mutual aid) lies in that area's subtree, or is one of that area's
ancestors (an incident declared above you that covers you). The list filter, the
object check (404) and the ``area=`` filter all use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.scope import in_scope
from core.errors import Conflict, Forbidden
from core.events.outbox import EventIn, emit_many
from core.incidents.models import Incident, IncidentArea, IncidentStatus

WRITERS = frozenset({Role.admin, Role.coordinator})


def ancestors(path: str) -> list[str]:
    """The strict ancestors of an ``area_path``, province first."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def common_path(paths: Sequence[str]) -> str:
    """The deepest ``area_path`` that contains every one of ``paths`` ("" if none)."""
    split = [p.rstrip("/").split("/") for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if any(p != parts[0] for p in parts):
            break
        common.append(parts[0])
    return "/".join(common) + "/" if common else ""


def touching(path: str) -> ColumnElement[bool]:
    """Incidents covering an area in ``path``'s subtree or one of its ancestors."""
    return exists().where(
        IncidentArea.incident_id == Incident.id,
        or_(
            IncidentArea.area_path.startswith(path, autoescape=True),
            IncidentArea.area_path.in_(ancestors(path)),
        ),
    )


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """THE filter for incident reads: admin all; others by :func:`touching` their scope."""
    if principal.scope_path is None:
        return true() if principal.is_admin else false()
    return touching(principal.scope_path)


def ensure_writer(principal: Principal, what: str) -> None:
    """403 unless the role may declare or change incidents at all."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not {what}")


def ensure_may_change(principal: Principal, incident: Incident) -> None:
    """Level and stand-down: admin, or a coordinator over all its communities (403)."""
    ensure_writer(principal, "change incidents")
    if not in_scope(principal, incident.area_path):
        raise Forbidden(
            "changing this incident takes a coordinator whose area holds all its "
            f"communities (area {code_of(incident.area_path)} or above)"
        )


def ensure_level_above(principal: Principal, incident: Incident) -> None:
    """Mutual aid: admin, or a coordinator strictly above the incident's area (403)."""
    ensure_writer(principal, "open areas for mutual aid")
    scope = principal.scope_path
    if principal.is_admin and scope is None:
        return
    if scope is None or scope == incident.area_path or not incident.area_path.startswith(scope):
        raise Forbidden(
            "opening areas for mutual aid takes a coordinator of the level above the "
            f"incident's area {code_of(incident.area_path)}"
        )


def ensure_active(incident: Incident) -> None:
    """409 once the incident has been stood down."""
    if incident.status == IncidentStatus.stood_down.value:
        at = incident.stood_down_at.isoformat() if incident.stood_down_at else "?"
        raise Conflict(f"incident stood down at {at}; it can no longer change", stood_down_at=at)


def code_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def streams(incident_id: uuid.UUID, *paths: str) -> list[str]:
    """The incident's stream and the ``area:`` streams of ``paths``."""
    return [f"incident:{incident_id}", *(f"area:{p}" for p in dict.fromkeys(paths) if p)]


async def emit_incident(
    session: AsyncSession, type_: str, incident: Incident, *paths: str, **data: Any
) -> None:
    """Emit one ``incident.*`` event on the incident's timeline and its area's stream."""
    event = EventIn(
        type=type_,
        data={"id": incident.id, **data},
        streams=streams(incident.id, incident.area_path, *paths),
    )
    await emit_many(session, [event])

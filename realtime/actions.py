"""The one adapter between the sockets and core's services (dispatch, positions, reads).

Every socket message that changes something runs here in its own short transaction; the
services check who may do what and are idempotent on repeats.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy import select

from core.auth.roles import Principal
from core.db import Database
from core.errors import FieldError, Invalid
from core.events.outbox import newest_seq
from core.incidents import dispatch
from core.incidents.dispatch_contact import assignment_contact, report_visit
from core.incidents.dispatch_offer import offer_details
from core.incidents.match_models import Assignment, Task
from core.incidents.reads import get_incident
from core.registry.volunteers.position import record_position

VISIBLE = ("offered", "accepted", "picked_up", "en_route", "arrived")
"""The live assignments a volunteer sees (``proposed`` ones are not offered yet)."""


async def head_seq(database: Database) -> int:
    """The newest committed event number (0 for none)."""
    async with database.reader() as session:
        return await newest_seq(session)


@contextlib.contextmanager
def _on_socket() -> Iterator[None]:
    """Field errors name the message's ``data`` fields, not a request body."""
    try:
        yield
    except Invalid as exc:
        for i, e in enumerate(exc.errors):
            if e.loc and e.loc[0] == "body":
                exc.errors[i] = FieldError(("data", *e.loc[1:]), e.msg)
        raise


async def live_assignments(database: Database, principal: Principal) -> list[dict[str, Any]]:
    """The volunteer's live assignments, each as the phone shows an offer."""
    cols = (*Assignment.__table__.c, Task.depot_id)
    stmt = (
        select(*cols)
        .join(Task, Task.id == Assignment.task_id)
        .where(Assignment.volunteer_id == principal.volunteer_id, Assignment.status.in_(VISIBLE))
        .order_by(Assignment.id)
    )
    async with database.reader() as session:
        rows = list(await session.execute(stmt))
        details = await offer_details(session, rows)
    return [
        {
            "id": r.id,
            "task_id": r.task_id,
            "need_id": r.need_id,
            "incident_id": r.incident_id,
            "status": r.status,
            "attempt": r.attempt,
            "deadline": r.offer_deadline,
            **details[r.id],
        }
        for r in rows
    ]


def _one(outcomes: Any) -> Any:
    """The single outcome of a one-item batch call."""
    return outcomes[0] if isinstance(outcomes, list) and len(outcomes) == 1 else outcomes


async def _write(database: Database, fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
    """``fn(session=…, **kwargs)`` in its own short writing transaction."""
    with _on_socket():
        async with database.transaction() as session:
            return await fn(session=session, **kwargs)


async def accept(database: Database, principal: Principal, assignment_id: uuid.UUID) -> Any:
    """``{"id", "status", "changed"}``; a repeat is ``changed: false``."""
    return _one(await _write(database, dispatch.respond, principal=principal,
                             assignment_ids=[assignment_id], action="accept"))  # fmt: skip


async def decline(
    database: Database, principal: Principal, assignment_id: uuid.UUID, reason: str | None
) -> Any:
    return _one(await _write(database, dispatch.respond, principal=principal,
                             assignment_ids=[assignment_id], action="decline",
                             reason=reason))  # fmt: skip


async def report_status(
    database: Database,
    principal: Principal,
    assignment_id: uuid.UUID,
    status: str,
    reason: str | None = None,
) -> Any:
    return _one(await _write(database, dispatch.report_status, principal=principal,
                             assignment_ids=[assignment_id], status=status,
                             reason=reason))  # fmt: skip


async def position(
    database: Database, principal: Principal, lon: float, lat: float, accuracy_m: float | None
) -> Any:
    """``{"stored": bool}``: pings closer together than the service's minimum are not kept."""
    stored = await _write(database, record_position, principal=principal, lon=lon, lat=lat,
                          accuracy_m=accuracy_m)  # fmt: skip
    return {"stored": bool(stored)}


async def contact(database: Database, principal: Principal, assignment_id: uuid.UUID) -> Any:
    """The person and household of an active assignment (the read is logged: a write)."""
    return await _write(database, assignment_contact, principal=principal,
                        assignment_id=assignment_id)  # fmt: skip


async def visit_report(
    database: Database, principal: Principal, assignment_id: uuid.UUID, report: dict[str, Any]
) -> Any:
    return await _write(database, report_visit, principal=principal,
                        assignment_id=assignment_id, report=report)  # fmt: skip


async def check_incident(database: Database, principal: Principal, incident_id: uuid.UUID) -> None:
    """404 unless the principal may see the incident."""
    async with database.reader() as session:
        await get_incident(session=session, principal=principal, incident_id=incident_id)

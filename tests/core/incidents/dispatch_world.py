"""Helpers for dispatch tests: principals, offered assignments, rows and events."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Principal, Role
from core.db import Database
from core.events.models import OutboxEvent
from core.ids import uuid7
from core.incidents.dispatch_offer import offer_proposed
from core.incidents.match_models import Assignment, Task
from core.incidents.need_models import Need
from tests.core.incidents.match_world import MatchWorld, run


async def principal(
    session: AsyncSession, role: Role, area_code: str, volunteer_id: uuid.UUID | None = None
) -> Principal:
    """A real user with a live token, and the principal that token authenticates as."""
    user = await auth_service.create_user(
        session=session, username=f"u-{uuid7().hex[-10:]}", display_name="用户", role=role,
        area_code=area_code,
    )  # fmt: skip
    if volunteer_id is not None:
        await session.execute(update(User).where(User.id == user.id).values(
            volunteer_id=volunteer_id))  # fmt: skip
    issued = await auth_service.issue_token(session=session, user=user, ttl=timedelta(hours=1))
    return await auth_service.authenticate(session=session, token=issued.token)


async def as_volunteer(session: AsyncSession, volunteer_id: uuid.UUID, w: MatchWorld) -> Principal:
    return await principal(session, Role.volunteer, w.c["C1"].code, volunteer_id)


async def as_coordinator(session: AsyncSession, area_code: str) -> Principal:
    return await principal(session, Role.coordinator, area_code)


async def offered(
    session: AsyncSession, database: Database, w: MatchWorld, incident: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Run a batch and offer what it proposed; the offered ids."""
    await run(session, database, incident or w.real)
    return await offer_proposed(session=session, incident_id=incident or w.real)


async def assignment(session: AsyncSession, aid: uuid.UUID) -> Any:
    return (
        await session.execute(select(*Assignment.__table__.c).where(Assignment.id == aid))
    ).one()


async def of_need(session: AsyncSession, need_id: uuid.UUID) -> list[Any]:
    stmt = select(*Assignment.__table__.c).where(Assignment.need_id == need_id)
    return list(await session.execute(stmt.order_by(Assignment.created_at, Assignment.id)))


async def need_status(session: AsyncSession, need_id: uuid.UUID) -> str:
    return await session.scalar(select(Need.status).where(Need.id == need_id))


async def task_status(session: AsyncSession, task_id: uuid.UUID) -> str:
    return await session.scalar(select(Task.status).where(Task.id == task_id))


async def events(session: AsyncSession, type_: str) -> list[dict[str, Any]]:
    stmt = select(OutboxEvent.payload).where(OutboxEvent.type == type_).order_by(OutboxEvent.seq)
    return list(await session.scalars(stmt))


async def count_events(session: AsyncSession, type_: str) -> int:
    stmt = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == type_)
    return int(await session.scalar(stmt) or 0)

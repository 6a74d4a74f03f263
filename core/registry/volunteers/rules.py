"""Shared by the volunteer services: who reads and writes, lookups, events, read views."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, delete, false, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.personal import may_read_personal
from core.auth.roles import Principal, Role
from core.auth.scope import ensure_in_scope, scope_clause
from core.auth.service import log_personal_read
from core.errors import ErrorList, FieldError, Forbidden, Invalid, NotFound
from core.events.outbox import EventIn, emit_many
from core.registry.volunteers.models import (
    Volunteer,
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
)
from core.registry.volunteers.reads import VolunteerRead

WRITERS = frozenset({Role.admin, Role.coordinator})
READERS = frozenset({Role.admin, Role.coordinator, Role.grid_worker, Role.auditor})
SUBJECT_KIND = "volunteer"
_CHUNK = 5000


def ensure_writer(principal: Principal) -> None:
    """403 unless the principal may change volunteers at all (admin, coordinator)."""
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role.value} may not change volunteers")


def read_clause(principal: Principal) -> ColumnElement[bool]:
    """The volunteers a principal may list: their scope, or a volunteer's own row (403 else)."""
    if principal.role is Role.volunteer:
        if principal.volunteer_id is None:
            return false()
        return Volunteer.id == principal.volunteer_id
    if principal.role not in READERS:
        raise Forbidden(f"role {principal.role.value} may not read volunteers")
    return scope_clause(principal, Volunteer.area_path)


async def get_volunteer(
    *, session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID
) -> Volunteer:
    """A volunteer the principal may read (in scope, or their own profile); 404 otherwise."""
    if principal.role is not Role.volunteer and principal.role not in READERS:
        raise Forbidden(f"role {principal.role.value} may not read volunteers")
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found")
    if principal.role is Role.volunteer:
        if principal.volunteer_id != volunteer.id:
            raise NotFound("volunteer not found")
        return volunteer
    ensure_in_scope(principal, volunteer.area_path, what="volunteer")
    return volunteer


async def get_for_write(
    *, session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID
) -> Volunteer:
    """A volunteer the principal may change (writer, in scope); 403/404 otherwise."""
    ensure_writer(principal)
    return await get_volunteer(session=session, principal=principal, volunteer_id=volunteer_id)


def volunteer_event(type_: str, *, id: uuid.UUID, area_path: str, **data: Any) -> EventIn:
    """A ``volunteer.*`` event (no personal data) on ``area:<path>`` and ``volunteer:<id>``."""
    return EventIn(
        type=type_,
        data={"id": id, "area_path": area_path, **data},
        streams=[f"area:{area_path}", f"volunteer:{id}"],
    )


async def emit_change(session: AsyncSession, type_: str, v: Volunteer, **data: Any) -> None:
    await emit_many(session, [volunteer_event(type_, id=v.id, area_path=v.area_path, **data)])


async def emit_updated(
    session: AsyncSession, v: Volunteer, fields: list[str], before: str, **data: Any
) -> None:
    """``volunteer.updated``; a move (``before`` != the new path) tells the old area too."""
    path = v.area_path
    event = volunteer_event("volunteer.updated", id=v.id, area_path=path, fields=fields, **data)
    if before != path:
        event.data["previous_area_path"] = before
        event = replace(event, streams=[*event.streams, f"area:{before}"])
    await emit_many(session, [event])


async def replace_codes(
    session: AsyncSession, model: Any, column: str, volunteer_id: uuid.UUID, codes: list[str]
) -> None:
    """Replace a volunteer's skill or language rows with ``codes`` (two statements)."""
    await session.execute(delete(model).where(model.volunteer_id == volunteer_id))
    if codes:
        rows = [{"volunteer_id": volunteer_id, column: code} for code in codes]
        await session.execute(insert(model), rows)


def raise_errors(errors: ErrorList, conflicts: Sequence[FieldError] = ()) -> None:
    """422 with every error (conflicts too) if any; else nothing."""
    if not errors.errors:
        return
    every = [*errors.errors, *conflicts]
    rows = {e.loc[1] for e in every if e.loc[:1] == ("rows",) and len(e.loc) > 1}
    if rows:
        detail = f"{len(rows)} row(s) have errors; nothing was written"
    else:
        detail = "invalid fields: " + ", ".join(".".join(map(str, e.loc)) for e in every)
    raise Invalid(detail, errors=every)


async def load_children(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> tuple[dict[Any, list[str]], dict[Any, list[str]], dict[Any, list[VolunteerCertification]]]:
    """Skills, languages and certifications of ``ids`` (three queries per chunk)."""
    skills: dict[Any, list[str]] = defaultdict(list)
    langs: dict[Any, list[str]] = defaultdict(list)
    certs: dict[Any, list[VolunteerCertification]] = defaultdict(list)
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for vid, skill in await session.execute(
            select(VolunteerSkill.volunteer_id, VolunteerSkill.skill).where(
                VolunteerSkill.volunteer_id.in_(chunk)
            )
        ):
            skills[vid].append(skill)
        for vid, lang in await session.execute(
            select(VolunteerLanguage.volunteer_id, VolunteerLanguage.language).where(
                VolunteerLanguage.volunteer_id.in_(chunk)
            )
        ):
            langs[vid].append(lang)
        stmt = select(VolunteerCertification).where(VolunteerCertification.volunteer_id.in_(chunk))
        for cert in await session.scalars(stmt.order_by(VolunteerCertification.id)):
            certs[cert.volunteer_id].append(cert)
    return skills, langs, certs


def shows_personal(principal: Principal, v: Volunteer) -> bool:
    """A volunteer's own profile, or whoever :func:`may_read_personal` admits."""
    if principal.volunteer_id is not None and principal.volunteer_id == v.id:
        return True
    return may_read_personal(principal, area_path=v.area_path)


async def views(
    *,
    session: AsyncSession,
    principal: Principal,
    volunteers: Sequence[Volunteer],
    purpose: str | None,
) -> list[VolunteerRead]:
    """Read shapes, personal fields only where allowed; logs those reads under ``purpose``.

    A volunteer reading their own profile is not logged; ``purpose=None`` logs nothing
    (the answer to a create, whose personal data the caller has just sent).
    """
    skills, langs, certs = await load_children(session, [v.id for v in volunteers])
    out, logged = [], []
    for v in volunteers:
        personal = shows_personal(principal, v)
        if personal and v.id != principal.volunteer_id:
            logged.append(v.id)
        out.append(
            VolunteerRead.of(
                v,
                skills=skills[v.id],
                languages=langs[v.id],
                certifications=certs[v.id],
                personal=personal,
            )
        )
    if logged and purpose is not None:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind=SUBJECT_KIND,
            subject_ids=logged,
            purpose=purpose,
        )
    return out

"""What a volunteer on the job may see and report: the people of their assignment.

DESIGN.md Roles: a volunteer sees the person and household of an assignment only while
it is active (``accepted`` … ``arrived``) and only their own; a coordinator or admin
whose scope holds it may read it too. Every read is logged
(:func:`core.auth.service.log_personal_read`, one row per household and per person).

A visit report goes to the check-in chain, which lives in ``plans`` (core never imports
it): ``plans`` registers its function with :func:`on_visit_report` and
:func:`report_visit` checks the assignment, then calls it.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.personal import may_read_personal
from core.auth.roles import Principal, Role, actor
from core.errors import Conflict, Forbidden
from core.incidents.dispatch_core import loaded
from core.incidents.dispatch_rules import ACTIVE
from core.incidents.need_models import Need, NeedKind
from core.registry.households.models import Household
from core.registry.households.views import present_households


class VisitReporter(Protocol):
    async def __call__(
        self,
        *,
        session: AsyncSession,
        incident_id: uuid.UUID,
        household_id: uuid.UUID,
        report: dict[str, Any],
        actor_user_id: uuid.UUID | None,
    ) -> Any: ...


_REPORTERS: list[VisitReporter] = []


def on_visit_report(fn: VisitReporter) -> VisitReporter:
    """Register the chain's report function (once; the last registered wins)."""
    _REPORTERS[:] = [fn]
    return fn


async def _active_own(session: AsyncSession, principal: Principal, aid: uuid.UUID) -> Any:
    """The assignment, if ``principal`` may see its people now (else 404/403)."""
    _, rows = await loaded(session, principal, [aid])
    row = rows[aid]
    if principal.role is Role.volunteer and row.status not in ACTIVE:
        raise Forbidden(
            f"the people of an assignment are shown only while it is active; it is {row.status}"
        )
    if principal.role is not Role.volunteer and not may_read_personal(
        principal, area_path=row.area_path, household_id=row.household_id
    ):
        raise Forbidden("you may not read personal data here")
    return row


async def assignment_contact(
    *, session: AsyncSession, principal: Principal, assignment_id: uuid.UUID
) -> dict[str, Any]:
    """The need's household as the household API shows it, members included
    (:func:`~core.registry.households.views.present_households`, which logs the read), and
    which person the need is about."""
    row = await _active_own(session, principal, assignment_id)
    out: dict[str, Any] = {"assignment_id": row.id, "need_id": row.need_id, "household": None}
    person_id = await session.scalar(select(Need.person_id).where(Need.id == row.need_id))
    out["person_id"] = person_id
    if row.household_id is None:
        return out
    household = await session.get_one(Household, row.household_id)
    (detail,) = await present_households(
        session=session, principal=principal, households=[household],
        purpose=f"assignment {row.id} contact", with_members=True, granted=True,
    )  # fmt: skip
    out["household"] = detail.model_dump()
    return out


async def report_visit(
    *,
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    report: dict[str, Any],
) -> Any:
    """Report the household's members from an active visit (own, or a coordinator's in
    scope); whatever the chain's function answers."""
    _, rows = await loaded(session, principal, [assignment_id])
    row = rows[assignment_id]
    if row.status not in ACTIVE:
        raise Conflict(
            f"assignment {row.id} is {row.status}; visit reports are taken while it is "
            f"{', '.join(ACTIVE)}",
            current=row.status,
            allowed=list(ACTIVE),
        )
    if row.need_kind != NeedKind.visit.value or row.household_id is None:
        raise Conflict("only a visit to a household takes a visit report", kind=row.need_kind)
    if not _REPORTERS:
        raise Conflict("visit reports are not available (no check-in chain registered)")
    return await _REPORTERS[0](
        session=session,
        incident_id=row.incident_id,
        household_id=row.household_id,
        report=report,
        actor_user_id=actor(principal),
    )

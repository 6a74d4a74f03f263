"""Visit reports: a volunteer on a visit reports the household through the chain.

Registered with :func:`core.incidents.dispatch_contact.on_visit_report` by
:func:`plans.hooks.register`; core checks the assignment (own, active, a visit to a
household) before calling :func:`report_visit`. The body is a household report without
its ``household_id`` (the assignment's): ``{"members": [{"person_id", "status",
"needs"}]}``; shape errors name ``("body", "members", j, …)``, the chain's own
checks ``("body", "visit", 0, "members", j, …)``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, Invalid
from plans.chain_schemas import HouseholdReport, ReportResult
from plans.reports import report_households


async def report_visit(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    household_id: uuid.UUID,
    report: dict[str, Any],
    actor_user_id: uuid.UUID | None,
) -> ReportResult:
    """Apply the report as the system (the visit itself is the authority to report)."""
    body = dict(report)
    body.pop("household_id", None)
    try:
        parsed = HouseholdReport(household_id=household_id, **body)
    except (ValidationError, TypeError) as exc:
        raise _invalid(exc) from None
    return await report_households(
        session=session,
        principal=None,
        incident_id=incident_id,
        reports=[parsed],
        loc=("body", "visit"),
    )


def _invalid(exc: Exception) -> Invalid:
    if not isinstance(exc, ValidationError):
        return Invalid.field(("body",), "a visit report is an object with members")
    errors = [FieldError(("body", *e["loc"]), e["msg"]) for e in exc.errors()]
    return Invalid("the visit report is invalid", errors=errors)

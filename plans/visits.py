"""Visit needs for overdue households: one per household, neighbours first (自救互救).

The need is raised by the system (``principal=None``, source ``chain``) through the needs
batch function, in the timer's transaction. Its person is the household's most vulnerable
overdue member (the earliest deadline; vulnerable before not); its severity follows that
member's class: 5 for a life-critical class (bedridden, dialysis), 4 for any other
vulnerable person, 3 otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.incidents.need_models import NeedKind, NeedSource
from core.incidents.need_schemas import NeedCreate
from core.incidents.needs import create_needs

LIFE_CRITICAL = frozenset({"bedridden", "dialysis"})


@dataclass(frozen=True, slots=True)
class OverduePerson:
    """A person check-in just marked overdue, with what the visit need is made from."""

    checkin_id: uuid.UUID
    person_id: uuid.UUID
    household_checkin_id: uuid.UUID
    household_id: uuid.UUID
    community_id: uuid.UUID
    grid_id: uuid.UUID | None
    area_path: str
    deadline_class: str
    deadline_at: datetime
    vulnerable: bool


def most_vulnerable(persons: Sequence[OverduePerson]) -> OverduePerson:
    """The earliest deadline first, then vulnerable, then by person id (stable)."""
    return min(persons, key=lambda p: (p.deadline_at, not p.vulnerable, p.person_id))


def severity_of(person: OverduePerson) -> int:
    if person.deadline_class in LIFE_CRITICAL:
        return 5
    return 4 if person.vulnerable else 3


def visit_need(persons: Sequence[OverduePerson]) -> NeedCreate:
    """The one visit need of a household's overdue persons."""
    first = most_vulnerable(persons)
    n = len(persons)
    return NeedCreate(
        kind=NeedKind.visit,
        household_id=first.household_id,
        person_id=first.person_id,
        description=f"未按时报平安 not accounted for by the deadline: {n} person(s), "
        f"most urgent class {first.deadline_class}",
        severity=severity_of(first),
        neighbours_first=True,
    )


async def raise_visit_needs(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    households: Sequence[Sequence[OverduePerson]],
) -> list[uuid.UUID]:
    """One visit need per group of overdue persons (a household); ids in the same order."""
    if not households:
        return []
    rows = [visit_need(group) for group in households]
    return await create_needs(
        session=session, principal=None, incident_id=incident_id, rows=rows, source=NeedSource.chain
    )

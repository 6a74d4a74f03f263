"""Wire shapes of the check-in chain: household reports and the board."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.incidents.need_models import NeedKind
from core.incidents.need_schemas import Description, NeedItemIn, Severity
from core.registry.validators import strip
from core.registry.vocab import LANGUAGES, SKILLS
from core.registry.volunteers.schemas import LanguageCode, SkillCode

MAX_REPORTS = 500
MAX_MEMBERS = 50
MAX_NEEDS = 10


class ReportStatus(StrEnum):
    """What a report may say of a person (``pending`` is only the state before any report)."""

    safe = "safe"
    injured = "injured"
    needs_help = "needs_help"
    missing = "missing"
    unreachable = "unreachable"


class ReportedNeed(BaseModel):
    """A need reported with a member; raised at the household (source ``household_report``).

    The same fields as :class:`core.incidents.need_schemas.NeedCreate` except where it
    is: the household and the member are given by the report.
    """

    model_config = ConfigDict(extra="forbid")

    kind: NeedKind
    description: Description = ""
    items: list[NeedItemIn] = Field(default_factory=list, max_length=100)
    skills: list[SkillCode] = Field(default_factory=list, max_length=len(SKILLS))
    languages: list[LanguageCode] = Field(default_factory=list, max_length=len(LANGUAGES))
    severity: Severity = 3

    _text = field_validator("description", mode="before")(strip)


class MemberReport(BaseModel):
    """One member's status and needs. Free text about a person goes in a need's
    ``description`` (personal data, shown only to those allowed): events carry none."""

    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    status: ReportStatus
    needs: list[ReportedNeed] = Field(default_factory=list, max_length=MAX_NEEDS)


class HouseholdReport(BaseModel):
    """A household's report: each member named once (members left out stay as they were)."""

    model_config = ConfigDict(extra="forbid")

    household_id: uuid.UUID
    members: list[MemberReport] = Field(min_length=1, max_length=MAX_MEMBERS)


class ReportBatch(BaseModel):
    """Reports of many households in one transaction (a phone sends a list of one)."""

    model_config = ConfigDict(extra="forbid")

    reports: list[HouseholdReport] = Field(max_length=MAX_REPORTS)


class HouseholdOutcome(BaseModel):
    household_id: uuid.UUID
    household_checkin_id: uuid.UUID
    status: str
    need_ids: list[uuid.UUID]


class ReportResult(BaseModel):
    """What a batch changed: per household its check-in status now and the needs raised."""

    households: list[HouseholdOutcome]
    persons: int


class Ratio(BaseModel):
    confirmed: int
    total: int


class BoardRow(BaseModel):
    """One community (or grid) of the board. ``grid_id`` null: households without a grid.
    In ``totals`` the community fields are null when the rows span several communities."""

    community_id: uuid.UUID | None
    community_code: str | None
    name: str | None
    grid_id: uuid.UUID | None = None
    grid_code: str | None = None
    households: Ratio
    vulnerable: Ratio
    persons: Ratio
    overdue_households: int
    oldest_overdue_at: datetime | None
    oldest_overdue_minutes: int | None


class OverdueHousehold(BaseModel):
    """A household still overdue; ``address`` only for callers who may read personal data."""

    household_checkin_id: uuid.UUID
    household_id: uuid.UUID
    household_code: str | None
    community_code: str
    grid_id: uuid.UUID | None
    grid_code: str | None
    address: str | None
    persons_overdue: int
    vulnerable_overdue: int
    overdue_since: datetime
    minutes_overdue: int
    visit_need_id: uuid.UUID | None


class Board(BaseModel):
    """The chain board at ``at``: rows per community, or per grid of one ``community``."""

    incident_id: uuid.UUID
    at: datetime
    level: str
    community_code: str | None = None
    totals: BoardRow | None
    rows: list[BoardRow]
    overdue: list[OverdueHousehold]

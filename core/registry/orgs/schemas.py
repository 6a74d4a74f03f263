"""Wire shapes for organizations and community funds (not personal data, not located)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.registry.areas.schemas import AreaCode
from core.registry.orgs.credit_code import credit_code_error
from core.registry.orgs.models import (
    CommunityFund,
    Organization,
    OrgCategory,
    OrgKind,
    OrgRegistration,
)
from core.registry.validators import not_null, strip

OrgName = Annotated[str, Field(min_length=1, max_length=200, description="Full registered name.")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{2,38}$", max_length=40)]
CreditCode = Annotated[
    str, Field(description="统一社会信用代码: 18 characters, GB 32100-2015 check character.")
]
Zihao = Annotated[
    str, Field(min_length=1, max_length=60, description="字号: the fund's own distinctive name.")
]


def _credit_code(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    problem = credit_code_error(value)
    if problem:
        raise ValueError(problem)
    return value


def _zihao(value: str | None) -> str | None:
    if value is None:
        return None
    if any(c.isspace() for c in value):
        raise ValueError("字号 must not contain spaces")
    if value.endswith("基金"):
        raise ValueError("give the 字号 only; 社区基金/基金 is added by the naming rule")
    return value


class OrgCreate(BaseModel):
    """A new organization; ``area_code`` is its home area (any level)."""

    model_config = ConfigDict(extra="forbid")

    name: OrgName
    kind: OrgKind
    category: OrgCategory | None = None
    registration: OrgRegistration = OrgRegistration.registered
    credit_code: CreditCode | None = None
    area_code: AreaCode
    public_fundraising: bool = False
    phone: Phone | None = None

    _strip_all = field_validator("name", "phone", mode="before")(strip)
    _code = field_validator("credit_code")(_credit_code)


class OrgUpdate(BaseModel):
    """Changes to an organization; explicit ``null`` clears category, credit code, phone."""

    model_config = ConfigDict(extra="forbid")

    name: OrgName | None = None
    kind: OrgKind | None = None
    category: OrgCategory | None = None
    registration: OrgRegistration | None = None
    credit_code: CreditCode | None = None
    area_code: AreaCode | None = None
    public_fundraising: bool | None = None
    phone: Phone | None = None

    _strip_all = field_validator("name", "phone", mode="before")(strip)
    _code = field_validator("credit_code")(_credit_code)
    _set = field_validator(
        "name", "kind", "registration", "area_code", "public_fundraising", mode="before"
    )(not_null)


def _code_of(area_path: str) -> str:
    return area_path.rstrip("/").rsplit("/", 1)[-1]


class OrgRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrgKind
    category: OrgCategory | None
    registration: OrgRegistration
    credit_code: str | None
    area_id: uuid.UUID
    area_code: str
    area_path: str
    public_fundraising: bool
    phone: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrgRead:
        return cls(
            id=org.id,
            name=org.name,
            kind=OrgKind(org.kind),
            category=OrgCategory(org.category) if org.category else None,
            registration=OrgRegistration(org.registration),
            credit_code=org.credit_code,
            area_id=org.area_id,
            area_code=_code_of(org.area_path),
            area_path=org.area_path,
            public_fundraising=org.public_fundraising,
            phone=org.phone,
            created_at=org.created_at,
            updated_at=org.updated_at,
        )


class FundCreate(BaseModel):
    """A new community fund. The service derives the name from host, area and 字号;
    a ``name`` that is sent must equal it."""

    model_config = ConfigDict(extra="forbid")

    host_org_id: uuid.UUID
    area_code: AreaCode = Field(description="A township (level 4) or a community (level 5).")
    zihao: Zihao
    name: str | None = Field(None, max_length=300)

    _strip_all = field_validator("zihao", "name", mode="before")(strip)
    _zh = field_validator("zihao")(_zihao)


class FundUpdate(BaseModel):
    """Changes to a fund; the name is derived again (a ``name`` sent must match)."""

    model_config = ConfigDict(extra="forbid")

    host_org_id: uuid.UUID | None = None
    area_code: AreaCode | None = None
    zihao: Zihao | None = None
    name: str | None = Field(None, max_length=300)

    _strip_all = field_validator("zihao", "name", mode="before")(strip)
    _zh = field_validator("zihao")(_zihao)
    _set = field_validator("host_org_id", "area_code", "zihao", mode="before")(not_null)


class FundRead(BaseModel):
    id: uuid.UUID
    name: str
    zihao: str
    host_org_id: uuid.UUID
    area_id: uuid.UUID
    area_code: str
    area_path: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, fund: CommunityFund) -> FundRead:
        return cls(
            id=fund.id,
            name=fund.name,
            zihao=fund.zihao,
            host_org_id=fund.host_org_id,
            area_id=fund.area_id,
            area_code=_code_of(fund.area_path),
            area_path=fund.area_path,
            created_at=fund.created_at,
            updated_at=fund.updated_at,
        )

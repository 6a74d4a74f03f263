"""Wire shapes for auth: logins, tokens, users, invites."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.auth.roles import Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    user_id: uuid.UUID
    role: Role
    expires_at: datetime


class MeOut(BaseModel):
    user_id: uuid.UUID
    role: Role
    scope_path: str | None
    can_read_personal: bool


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    scope_path: str | None
    created_at: datetime
    disabled_at: datetime | None


class RevokeOut(BaseModel):
    revoked_tokens: int


class InviteIn(BaseModel):
    role: Role
    area_code: str | None = Field(None, pattern=r"^\d{12}$")
    username: str = Field(min_length=3, max_length=80)
    display_name: str = Field("", max_length=120)


class InviteOut(BaseModel):
    id: uuid.UUID
    code: str
    link: str
    role: Role
    expires_at: datetime


class ExchangeIn(BaseModel):
    code: str = Field(min_length=8, max_length=200)
    password: str | None = Field(None, max_length=200)


class MemberLinkOut(BaseModel):
    """A one-time SOS link for a household member (the code is shown only here)."""

    code: str
    link: str
    expires_at: datetime

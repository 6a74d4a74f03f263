"""Demo accounts: one user per role, with a fresh token printed on every `make run`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Role

DEMO_PASSWORD = "huzhu-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    area_code: str | None
    grid_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    area_code: str | None
    token: str


async def ensure_user(
    session: AsyncSession,
    account: DemoAccount,
    *,
    household_id: uuid.UUID | None = None,
    can_read_personal: bool = False,
) -> User:
    """The account's user, created with the demo password when missing."""
    user = await session.scalar(select(User).where(User.username == account.username))
    if user is None:
        user = await auth_service.create_user(
            session=session,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            area_code=account.area_code,
            password=DEMO_PASSWORD,
            grid_codes=account.grid_codes,
            can_read_personal=can_read_personal,
        )
        if household_id is not None:
            user.household_id = household_id
            await session.flush()
    return user


async def fresh_logins(
    session: AsyncSession, accounts: list[DemoAccount], *, ttl: timedelta
) -> list[DemoLogin]:
    """A new token for each existing account (accounts that were never created are skipped)."""
    logins = []
    for account in accounts:
        user = await session.scalar(select(User).where(User.username == account.username))
        if user is None:
            continue
        issued = await auth_service.issue_token(session=session, user=user, ttl=ttl, label="demo")
        logins.append(DemoLogin(account.username, account.role, account.area_code, issued.token))
    return logins

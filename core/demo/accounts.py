"""Demo data for `make run`: the areas, and accounts with fresh tokens printed each start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Role
from core.db import Database
from core.registry.areas.demo import load_demo_areas

DEMO_PASSWORD = "huzhu-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    area_code: str | None


ACCOUNTS = (
    DemoAccount("admin", "系统管理员", Role.admin, None),
    DemoAccount("yunnan", "云南省民政厅 协调员", Role.coordinator, "530000000000"),
    DemoAccount("yangbi", "漾濞县 协调员", Role.coordinator, "532922000000"),
    DemoAccount("dali-audit", "大理州 审计员", Role.auditor, "532900000000"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    area_code: str | None
    token: str


async def load_demo(db: Database, *, token_ttl: timedelta) -> tuple[int, list[DemoLogin]]:
    """Load the demo areas and accounts if missing; issue a fresh token per account."""
    logins: list[DemoLogin] = []
    async with db.transaction() as session:
        created = await load_demo_areas(session=session)
        for account in ACCOUNTS:
            user = await session.scalar(select(User).where(User.username == account.username))
            if user is None:
                user = await auth_service.create_user(
                    session=session,
                    username=account.username,
                    display_name=account.display_name,
                    role=account.role,
                    area_code=account.area_code,
                    password=DEMO_PASSWORD,
                )
            issued = await auth_service.issue_token(
                session=session, user=user, ttl=token_ttl, label="demo"
            )
            logins.append(
                DemoLogin(account.username, account.role, account.area_code, issued.token)
            )
    return created, logins

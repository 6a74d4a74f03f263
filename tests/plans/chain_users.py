"""Users for check-in chain tests: real accounts with tokens, so the API sees them too."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Principal, Role
from core.registry.areas.models import Area
from tests.plans.chain_world import ChainWorld


async def user(
    session: AsyncSession,
    name: str,
    role: Role,
    area: Area | None,
    *,
    household_id: uuid.UUID | None = None,
    grid_codes: tuple[str, ...] = (),
    can_read_personal: bool = False,
) -> tuple[Principal, dict[str, str]]:
    """A user with a token: the principal the API would see, and the bearer header."""
    account = await auth_service.create_user(
        session=session,
        username=name,
        display_name=name,
        role=role,
        area_code=area.code if area else None,
        grid_codes=grid_codes,
        can_read_personal=can_read_personal,
    )
    if household_id is not None:
        await session.execute(
            update(User).where(User.id == account.id).values(household_id=household_id)
        )
    # Issued under the scenario's fixed clock (November 2026) but also used by requests
    # made on wall time, so the token must outlive the gap between the two.
    ttl = timedelta(days=3650)
    issued = await auth_service.issue_token(session=session, user=account, ttl=ttl)
    principal = await auth_service.authenticate(session=session, token=issued.token)
    return principal, {"Authorization": f"Bearer {issued.token}"}


async def with_users(session: AsyncSession, w: ChainWorld) -> ChainWorld:
    c1 = w.c["C1"]
    w.users = {
        "admin": await user(session, "admin", Role.admin, None),
        "coord_a": await user(session, "coord-a", Role.coordinator, w.tc.county_a),
        "coord_c1": await user(session, "coord-c1", Role.coordinator, c1),
        "coord_t": await user(session, "coord-t", Role.coordinator, w.tc.township_a),
        "coord_b": await user(session, "coord-b", Role.coordinator, w.tc.county_b),
        "grid": await user(session, "grid-g1", Role.grid_worker, c1, grid_codes=("g1",)),
        "contact1": await user(
            session, "contact-h1", Role.household_contact, c1, household_id=w.h["h1"]
        ),
        "auditor": await user(session, "auditor-a", Role.auditor, w.tc.county_a),
        "volunteer": await user(session, "vol-a", Role.volunteer, w.tc.county_a),
    }
    return w

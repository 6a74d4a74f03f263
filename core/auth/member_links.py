"""One-time member links: a household member sends an SOS without an account of their own.

A link is an :class:`~core.auth.models.Invite` with role ``household_contact``, scope the
household's ``area_path``, area its community, username ``member-<person id>`` and no
display name (no personal data). Spending it (``POST /api/v1/invites/exchange``) creates
that user — or reuses it for a later link — with ``household_id`` set to the person's
household, so its token may send an SOS (and report) for that household only.

Who makes a link (the person must be in the caller's reach, else 404): admin anywhere;
coordinator in their subtree; grid worker for households in their grids; a household
contact for their own household. Anyone else who can see the person gets 403.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.models import Invite, User
from core.auth.roles import Principal, Role
from core.auth.tokens import CODE_PREFIX, digest, new_secret
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from core.registry.households.access import in_reach, may_write
from core.registry.households.models import Household, Person

MEMBER_PREFIX = "member-"


def member_username(person_id: uuid.UUID) -> str:
    """The user name of a person's member account."""
    return f"{MEMBER_PREFIX}{person_id}"


def is_member_username(username: str) -> bool:
    """True for names reserved to member links (ordinary invites may not use them)."""
    return username.lower().startswith(MEMBER_PREFIX)


def _member_person_id(invite: Invite) -> uuid.UUID | None:
    if invite.role != Role.household_contact.value or not is_member_username(invite.username):
        return None
    try:
        return uuid.UUID(invite.username[len(MEMBER_PREFIX) :])
    except ValueError:
        return None


def may_link(principal: Principal, household: Household) -> bool:
    """May ``principal`` (who reaches the household) make member links for it?"""
    if principal.role is Role.household_contact:
        return household.id == principal.household_id
    return may_write(principal, area_path=household.area_path, grid_id=household.grid_id)


async def create_member_link(
    *, session: AsyncSession, principal: Principal, person_id: uuid.UUID, ttl: timedelta
) -> tuple[Invite, str]:
    """A one-time code for ``person_id``'s member account; returns (invite, code)."""
    row = (
        await session.execute(
            select(Person.id, Household)
            .join(Household, Household.id == Person.household_id)
            .where(Person.id == person_id)
        )
    ).one_or_none()
    if row is None or not in_reach(principal, area_path=row[1].area_path, household_id=row[1].id):
        raise NotFound("person not found")
    household: Household = row[1]
    if not may_link(principal, household):
        raise Forbidden(f"role {principal.role.value} may not make member links here")
    code = new_secret(CODE_PREFIX)
    now = clock.now()
    invite = Invite(
        code_hash=digest(code),
        created_by=principal.user_id,
        role=Role.household_contact.value,
        area_id=household.community_id,
        scope_path=household.area_path,
        username=member_username(person_id),
        display_name="",
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite, code


async def claim_member_user(
    *, session: AsyncSession, invite: Invite, password: str | None
) -> User | None:
    """The member user of a claimed member link (made or reused); None for other invites.

    The user's household, community and scope are (re)set from the person's household
    now, so a link stays right after the household moved.
    """
    person_id = _member_person_id(invite)
    if person_id is None:
        return None
    if password is not None:
        raise Invalid.field(("body", "password"), "a member link takes no password")
    household = await session.scalar(
        select(Household)
        .join(Person, Person.household_id == Household.id)
        .where(Person.id == person_id)
    )
    if household is None:
        raise Unauthorized("this member is no longer registered")
    user = await session.scalar(select(User).where(User.username == invite.username))
    if user is None:
        user = User(
            username=invite.username,
            display_name="",
            password_hash=None,
            role=Role.household_contact.value,
            created_at=clock.now(),
        )
        session.add(user)
    elif user.role != Role.household_contact.value:
        raise Conflict(f"username {invite.username} is taken")
    elif user.disabled_at is not None:
        raise Unauthorized("user disabled")
    user.household_id = household.id
    user.area_id = household.community_id
    user.scope_path = household.area_path
    await session.flush()
    return user

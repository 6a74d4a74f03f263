"""Users, tokens and one-time invites: the rules (no FastAPI here)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.member_links import claim_member_user, is_member_username
from core.auth.models import Invite, PersonalDataAccess, Token, User, UserGrid
from core.auth.passwords import MIN_LENGTH, hash_password, verify_password
from core.auth.roles import AREA_BOUND, INVITABLE_BY_COORDINATOR, Principal, Role
from core.auth.scope import ensure_in_scope, in_scope, scope_clause
from core.auth.tokens import CODE_PREFIX, digest, new_secret
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from core.events.outbox import EventIn, emit_many
from core.registry.areas.models import Area, Grid

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,80}$")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as handed out once; only its digest is kept."""

    token: str
    token_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    expires_at: datetime


async def authenticate(*, session: AsyncSession, token: str) -> Principal:
    """The principal of a live token; :class:`Unauthorized` otherwise."""
    row = (
        await session.execute(
            select(Token, User)
            .join(User, User.id == Token.user_id)
            .where(Token.token_hash == digest(token))
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("unknown token")
    tok, user = row
    now = clock.now()
    if tok.revoked_at is not None:
        raise Unauthorized("token revoked")
    if tok.expires_at <= now:
        raise Unauthorized("token expired")
    if user.disabled_at is not None:
        raise Unauthorized("user disabled")
    grids: Sequence[uuid.UUID] = ()
    if tok.role == Role.grid_worker:  # the only role with grids: no query on other requests
        grids = (
            await session.scalars(select(UserGrid.grid_id).where(UserGrid.user_id == user.id))
        ).all()
    return Principal(
        user_id=user.id,
        token_id=tok.id,
        role=Role(tok.role),
        scope_path=tok.scope_path,
        grid_ids=frozenset(grids),
        household_id=user.household_id,
        volunteer_id=user.volunteer_id,
        can_read_personal=user.can_read_personal,
    )


async def area_by_code(*, session: AsyncSession, code: str, loc: Sequence[str]) -> Area:
    area = await session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise Invalid.field(loc, f"no area with code {code}")
    return area


async def create_user(
    *,
    session: AsyncSession,
    username: str,
    display_name: str,
    role: Role,
    area_code: str | None,
    password: str | None = None,
    can_read_personal: bool = False,
    grid_codes: Sequence[str] = (),
) -> User:
    """Create a user bound to an area subtree (admins may be unbound).

    A grid worker names their grids (网格) by code within their community area.
    """
    if not _USERNAME_RE.match(username):
        raise Invalid.field(("body", "username"), "3-80 letters, digits or _.@-")
    if password is not None and len(password) < MIN_LENGTH:
        raise Invalid.field(("body", "password"), f"at least {MIN_LENGTH} characters")
    area = None
    if area_code is not None:
        area = await area_by_code(session=session, code=area_code, loc=("body", "area_code"))
    elif role in AREA_BOUND:
        raise Invalid.field(("body", "area_code"), f"a {role.value} needs an area")
    if await session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username} is taken")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
        role=role.value,
        area_id=area.id if area else None,
        scope_path=area.area_path if area else None,
        can_read_personal=can_read_personal,
        created_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    await _assign_grids(session=session, user=user, role=role, area=area, grid_codes=grid_codes)
    return user


async def _assign_grids(
    *, session: AsyncSession, user: User, role: Role, area: Area | None, grid_codes: Sequence[str]
) -> None:
    if role is Role.grid_worker and not grid_codes:
        raise Invalid.field(("body", "grid_codes"), "a grid worker needs at least one grid")
    if grid_codes and role is not Role.grid_worker:
        raise Invalid.field(("body", "grid_codes"), "only grid workers have grids")
    for i, code in enumerate(dict.fromkeys(grid_codes)):
        grid_id = None
        if area is not None:
            grid_id = await session.scalar(
                select(Grid.id).where(Grid.community_id == area.id, Grid.code == code)
            )
        if grid_id is None:
            raise Invalid.field(("body", "grid_codes", i), f"no grid {code} in this community")
        session.add(UserGrid(user_id=user.id, grid_id=grid_id))
    await session.flush()


async def issue_token(
    *, session: AsyncSession, user: User, ttl: timedelta, label: str = ""
) -> IssuedToken:
    """A new bearer token for ``user`` with the user's role and scope."""
    secret = new_secret()
    now = clock.now()
    tok = Token(
        user_id=user.id,
        token_hash=digest(secret),
        role=user.role,
        scope_path=user.scope_path,
        label=label,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(tok)
    await session.flush()
    return IssuedToken(secret, tok.id, user.id, Role(user.role), tok.expires_at)


async def login(
    *, session: AsyncSession, username: str, password: str, ttl: timedelta
) -> IssuedToken:
    user = await session.scalar(select(User).where(User.username == username))
    if (
        user is None
        or user.disabled_at is not None
        or not verify_password(user.password_hash, password)
    ):
        raise Unauthorized("wrong username or password")
    return await issue_token(session=session, user=user, ttl=ttl, label="login")


async def revoke_token(*, session: AsyncSession, token_id: uuid.UUID) -> None:
    revoked = await session.scalars(
        update(Token)
        .where(Token.id == token_id, Token.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .returning(Token.id)
    )
    await _emit_revoked(session, list(revoked))


async def _emit_revoked(session: AsyncSession, token_ids: Sequence[uuid.UUID]) -> None:
    """``token.revoked`` on ``token:<id>``: sockets opened with that token close."""
    await emit_many(
        session,
        [
            EventIn("token.revoked", {"token_id": str(tid)}, streams=(f"token:{tid}",))
            for tid in token_ids
        ],
    )


async def revoke_user_as(*, session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> int:
    """Revoke the tokens of a user the principal may see; only an admin revokes an admin."""
    user = await get_user(session=session, principal=principal, user_id=user_id)
    if user.role == Role.admin and not principal.is_admin:
        raise Forbidden("only an admin may revoke an admin")
    return await revoke_user(session=session, user_id=user.id)


async def revoke_user(*, session: AsyncSession, user_id: uuid.UUID, disable: bool = False) -> int:
    """Revoke every live token of a user (and optionally disable the user); returns count."""
    now = clock.now()
    revoked = list(
        await session.scalars(
            update(Token)
            .where(Token.user_id == user_id, Token.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(Token.id)
        )
    )
    if disable:
        await session.execute(update(User).where(User.id == user_id).values(disabled_at=now))
    await _emit_revoked(session, revoked)
    return len(revoked)


async def get_user(*, session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    """A user the principal may see (in scope; admins without scope only to admins)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    if not principal.is_admin:
        ensure_in_scope(principal, user.scope_path, what="user")
    return user


async def list_users(
    *, session: AsyncSession, principal: Principal, after: str | None, limit: int
) -> list[User]:
    stmt = select(User).where(scope_clause(principal, User.scope_path))
    if after is not None:
        stmt = stmt.where(User.username > after)
    return list((await session.scalars(stmt.order_by(User.username).limit(limit))).all())


async def create_invite(
    *,
    session: AsyncSession,
    principal: Principal,
    role: Role,
    area_code: str | None,
    username: str,
    display_name: str,
    ttl: timedelta,
) -> tuple[Invite, str]:
    """A one-time code for a new user within the inviter's scope; returns (invite, code)."""
    if principal.role not in (Role.admin, Role.coordinator):
        raise Forbidden("only admins and coordinators invite")
    if not principal.is_admin and role not in INVITABLE_BY_COORDINATOR:
        raise Forbidden(f"a coordinator cannot invite a {role.value}")
    if area_code is None:
        if role in AREA_BOUND:
            raise Invalid.field(("body", "area_code"), f"a {role.value} needs an area")
        area = None
    else:
        area = await area_by_code(session=session, code=area_code, loc=("body", "area_code"))
        if not in_scope(principal, area.area_path):
            raise Invalid.field(("body", "area_code"), f"area {area_code} is outside your scope")
    if not _USERNAME_RE.match(username):
        raise Invalid.field(("body", "username"), "3-80 letters, digits or _.@-")
    if is_member_username(username):
        raise Invalid.field(("body", "username"), "member- names are kept for member links")
    if await session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username} is taken")
    code = new_secret(CODE_PREFIX)
    now = clock.now()
    invite = Invite(
        code_hash=digest(code),
        created_by=principal.user_id,
        role=role.value,
        area_id=area.id if area else None,
        scope_path=area.area_path if area else None,
        username=username,
        display_name=display_name or username,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite, code


async def exchange_invite(
    *, session: AsyncSession, code: str, password: str | None, ttl: timedelta
) -> IssuedToken:
    """Spend a one-time code: create its user and return a token. A code works once.

    A member link (:mod:`core.auth.member_links`) makes or reuses the member's user.
    """
    invite = await session.scalar(select(Invite).where(Invite.code_hash == digest(code)))
    now = clock.now()
    if invite is None:
        raise Unauthorized("unknown code")
    if invite.expires_at <= now:
        raise Unauthorized("code expired")
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise Unauthorized("code already used")
    member = await claim_member_user(session=session, invite=invite, password=password)
    if member is not None:
        invite.user_id = member.id
        return await issue_token(session=session, user=member, ttl=ttl, label="member link")
    if password is not None and len(password) < MIN_LENGTH:
        raise Invalid.field(("body", "password"), f"at least {MIN_LENGTH} characters")
    if await session.scalar(select(User.id).where(User.username == invite.username)):
        raise Conflict(f"username {invite.username} is taken")
    user = User(
        username=invite.username,
        display_name=invite.display_name,
        password_hash=hash_password(password) if password else None,
        role=invite.role,
        area_id=invite.area_id,
        scope_path=invite.scope_path,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    invite.user_id = user.id
    return await issue_token(session=session, user=user, ttl=ttl, label="invite")


READONLY_MARK = "huzhu_readonly"
PENDING_ACCESS_LOG = "huzhu_pending_access_log"


async def log_personal_read(
    *,
    session: AsyncSession,
    principal: Principal,
    subject_kind: str,
    subject_ids: Sequence[uuid.UUID],
    purpose: str,
) -> None:
    """Record that ``principal`` read personal data of these subjects (one row each).

    In a read-only request session (see :func:`core.http.deps.get_session`) the rows
    are queued and written in a short writing transaction before the response is sent,
    so a read never turns into a write on SQLite; the data is not sent if that fails.
    """
    now = clock.now()
    rows = [
        PersonalDataAccess(
            at=now,
            user_id=principal.user_id,
            token_id=principal.token_id,
            role=principal.role.value,
            subject_kind=subject_kind,
            subject_id=subject_id,
            purpose=purpose,
        )
        for subject_id in dict.fromkeys(subject_ids)
    ]
    if session.info.get(READONLY_MARK):
        session.info.setdefault(PENDING_ACCESS_LOG, []).extend(rows)
        return
    session.add_all(rows)
    await session.flush()


async def write_pending_access_log(*, session: AsyncSession, writer: AsyncSession) -> int:
    """Write the access-log rows queued on read-only ``session`` through ``writer``."""
    rows = session.info.pop(PENDING_ACCESS_LOG, [])
    writer.add_all(rows)
    await writer.flush()
    return len(rows)

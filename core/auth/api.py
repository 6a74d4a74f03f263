"""Auth routes: log in, who am I, log out, users in scope, invites, member links, exchange."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter

from core.auth import member_links, service
from core.auth.roles import Role
from core.auth.schemas import (
    ExchangeIn,
    InviteIn,
    InviteOut,
    LoginIn,
    MemberLinkOut,
    MeOut,
    RevokeOut,
    TokenOut,
    UserRead,
)
from core.http.deps import Coordinator, CurrentUser, SessionDep, SettingsDep
from core.http.listing import Cursor, Limit, Page, decode_cursor, page_of

router = APIRouter(tags=["auth"])
INVITE_PAGES = {Role.volunteer: "v", Role.household_contact: "h"}
"""The page an invite link opens for its role (the phone pages spend the code themselves)."""


def _token_out(issued: service.IssuedToken) -> TokenOut:
    return TokenOut(
        token=issued.token, user_id=issued.user_id, role=issued.role, expires_at=issued.expires_at
    )


@router.post("/auth/token", response_model=TokenOut)
async def login(body: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    issued = await service.login(
        session=session,
        username=body.username,
        password=body.password,
        ttl=timedelta(hours=settings.token_ttl_hours),
    )
    return _token_out(issued)


@router.get("/auth/me", response_model=MeOut)
async def me(principal: CurrentUser) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        role=principal.role,
        scope_path=principal.scope_path,
        can_read_personal=principal.can_read_personal,
    )


@router.post("/auth/logout", status_code=204)
async def logout(principal: CurrentUser, session: SessionDep) -> None:
    await service.revoke_token(session=session, token_id=principal.token_id)


@router.get("/users", response_model=Page[UserRead])
async def list_users(
    principal: Coordinator, session: SessionDep, limit: Limit = 50, next: Cursor = None
) -> Page[UserRead]:
    key = decode_cursor(next)
    rows = await service.list_users(
        session=session, principal=principal, after=key[0] if key else None, limit=limit + 1
    )
    rows, cursor = page_of(rows, limit, lambda u: [u.username])
    return Page[UserRead](items=[UserRead.model_validate(u) for u in rows], next=cursor)


@router.get("/users/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, principal: Coordinator, session: SessionDep) -> UserRead:
    user = await service.get_user(session=session, principal=principal, user_id=user_id)
    return UserRead.model_validate(user)


@router.post("/users/{user_id}/revoke", response_model=RevokeOut)
async def revoke_user(user_id: uuid.UUID, principal: Coordinator, session: SessionDep) -> RevokeOut:
    count = await service.revoke_user_as(session=session, principal=principal, user_id=user_id)
    return RevokeOut(revoked_tokens=count)


@router.post("/invites", response_model=InviteOut, status_code=201)
async def create_invite(
    body: InviteIn, principal: Coordinator, session: SessionDep, settings: SettingsDep
) -> InviteOut:
    invite, code = await service.create_invite(
        session=session,
        principal=principal,
        role=body.role,
        area_code=body.area_code,
        username=body.username,
        display_name=body.display_name,
        ttl=timedelta(hours=settings.invite_ttl_hours),
    )
    page = INVITE_PAGES.get(Role(invite.role), "join")
    link = f"{settings.public_url.rstrip('/')}/{page}#{code}"
    return InviteOut(
        id=invite.id, code=code, link=link, role=Role(invite.role), expires_at=invite.expires_at
    )


@router.post("/persons/{person_id}/sos-link", response_model=MemberLinkOut, status_code=201)
async def create_member_link(
    person_id: uuid.UUID, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> MemberLinkOut:
    """A one-time link with which this household member sends an SOS (no account needed)."""
    invite, code = await member_links.create_member_link(
        session=session,
        principal=principal,
        person_id=person_id,
        ttl=timedelta(hours=settings.invite_ttl_hours),
    )
    link = f"{settings.public_url.rstrip('/')}/h#{code}"
    return MemberLinkOut(code=code, link=link, expires_at=invite.expires_at)


@router.post("/invites/exchange", response_model=TokenOut)
async def exchange_invite(body: ExchangeIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    issued = await service.exchange_invite(
        session=session,
        code=body.code,
        password=body.password,
        ttl=timedelta(hours=settings.token_ttl_hours),
    )
    return _token_out(issued)

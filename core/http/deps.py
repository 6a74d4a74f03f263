"""FastAPI dependency aliases shared by every router (``SessionDep``, ``CurrentUser``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.auth.service import (
    PENDING_ACCESS_LOG,
    READONLY_MARK,
    authenticate,
    write_pending_access_log,
)
from core.config import Settings
from core.db import Database
from core.errors import Forbidden, Unauthorized

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="Opaque token from /api/v1/auth/token")


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; one commit per request, before the response is sent.

    Reads get a deferred (read-only) transaction; writes ``BEGIN IMMEDIATE`` on SQLite.
    Personal-data reads logged during a read are written in one short writing
    transaction at the end, before the response leaves.
    """
    database: Database = request.app.state.database
    readonly = request.method in _READ_METHODS
    factory = database.reader if readonly else database.writer
    async with factory() as session:
        session.info[READONLY_MARK] = readonly
        # SQLite: a writing request holds the process's write turn until it has committed
        # or rolled back (see Database.write_turn), so writers queue instead of timing out.
        async with contextlib.nullcontext() if readonly else database.write_turn():
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if session.info.get(PENDING_ACCESS_LOG):
            async with database.transaction() as writer:
                await write_pending_access_log(session=session, writer=writer)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 if missing, expired or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    return await authenticate(session=session, token=credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (403 otherwise). Admin always passes."""
    allowed = frozenset(roles) | {Role.admin}

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value} may not do this")
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require_roles(Role.admin))]
Coordinator = Annotated[Principal, Depends(require_roles(Role.coordinator))]

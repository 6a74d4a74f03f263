"""Area scope: the one shared filter and the one shared check.

Every area-scoped row carries ``area_path`` — the codes from the province down,
each followed by ``/`` — so "this area and everything below" is one prefix test
on both engines. Routes never compare paths themselves: lists use
:func:`scope_clause`, single objects use :func:`ensure_in_scope`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

from core.auth.roles import Principal
from core.errors import NotFound


def in_scope(principal: Principal, area_path: str | None) -> bool:
    """True if ``area_path`` lies in the principal's area subtree."""
    if principal.scope_path is None:
        return principal.is_admin
    return area_path is not None and area_path.startswith(principal.scope_path)


def scope_clause(principal: Principal, path_column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose ``path_column`` is in the principal's subtree."""
    if principal.scope_path is None:
        return true() if principal.is_admin else false()
    return path_column.startswith(principal.scope_path, autoescape=True)


def ensure_in_scope(principal: Principal, area_path: str | None, *, what: str = "object") -> None:
    """Raise 404 (not 403: existence outside the scope is not disclosed)."""
    if not in_scope(principal, area_path):
        raise NotFound(f"{what} not found")

"""The access matrix: every route that takes an id or lists, and how to make its objects.

Later issues add their routes here; ``test_every_route_is_in_the_matrix`` fails for a
route that takes an id or answers a list and is missing. Each factory makes one object
inside the given county (an :class:`~core.registry.areas.models.Area`) and returns its id.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.roles import Role
from core.registry.areas.models import Area, AreaLevel
from tests.factories import make_area, make_grid

Factory = Callable[[AsyncSession, Area], Awaitable[uuid.UUID]]
FACTORIES: dict[str, Factory] = {}


def factory(name: str) -> Callable[[Factory], Factory]:
    def register(fn: Factory) -> Factory:
        FACTORIES[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class ItemRoute:
    """A route taking ``{id}`` of an object made by ``FACTORIES[obj]``."""

    method: str
    path: str
    obj: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class ListRoute:
    """A list route; every item's ``path_field`` must lie in the caller's subtree."""

    path: str
    obj: str
    path_field: str = "area_path"
    params: dict[str, str] = field(default_factory=dict)


@factory("user")
async def _user(session: AsyncSession, county: Area) -> uuid.UUID:
    user = await auth_service.create_user(
        session=session,
        username=f"vol-{county.code}-{uuid.uuid4().hex[:6]}",
        display_name="志愿者",
        role=Role.volunteer,
        area_code=county.code,
    )
    return user.id


ITEM_ROUTES: list[ItemRoute] = [
    ItemRoute("GET", "/api/v1/users/{id}", "user"),
    ItemRoute("POST", "/api/v1/users/{id}/revoke", "user"),
]

LIST_ROUTES: list[ListRoute] = [
    ListRoute("/api/v1/users", "user", path_field="scope_path"),
]


# -- areas and grids (issue "Areas") ------------------------------------------------------

_area_serial = itertools.count()


def _township_code(county: Area) -> str:
    """A fresh township code inside ``county`` (numbers 300-999: clear of the demo's)."""
    return f"{county.code[:6]}{300 + next(_area_serial) % 700:03d}000"


async def _township(session: AsyncSession, county: Area) -> Area:
    return await make_area(
        session,
        code=_township_code(county),
        name="矩阵乡",
        level=AreaLevel.township,
        parent=county,
    )


async def _community(session: AsyncSession, county: Area) -> Area:
    township = await _township(session, county)
    return await make_area(
        session,
        code=township.code[:9] + "001",
        name="矩阵社区",
        level=AreaLevel.community,
        parent=township,
    )


@factory("area")
async def _area(session: AsyncSession, county: Area) -> uuid.UUID:
    return (await _township(session, county)).id


@factory("community")
async def _community_id(session: AsyncSession, county: Area) -> uuid.UUID:
    return (await _community(session, county)).id


@factory("grid")
async def _grid(session: AsyncSession, county: Area) -> uuid.UUID:
    community = await _community(session, county)
    return (await make_grid(session, community=community, code="01")).id


ITEM_ROUTES += [
    ItemRoute("GET", "/api/v1/areas/{id}", "area"),
    ItemRoute("PATCH", "/api/v1/areas/{id}", "area", body={"name": "改名乡"}),
    ItemRoute("DELETE", "/api/v1/areas/{id}", "area"),
    ItemRoute("POST", "/api/v1/areas/{id}/grids", "community", body={"code": "m1", "name": "矩阵"}),
    ItemRoute("GET", "/api/v1/grids/{id}", "grid"),
    ItemRoute("PATCH", "/api/v1/grids/{id}", "grid", body={"name": "改名网格"}),
    ItemRoute("DELETE", "/api/v1/grids/{id}", "grid"),
]

LIST_ROUTES += [
    ListRoute("/api/v1/areas", "area"),
    ListRoute("/api/v1/grids", "grid"),
]


# -- routes of later domains: each lives in tests/access/routes_<domain>.py ---------------
# A module there defines its factories with @factory(...) and module-level ITEM_ROUTES and
# LIST_ROUTES lists; they are collected here so domains never edit this file at once.


_ADOPTED: set[str] = set()


def collect() -> None:
    """Adopt the routes of every ``routes_*`` module (idempotent). A module still being
    imported — it imported this one first — has no lists yet: it is skipped now and
    adopted by the next call (test_access_matrix calls again before it reads the lists)."""
    import importlib
    import pkgutil
    from pathlib import Path

    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("routes_") or info.name in _ADOPTED:
            continue
        module = importlib.import_module(f"tests.access.{info.name}")
        if getattr(module.__spec__, "_initializing", False):
            continue
        _ADOPTED.add(info.name)
        ITEM_ROUTES.extend(getattr(module, "ITEM_ROUTES", []))
        LIST_ROUTES.extend(getattr(module, "LIST_ROUTES", []))


collect()

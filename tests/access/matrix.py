"""The access matrix: every route that takes an id or lists, and how to make its objects.

Later issues add their routes here; ``test_every_route_is_in_the_matrix`` fails for a
route that takes an id or answers a list and is missing. Each factory makes one object
inside the given county (an :class:`~core.registry.areas.models.Area`) and returns its id.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.auth.roles import Role
from core.registry.areas.models import Area

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

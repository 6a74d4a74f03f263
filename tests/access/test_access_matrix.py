"""Object-level authorization: a coordinator of county A never sees county B.

For every route in ``matrix.ITEM_ROUTES`` the coordinator of A gets 404 for B's object
(and not 404 for A's own, so the route is really reachable); every list in
``matrix.LIST_ROUTES`` holds A's object, not B's, and only rows inside A.
``test_every_route_is_in_the_matrix`` keeps the matrix complete as routes are added.
"""

from __future__ import annotations

import re

import pytest

from core.app import create_app
from core.auth.roles import Role
from tests.access import matrix
from tests.access.matrix import FACTORIES, ITEM_ROUTES, LIST_ROUTES
from tests.conftest import bearer_for
from tests.factories import two_counties

matrix.collect()  # a routes_* module imported before the matrix joins now

# Routes without an id that do not list, so they are not in the matrix, with why.
NOT_SCOPED = {
    ("POST", "/api/v1/auth/token"): "login",
    ("GET", "/api/v1/auth/me"): "the caller's own principal",
    ("POST", "/api/v1/auth/logout"): "the caller's own token",
    ("POST", "/api/v1/invites"): "scope checked on the body's area_code (tested in auth tests)",
    ("POST", "/api/v1/invites/exchange"): "unauthenticated one-time code",
    ("POST", "/api/v1/areas"): "scope checked on the body's parent_code (registry tests)",
    ("POST", "/api/v1/areas/import"): "scope checked on every row's parent (import tests)",
    ("POST", "/api/v1/depots"): "scope checked on the body's area_code and owner_org_id",
    ("POST", "/api/v1/volunteers"): "scope checked on the body's area_code (volunteer tests)",
    ("POST", "/api/v1/volunteers/import"): "scope checked on every row's area_code",
    ("GET", "/api/v1/volunteers/me"): "the caller's own volunteer profile",
    ("PATCH", "/api/v1/volunteers/me"): "the caller's own volunteer profile",
    ("POST", "/api/v1/volunteers/me/position"): "the caller's own volunteer row (dispatch)",
    ("POST", "/api/v1/households"): "scope checked on the body's community and point",
    ("POST", "/api/v1/households/import"): "scope checked on every row's community",
    ("POST", "/api/v1/incidents"): "scope checked on every community the area touches",
    ("GET", "/api/v1/plans/templates"): "shipped handbooks, not area-scoped",
    ("GET", "/api/v1/plans/templates/{id}"): "one shipped handbook by name, not area-scoped",
    ("GET", "/api/v1/plans/schema"): "JSON Schema of the plan document",
    ("POST", "/api/v1/plans"): "scope checked on the body's area_code (plans tests)",
    ("POST", "/api/v1/stock/lots"): "scope checked on the body's depot_id and fund_id",
    ("POST", "/api/v1/stock/reservations"): "scope checked on the body's need and depots",
    ("POST", "/api/v1/organizations"): "scope checked on the body's area_code (orgs tests)",
    ("POST", "/api/v1/community-funds"): "scope checked on the body's area_code and host",
    ("POST", "/api/v1/items"): "national catalogue, not area-scoped (admin only)",
    ("GET", "/api/v1/items"): "national catalogue, not area-scoped",
    ("GET", "/api/v1/items/{id}"): "national catalogue, not area-scoped",
    ("PATCH", "/api/v1/items/{id}"): "national catalogue, not area-scoped (admin only)",
    ("POST", "/api/v1/depots/import"): "scope checked on every row's area_code and owner",
    ("GET", "/api/v1/stock/alerts"): "scope_clause on lot/depot paths (tests/core/stock)",
    ("PUT", "/api/v1/stock/minimums"): "scope checked on the body's depot_id (stock tests)",
    ("GET", "/api/v1/stock/minimums"): "keyed by (depot, item), no id; scoped (test_alerts)",
    ("GET", "/api/v1/stock/audit"): "scope_clause on every path; scope in test_audit",
    ("POST", "/api/v1/stock/counts"): "scope checked on every row's depot_id and lot_id",
    ("GET", "/api/v1/disclosure/funds"): "public disclosure (信息公开), no personal data",
    ("GET", "/api/v1/disclosure/funds/{id}"): "public disclosure (信息公开), no personal data",
    ("GET", "/api/v1/disclosure/depots"): "public disclosure (信息公开), no personal data",
    ("GET", "/api/v1/disclosure/depots/{id}"): "public disclosure (信息公开), no personal data",
    # HTML pages (not under /api/v1 and not in the OpenAPI schema, so the walk below never
    # sees them; listed for the record).
    ("GET", "/disclosure"): "public disclosure (信息公开), no personal data",
    ("GET", "/disclosure/funds/{id}"): "public disclosure (信息公开), no personal data",
    ("GET", "/disclosure/depots/{id}"): "public disclosure (信息公开), no personal data",
}


def _api_routes() -> list[tuple[str, str, bool]]:
    """(method, path, answers a list) for every /api/v1 operation, from the OpenAPI schema
    (it sees through included routers, whatever FastAPI's internal route layout)."""
    spec = create_app(background=False).openapi()
    out = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, op in operations.items():
            schema = op.get("responses", {}).get("200", {}).get("content", {})
            ref = schema.get("application/json", {}).get("schema", {}).get("$ref", "")
            out.append((method.upper(), path, ref.rsplit("/", 1)[-1].startswith("Page")))
    return out


def test_every_route_is_in_the_matrix() -> None:
    routes = _api_routes()
    assert ("GET", "/api/v1/users/{user_id}", False) in routes  # the walk sees our routes
    items = {(r.method, re.sub(r"\{[^}]+\}", "{id}", r.path)) for r in ITEM_ROUTES}
    lists = {("GET", r.path) for r in LIST_ROUTES}
    missing = []
    for method, path, is_list in routes:
        key = (method, re.sub(r"\{[^}]+\}", "{id}", path))
        if "{" in path:
            covered = key in items or key in NOT_SCOPED
        elif is_list:
            covered = key in lists or key in NOT_SCOPED
        else:
            covered = key in NOT_SCOPED or key in lists
        if not covered:
            missing.append(key)
    assert missing == [], f"add these routes to tests/access/matrix.py: {missing}"


@pytest.mark.parametrize("case", ITEM_ROUTES, ids=lambda c: f"{c.method} {c.path}")
async def test_other_countys_object_is_404(case, api, session) -> None:
    world = await two_counties(session)
    coord_a = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord-a"
    )
    theirs = await FACTORIES[case.obj](session, world.county_b)
    ours = await FACTORIES[case.obj](session, world.county_a)
    path_b = re.sub(r"\{[^}]+\}", str(theirs), case.path)
    r = await api.request(case.method, path_b, json=case.body, headers=coord_a)
    assert r.status_code == 404, f"{case.method} {path_b}: {r.status_code} {r.text}"
    path_a = re.sub(r"\{[^}]+\}", str(ours), case.path)
    r = await api.request(case.method, path_a, json=case.body, headers=coord_a)
    assert r.status_code < 400, f"{case.method} {path_a}: {r.status_code} {r.text}"


@pytest.mark.parametrize("case", LIST_ROUTES, ids=lambda c: c.path)
async def test_lists_hold_only_own_rows(case, api, session) -> None:
    world = await two_counties(session)
    coord_a = await bearer_for(
        session, role=Role.coordinator, area_code=world.county_a.code, username="coord-a"
    )
    theirs = await FACTORIES[case.obj](session, world.county_b)
    ours = await FACTORIES[case.obj](session, world.county_a)
    r = await api.get(case.path, params={"limit": 500, **case.params}, headers=coord_a)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = {item["id"] for item in items}
    assert str(ours) in ids
    assert str(theirs) not in ids
    for item in items:
        assert item[case.path_field].startswith(world.county_a.area_path), item

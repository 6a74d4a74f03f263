"""The whole dispatch in two browsers on the served demo: a coordinator declares an incident
and raises a need on /map; the volunteer's phone (/v, a second context) gets the offer,
accepts and reports picked up → en route → arrived → done; the map shows every step live,
without a reload; and no page asks for anything outside the app."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import App, shot
from tests.e2e.map_world import declare_circle, open_map, open_phone, raise_need

# The demo's charity supermarket (漾濞县慈善超市) in 城中社区, with bottled water in stock.
SHOP = (99.957594, 25.672282)
STEPS = [
    ("accept", "accepted"),
    ("do-picked_up", "picked_up"),
    ("do-en_route", "en_route"),
    ("do-arrived", "arrived"),
    ("do-done", "done"),
]


def test_offer_to_done_shows_live_on_the_map(
    app: App, new_context: Any, outside: list[str]
) -> None:
    volunteer = app.demo_volunteer()
    # The volunteer stands at the shop, so the solver's cheapest trip is theirs.
    at = {"lon": SHOP[0], "lat": SHOP[1]}
    app.api("POST", "/volunteers/me/position", app.token("volunteer"), json=at)

    coordinator = new_context().new_page()
    open_map(coordinator, app)
    phone = new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    open_phone(phone, app)

    declare_circle(coordinator, *SHOP, km=2, title="演示地震 派单")
    need = raise_need(
        coordinator,
        SHOP[0] + 0.0005,
        SHOP[1],
        what="送水到独居老人家",
        item="WATER-BOTTLED-L",
        qty=4,
    )

    card = phone.locator("article.card[data-status=offered]")
    card.wait_for()
    assignment = card.get_attribute("data-id")
    row = coordinator.locator(f"#need-assignments li[data-assignment='{assignment}']")
    row.and_(coordinator.locator(".as-offered")).wait_for()
    assert row.get_attribute("data-volunteer") == volunteer
    coordinator.wait_for_selector(f"path.line-{assignment}.as-offered", state="attached")

    for button, status in STEPS:
        phone.locator(f"article.card[data-id='{assignment}'] button.{button}").click()
        row.and_(coordinator.locator(f".as-{status}")).wait_for()
        if status != "done":  # a finished assignment's line leaves the map
            coordinator.wait_for_selector(f"path.line-{assignment}.as-{status}", state="attached")
    coordinator.wait_for_selector(f"path.need-{need}.st-fulfilled")
    coordinator.wait_for_selector(f"path.line-{assignment}", state="detached")

    token = app.token("yangbi")
    assert app.api("GET", f"/assignments/{assignment}", token)["status"] == "done"
    assert app.api("GET", f"/needs/{need}", token)["status"] == "fulfilled"
    for page in (coordinator, phone):  # every step arrived without a reload
        assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    shot(coordinator, "dispatch-map", cjk="#title")
    shot(phone, "dispatch-volunteer", cjk="header h1")
    assert outside == []

"""The coordinators' map in a real browser on the served demo: login, layers from the
app only, declaring an incident and raising a need from the map, the need's panel, pinning,
live updates and resuming after the browser went offline, English, the screenshot."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import App, shot
from tests.e2e.map_world import declare_circle, declare_polygon, open_map, raise_need

# The demo's charity supermarket (漾濞县慈善超市) in 城中社区, with bottled water in stock.
SHOP = (99.957594, 25.672282)


def test_the_map_declares_raises_and_stays_live(app: App, context: Any, outside: list[str]) -> None:
    on_call = app.demo_volunteer()
    page = context.new_page()
    open_map(page, app)
    assert page.locator("path.area").count() >= 2  # county and townships: no tiles needed
    page.wait_for_selector("path.volunteer")
    page.wait_for_selector("path.depot")

    incident = declare_circle(page, *SHOP, km=2, title="演示地震 e2e")
    assert "演示地震 e2e" in page.locator("#incidents").inner_text()
    page.locator("#board li.board-community").first.click()  # the chain board, per grid
    page.wait_for_selector("#board ul.board-grids li.board-grid")

    lon, lat = SHOP[0] + 0.001, SHOP[1]
    need = raise_need(page, lon, lat, what="独居老人需要饮用水", item="WATER-BOTTLED-L", qty=6)
    panel = page.locator("#need-panel")
    assert "独居老人需要饮用水" in panel.inner_text()
    row = app.api("GET", f"/needs/{need}", app.token("yangbi"))
    assert row["incident_id"] == incident
    assert abs(row["lon"] - lon) < 0.0005 and abs(row["lat"] - lat) < 0.0005
    assert row["items"][0]["item_code"] == "WATER-BOTTLED-L"

    # The matching loop proposes someone, and the panel explains why without a reload.
    page.wait_for_selector("#need-assignments li.assignment")
    assert "公里" in page.locator("#need-assignments").inner_text()
    first = page.locator("#need-assignments li.assignment").first
    page.wait_for_selector(f"path.line-{first.get_attribute('data-assignment')}", state="attached")

    # Pin a nearby volunteer: the override is stored for the need.
    chosen = page.locator("#need-candidates li").first
    volunteer = chosen.get_attribute("data-volunteer")
    chosen.locator("button.pin").click()
    page.wait_for_selector("#hint:has-text('已指定该志愿者')")
    overrides = app.api("GET", f"/needs/{need}/overrides", app.token("yangbi"))["items"]
    assert [(o["kind"], o["volunteer_id"]) for o in overrides] == [("pin", volunteer)]

    # Cancel the assignment: it shows cancelled, and the need goes back to matching.
    assignment = first.get_attribute("data-assignment")
    first.locator("button.cancel-assignment").click()
    page.wait_for_selector(f"#need-assignments li.as-cancelled[data-assignment='{assignment}']")
    assert (
        app.api("GET", f"/assignments/{assignment}", app.token("yangbi"))["status"] == "cancelled"
    )

    # Offline, a need raised elsewhere; back online the map resumes and shows it.
    context.set_offline(True)
    page.wait_for_selector("#conn[data-status=offline]")
    body = {"kind": "medical", "lon": SHOP[0] - 0.002, "lat": SHOP[1], "description": "x"}
    second = app.api("POST", f"/incidents/{incident}/needs", app.token("yangbi"), json=body)
    context.set_offline(False)
    page.wait_for_selector("#conn[data-status=live]")
    page.wait_for_selector(f"path.need-{second['id']}")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1

    # A volunteer's position ping moves their point on the open map.
    dot = page.locator(f"path.volunteer-{on_call}")
    was = dot.get_attribute("d")
    at = {"lon": SHOP[0] - 0.003, "lat": SHOP[1] - 0.001}
    assert app.api("POST", "/volunteers/me/position", app.token("volunteer"), json=at)["stored"]
    page.wait_for_function(
        "([sel, was]) => document.querySelector(sel).getAttribute('d') !== was",
        arg=[f"path.volunteer-{on_call}", was],
    )

    shot(page, "map", cjk="#title")
    assert outside == []


def test_the_map_speaks_english_and_needs_a_login(
    app: App, context: Any, outside: list[str]
) -> None:
    page = context.new_page()
    page.goto(f"{app.base}/map")
    page.fill("#login input[name=username]", "yangbi")
    page.fill("#login input[name=password]", "wrong password")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:has-text('登录失败')")
    page.click("#lang")
    page.wait_for_selector("#title:has-text('coordination map')")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    open_map(page, app)
    assert page.locator("#conn").inner_text() == "Live"
    # The server closes a socket silent for HUZHU_WS_IDLE_SECONDS (4 s here) after sending
    # heartbeats each second: the page answers them, so it is still on its first connection.
    page.wait_for_timeout(6000)
    assert page.locator("#conn").get_attribute("data-connects") == "1"
    assert page.locator("img.leaflet-tile").count() == 0  # tiles are off by default
    assert outside == []


def test_a_drawn_area_is_declared_and_stood_down(
    app: App, context: Any, outside: list[str]
) -> None:
    page = context.new_page()
    open_map(page, app)
    d = 0.004
    corners = [(SHOP[0] - d, SHOP[1] - d), (SHOP[0] + d, SHOP[1] - d), (SHOP[0], SHOP[1] + d)]
    incident = declare_polygon(page, corners, title="待结束 e2e")
    area = app.api("GET", f"/incidents/{incident}", app.token("yangbi"))["area"]
    assert area["type"] == "MultiPolygon"
    ring = area["coordinates"][0][0]
    assert len(ring) == 4 and ring[0] == ring[-1]
    for lon, lat in corners:  # each corner within a pixel (zoom 14), in whatever ring order
        assert any(abs(lon - x) < 0.0002 and abs(lat - y) < 0.0002 for x, y in ring), ring
    page.locator(f"#incidents li[data-incident='{incident}'] button.stand-down").click()
    page.wait_for_selector(f"#incidents li[data-incident='{incident}']", state="detached")
    assert app.api("GET", f"/incidents/{incident}", app.token("yangbi"))["status"] == "stood_down"
    assert outside == []

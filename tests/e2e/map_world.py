"""Driving the pages like a person: log in to /map and /v, click the map at a place,
declare an incident (circle or polygon) and raise a need from the map."""

from __future__ import annotations

from typing import Any

from core.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import App


def open_map(page: Any, app: App, username: str = "yangbi") -> None:
    """Open /map and log in through its form; wait until the socket is live."""
    page.goto(f"{app.base}/map")
    page.fill("#login input[name=username]", username)
    page.fill("#login input[name=password]", DEMO_PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#conn[data-status=live]")
    page.wait_for_selector("path.area")


def open_phone(page: Any, app: App, username: str = "volunteer") -> None:
    """Open /v and log in with the password form; wait until its socket is live."""
    page.goto(f"{app.base}/v")
    form = page.locator("#login-password")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#net[data-state=live]")


def click_map(page: Any, lon: float, lat: float, *, zoom: int | None = None) -> None:
    """A real mouse click on the map at ``lon``/``lat`` (centred there first at ``zoom``)."""
    if zoom is not None:
        page.evaluate(
            "([lat, lon, z]) => window.huzhu.map.setView([lat, lon], z, {animate: false})",
            [lat, lon, zoom],
        )
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.huzhu.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def declare_circle(page: Any, lon: float, lat: float, *, km: float, title: str) -> str:
    """Declare an incident from the map (epicentre click + radius); its id."""
    page.click("#declare-circle")
    click_map(page, lon, lat, zoom=14)
    form = page.locator("#declare-form")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=radius_km]").fill(str(km))
    form.locator("button[type=submit]").click()
    item = page.locator("#incidents li.incident", has_text=title)
    item.wait_for()
    incident_id = item.get_attribute("data-incident")
    page.wait_for_selector(f"path.incident-{incident_id}")
    return incident_id


def declare_polygon(page: Any, corners: list[tuple[float, float]], *, title: str) -> str:
    """Declare an incident from the map by clicking ``corners`` and finishing; its id."""
    page.click("#declare-polygon")
    lon, lat = corners[0]
    page.evaluate(
        "([lat, lon]) => window.huzhu.map.setView([lat, lon], 14, {animate: false})", [lat, lon]
    )
    for lon, lat in corners:
        click_map(page, lon, lat)
    page.click("#finish-polygon")
    form = page.locator("#declare-form")
    form.locator("input[name=title]").fill(title)
    form.locator("button[type=submit]").click()
    item = page.locator("#incidents li.incident", has_text=title)
    item.wait_for()
    return item.get_attribute("data-incident")


def raise_need(
    page: Any, lon: float, lat: float, *, what: str, item: str = "", qty: int = 1
) -> str:
    """Raise a need at a clicked point from the map; its id (its panel is open)."""
    before = page.locator("#need-panel").get_attribute("data-need")
    page.click("#raise-need")
    click_map(page, lon, lat, zoom=16)
    form = page.locator("#need-form")
    form.locator("input[name=description]").fill(what)
    if item:
        form.locator("select[name=item]").select_option(item)
        form.locator("input[name=quantity]").fill(str(qty))
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "b => { const n = document.querySelector('#need-panel').dataset.need;return n && n != b }",
        arg=before,
    )
    need_id = page.locator("#need-panel").get_attribute("data-need")
    page.wait_for_selector(f"path.need-{need_id}")
    return need_id

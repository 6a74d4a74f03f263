"""What the phone-page tests (/v, /h) set up on the served demo, through the REST API.

The demo volunteer (``volunteer``) lives in the county seat's community; the demo
household contact (``family``) is the first household there. An incident is declared
around the volunteer's home; offers are steered to them with a coordinator's pin (an offer
the loop made to someone else before the pin is cancelled, so the pin decides).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from tests.e2e.conftest import App

ITEM = "BED-QUILT"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1}


@dataclass(frozen=True)
class Seat:
    admin: str  # an admin's token
    volunteer: str  # the demo volunteer's token
    volunteer_id: str
    lon: float
    lat: float
    incident_id: str


def seat(app: App) -> Seat:
    """Tokens, the demo volunteer (insured from today: the demo's cover may have lapsed)
    and an active incident around their home — declared once per served app."""
    admin, vol = app.token("admin"), app.token("volunteer")
    me = app.api("GET", "/volunteers/me", vol)
    app.api("PATCH", f"/volunteers/{me['id']}", admin, json={"insurance_valid_until": "2099-12-31"})
    live = app.api("GET", "/incidents?status=active", admin)["items"]
    if live:
        incident_id = live[0]["id"]
    else:
        body = {"title": "测试地震 e2e", "hazard": "earthquake", "level": "III",
                "centre": {"lon": me["lon"], "lat": me["lat"]}, "radius_m": 3000}  # fmt: skip
        incident_id = app.api("POST", "/incidents", admin, json=body)["id"]
    return Seat(admin, vol, me["id"], me["lon"], me["lat"], incident_id)


def wait_for(what: str, probe: Any, timeout: float = 30.0, *, page: Any = None) -> Any:
    """Poll ``probe()`` until it answers something truthy (a readiness wait, not a timing
    assertion: the timeout only bounds a broken run). With ``page``, pause through
    Playwright, so its event handlers (a routed socket) keep running meanwhile."""
    end = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < end, f"gave up waiting for {what}"
        if page is None:
            time.sleep(0.2)
        else:
            page.wait_for_timeout(200)


def offer_to_volunteer(
    app: App, s: Seat, *, description: str = "老人家需要被子", page: Any = None
) -> dict:
    """Raise a supplies need near the volunteer and see it offered to them; the assignment."""
    body = {"kind": "supplies", "lon": s.lon + 0.001, "lat": s.lat + 0.001,
            "description": description, "items": [{"item_code": ITEM, "quantity": 2}]}  # fmt: skip
    need = app.api("POST", f"/incidents/{s.incident_id}/needs", s.admin, json=body)
    pin = {"kind": "pin", "volunteer_id": s.volunteer_id}
    app.api("POST", f"/needs/{need['id']}/overrides", s.admin, json=pin)

    def offered() -> dict | None:
        rows = app.api("GET", f"/incidents/{s.incident_id}/assignments?limit=500", s.admin)
        for a in rows["items"]:
            if a["need_id"] != need["id"] or a["status"] not in ("proposed", "offered"):
                continue
            if a["volunteer_id"] == s.volunteer_id:
                return a if a["status"] == "offered" else None
            app.api("POST", f"/assignments/{a['id']}/cancel", s.admin, json={"reason": "pinned"})
        return None

    return wait_for("the offer to the demo volunteer", offered, page=page)


def assignment(app: App, s: Seat, aid: str) -> dict:
    return app.api("GET", f"/assignments/{aid}", s.admin)


def events(app: App, kind: str, **match: str) -> list[dict]:
    """Outbox events of type ``kind`` whose data has the ``match`` fields (read from the
    served SQLite file)."""
    path = app.db_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT payload FROM outbox WHERE type = ?", (kind,)).fetchall()
    found = [json.loads(r[0]) for r in rows]
    return [d for d in found if all(d.get(k) == v for k, v in match.items())]


def expect(target: Any) -> Any:
    """Playwright's ``expect``, imported late: without Playwright the fixtures skip (or
    fail under HUZHU_REQUIRE_SERVICES=1) instead of the module failing to import."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def open_v(ctx: Any, app: App, token: str, *, link: Any = None) -> Any:
    """/v, logged in by pasting a token into the form; live on its socket (routed through
    ``link``, a Playwright WebSocket route handler, when given)."""
    page = ctx.new_page()
    if link is not None:
        page.route_web_socket("**/ws/volunteer", link)
    page.goto(f"{app.base}/v")
    page.fill("#login-token input[name=secret]", token)
    page.click("#login-token button")
    expect(page.locator("#net")).to_have_attribute("data-state", "live")
    return page


def card_of(page: Any, aid: str) -> Any:
    """The card of assignment ``aid`` on /v."""
    return page.locator(f'article.card[data-id="{aid}"]')

"""/v, the volunteer's phone page, in the system Chromium against the served demo."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import App, shot
from tests.e2e.phone_world import (
    PHONE,
    Seat,
    assignment,
    card_of,
    events,
    expect,
    offer_to_volunteer,
    open_v,
    seat,
    wait_for,
)

LIMIT_BYTES = 300 * 1024


def test_one_time_link_logs_a_volunteer_in(app: App, new_context: Any, outside: list) -> None:
    admin = app.token("admin")
    me = app.api("GET", "/volunteers/me", app.token("volunteer"))
    invite = {"role": "volunteer", "area_code": me["area_code"], "username": "vol-link"}
    made = app.api("POST", "/invites", admin, json=invite)
    code, path = made["code"], made["link"].split("/", 3)[3]
    assert path == f"v#{code}"
    page = new_context(**PHONE).new_page()
    page.goto(f"{app.base}/{path}")
    expect(page.locator("#notice")).to_contain_text("no volunteer profile")  # not linked yet
    assert "#" not in page.url  # the code left the address bar
    user = next(u for u in app.api("GET", "/users?limit=500", admin)["items"]
                if u["username"] == "vol-link")  # fmt: skip
    others = app.api("GET", "/volunteers?limit=100", admin)["items"]
    spare = next(v for v in others if v["id"] != me["id"] and v["user_id"] is None)
    app.api("PATCH", f"/volunteers/{spare['id']}", admin, json={"user_id": user["id"]})
    page.reload()  # the token the link gave is kept; the socket now takes it
    expect(page.locator("#net")).to_have_attribute("data-state", "live")
    expect(page.locator("#empty")).to_be_visible()
    again = new_context(**PHONE).new_page()
    again.goto(f"{app.base}/v#{code}")  # a code works once
    expect(again.locator("#login-error")).to_contain_text("401")
    assert outside == []


def test_offer_card_accept_and_statuses_tapped_offline_arrive_once(
    app: App, new_context: Any, outside: list
) -> None:
    s: Seat = seat(app)
    here = {"longitude": s.lon + 0.002, "latitude": s.lat}
    ctx = new_context(**PHONE, permissions=["geolocation"], geolocation=here)
    page = open_v(ctx, app, s.volunteer)
    page.click("#duty-toggle")  # no consent ticked: not on duty
    expect(page.locator("#duty-note")).to_have_text("上岗前请先勾选同意共享位置")
    page.check("#consent")
    page.click("#duty-toggle")
    expect(page.locator("#duty-state")).to_have_text("在岗中")
    me = wait_for("the shared position", lambda: shared(app, s.volunteer), page=page)
    assert (me["live_lon"], me["live_lat"]) == (here["longitude"], here["latitude"])

    aid = offer_to_volunteer(app, s, page=page)["id"]
    card = card_of(page, aid)
    expect(card).to_have_attribute("data-status", "offered")
    expect(card.locator(".kind")).to_have_text("送物资")
    expect(card.locator(".summary")).to_have_text("老人家需要被子")
    expect(card.locator(".items")).to_have_text("棉被 × 2 件")
    expect(card.locator(".where")).to_contain_text("取货点：")
    expect(card.locator(".here")).to_contain_text("距您")
    href = card.locator("a.nav-need").get_attribute("href")
    assert re.fullmatch(r"geo:-?\d+\.\d{6},-?\d+\.\d{6}", href or ""), href
    countdown = card.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"剩余 \d+:\d\d 内答复"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first)  # it counts down
    shot(page, "volunteer", cjk=".card .kind")

    card.locator("button.accept").click()
    expect(card).to_have_attribute("data-status", "accepted")
    expect(page.locator("#queue")).to_be_hidden()  # answered
    assert assignment(app, s, aid)["status"] == "accepted"

    ctx.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    card.locator("button.do-picked_up").click()
    card.locator("button.do-en_route").click()
    expect(page.locator("#queue li")).to_have_count(2)
    expect(card.locator(".pending")).to_have_text(["已取货 · 待发送", "出发 · 待发送"])
    expect(card).to_have_attribute("data-status", "en_route")  # as it will be
    kept = page.evaluate("() => JSON.parse(localStorage.getItem(Object.keys(localStorage)"
                         ".find(k => k.startsWith('huzhu.v.outbox:'))))")  # fmt: skip
    assert [e["data"]["status"] for e in kept] == ["picked_up", "en_route"]  # kept on the phone
    assert len({e["id"] for e in kept}) == 2  # each with its own message id
    assert assignment(app, s, aid)["status"] == "accepted"  # nothing reached the server

    ctx.set_offline(False)
    expect(page.locator("#queue")).to_be_hidden()
    assert assignment(app, s, aid)["status"] == "en_route"
    assert len(events(app, "assignment.picked_up", id=aid)) == 1
    assert len(events(app, "assignment.en_route", id=aid)) == 1

    card.locator("button.do-arrived").click()
    card.locator("button.do-done").click()
    expect(card).to_have_attribute("data-status", "done")
    wait_for("done", lambda: assignment(app, s, aid)["status"] == "done", page=page)
    assert [len(events(app, f"assignment.{k}", id=aid)) for k in ("arrived", "done")] == [1, 1]
    assert outside == []


def shared(app: App, token: str) -> dict | None:
    me = app.api("GET", "/volunteers/me", token)
    return me if me["live_at"] else None


def redraw(page: Any) -> None:
    """Redraw every card, as an event does (the language switched there and back)."""
    lang = page.locator("html").get_attribute("lang")
    page.locator("#lang").click()
    expect(page.locator("html")).not_to_have_attribute("lang", lang or "")
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", lang or "")


def test_cannot_complete_takes_a_reason(app: App, new_context: Any, outside: list) -> None:
    s = seat(app)
    page = open_v(new_context(**PHONE), app, s.volunteer)
    aid = offer_to_volunteer(app, s, description="送水", page=page)["id"]
    card = card_of(page, aid)
    card.locator("button.accept").click()
    expect(card).to_have_attribute("data-status", "accepted")
    expect(page.locator("#queue")).to_be_hidden()
    card.locator("button.do-failed").click()  # no reason: nothing is sent
    expect(page.locator("#queue")).to_be_hidden()
    reason = card.locator("input.reason")
    assert reason.evaluate("e => !e.validity.valid")
    redraw(page)  # every event and position update redraws the cards
    assert reason.evaluate("e => !e.validity.valid")  # still marked missing
    reason.fill("路被塌方")
    redraw(page)
    expect(reason).to_have_value("路被塌方")  # what was typed survives
    reason.focus()
    page.evaluate("document.getElementById('lang').click()")  # a redraw while typing
    expect(reason).to_be_focused()  # the keyboard stays up, the caret at the end
    assert reason.evaluate("e => e.selectionStart") == len("路被塌方")
    page.evaluate("document.getElementById('lang').click()")
    reason.fill("路被塌方堵住")
    card.locator("button.do-failed").click()
    expect(card).to_have_attribute("data-status", "failed")
    wait_for("failed", lambda: assignment(app, s, aid)["status"] == "failed", page=page)
    (failed,) = events(app, "assignment.failed", id=aid)
    assert failed["reason"] == "路被塌方堵住"
    assert outside == []


def test_the_page_weighs_under_300_kb(app: App, new_context: Any, outside: list) -> None:
    page = new_context(**PHONE).new_page()
    page.goto(f"{app.base}/v")
    expect(page.locator("#login h2")).to_have_text("志愿者登录")
    page.wait_for_load_state("networkidle")
    entries = page.evaluate(
        """() => [...performance.getEntriesByType("navigation"),
                  ...performance.getEntriesByType("resource")]
              .map(e => ({name: e.name, bytes: e.transferSize, body: e.encodedBodySize}))"""
    )
    assert {e["name"].rsplit("/", 1)[-1] for e in entries} >= {
        "v", "volunteer.js", "volunteer.css", "phone.css", "socket.js", "card.js"}  # fmt: skip
    total = sum(max(e["bytes"], e["body"]) for e in entries)
    print(f"/v weighs {total} bytes over {len(entries)} requests")
    assert 0 < total < LIMIT_BYTES
    page.click("#lang")  # zh-CN by default, English on a tap
    expect(page.locator("#login h2")).to_have_text("Volunteer log in")
    assert outside == []

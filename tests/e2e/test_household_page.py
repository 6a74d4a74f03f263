"""/h, the household page, in the system Chromium against the served demo."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import App, shot
from tests.e2e.map_world import open_map
from tests.e2e.phone_world import PHONE, expect, seat


def household_of(app: App, token: str) -> dict:
    (mine,) = app.api("GET", "/households?limit=2", token)["items"]
    return app.api("GET", f"/households/{mine['id']}", token)


def test_a_needs_help_member_turns_into_a_need(app: App, new_context: Any, outside: list) -> None:
    s = seat(app)
    family = app.token("family")
    home = household_of(app, family)
    second = home["members"][1]
    page = new_context(**PHONE).new_page()
    page.goto(f"{app.base}/h")
    page.fill("#login-form input[name=secret]", family)
    page.click("#login-form button")
    expect(page.locator("fieldset.member")).to_have_count(len(home["members"]))
    page.click("#all-safe")
    row = page.locator(f'fieldset.member[data-person="{second["id"]}"]')
    row.locator("label.st-needs_help").click()
    expect(row.locator(".need")).to_be_visible()
    row.locator(".need-kind").select_option("supplies")
    row.locator(".need-text").fill("需要饮用水和药品")
    expect(page.locator("#incident option")).to_have_text(["测试地震 e2e"])
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "household", cjk="#report h2")
    coordinator = new_context().new_page()  # the county's map, open before the report
    open_map(coordinator, app)
    page.click("#report-form button[type=submit]")
    expect(page.locator("#report-result")).to_have_text("已上报。登记了 1 项求助。")
    page.click("#lang")  # English, on the same page
    expect(page.locator("#report-form button[type=submit]")).to_have_text("Send the report")
    expect(row.locator("label.st-needs_help")).to_have_text("Needs help")
    expect(row.locator("label.st-needs_help input")).to_be_checked()  # the form is kept

    needs = app.api("GET", f"/needs?incident={s.incident_id}&household={home['id']}", s.admin)
    (need,) = [n for n in needs["items"] if n["source"] == "household_report"]
    assert (need["kind"], need["person_id"], need["description"]) == (
        "supplies", second["id"], "需要饮用水和药品")  # fmt: skip
    board = app.api("GET", f"/incidents/{s.incident_id}/board", s.admin)
    assert board["totals"]["persons"]["confirmed"] == len(home["members"])  # the first report
    checked = app.api("GET", f"/needs?incident={s.incident_id}&household={home['id']}", family)
    assert need["id"] in {n["id"] for n in checked["items"]}  # the family sees it too
    coordinator.wait_for_selector(f"path.need-{need['id']}", state="attached")  # live, no reload
    assert coordinator.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    assert outside == []


def test_a_member_link_sends_an_sos_with_the_phone_position(
    app: App, new_context: Any, outside: list
) -> None:
    s = seat(app)
    family = app.token("family")
    home = household_of(app, family)
    member = home["members"][-1]
    link = app.api("POST", f"/persons/{member['id']}/sos-link", family)
    assert link["link"].endswith(f"/h#{link['code']}")
    here = {"longitude": s.lon + 0.003, "latitude": s.lat - 0.002}
    ctx = new_context(**PHONE, permissions=["geolocation"], geolocation=here)
    page = ctx.new_page()
    page.goto(f"{app.base}/h#{link['code']}")
    expect(page.locator("#sos-send")).to_be_visible()
    assert "#" not in page.url
    page.locator("#sos-who").select_option(member["id"])
    page.fill("#sos-text", "腿被压住了")
    page.click("#sos-send")
    result = page.locator("#sos-result")
    expect(result).to_contain_text("求救已发送")
    need_id = result.get_attribute("data-need")
    need = app.api("GET", f"/needs/{need_id}", s.admin)
    assert (need["source"], need["kind"], need["household_id"], need["person_id"]) == (
        "sos", "rescue", home["id"], member["id"])  # fmt: skip
    assert (need["lon"], need["lat"]) == (here["longitude"], here["latitude"])
    assert need["description"] == "腿被压住了"
    shot(page, "household-sos", cjk="#sos h2")
    assert outside == []

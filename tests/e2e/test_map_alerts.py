"""The map's alert inbox: a need nobody is left to take (its only candidate declined on the
phone) shows at once on an open map, and on a map opened afterwards, from the incident's
timeline, so a coordinator who was away sees what happened."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import App
from tests.e2e.map_world import declare_circle, open_map, open_phone

SHOP = (99.957594, 25.672282)  # 漾濞县慈善超市, in 城中社区


def test_an_escalated_need_reaches_the_inbox_live_and_later(
    app: App, new_context: Any, outside: list[str]
) -> None:
    # Psychological support needs a counsellor's certificate, which nobody in the demo roster
    # holds: given to the demo volunteer, they are the only candidate, and after their
    # decline nobody is left.
    volunteer = app.demo_volunteer()
    cert = {"kind": "psych_counselor", "issued_by": "大理州心理咨询师协会"}
    app.api("POST", f"/volunteers/{volunteer}/certifications", app.token("admin"), json=cert)
    at = {"lon": SHOP[0], "lat": SHOP[1]}
    app.api("POST", "/volunteers/me/position", app.token("volunteer"), json=at)
    watching = new_context().new_page()
    open_map(watching, app)
    phone = new_context().new_page()
    open_phone(phone, app)

    incident = declare_circle(watching, *SHOP, km=0.5, title="心理援助 e2e")
    token = app.token("yangbi")
    body = {"kind": "care", "lon": SHOP[0] + 0.0003, "lat": SHOP[1], "description": "需要心理疏导",
            "skills": ["psychological_support"]}  # fmt: skip
    need = app.api("POST", f"/incidents/{incident}/needs", token, json=body)["id"]
    card = phone.locator("article.card[data-status=offered]")
    card.wait_for()
    card.locator("button.decline").click()

    alert = watching.locator("#alerts li.alert-need-escalated")
    alert.wait_for()
    assert alert.get_attribute("data-need") == need
    assert "1 人已拒绝" in alert.inner_text()
    assert watching.locator("#alert-count").inner_text() == "1"

    later = new_context().new_page()  # a coordinator coming back: history from the timeline
    open_map(later, app)
    later.locator("#alerts li.alert-need-escalated").wait_for()
    later.locator("#alerts li.alert-need-escalated").click()  # opens the need
    later.wait_for_selector(f"#need-panel[data-need='{need}']")
    events = app.api("GET", f"/incidents/{incident}/timeline?limit=500", token)["items"]
    assert [e["data"]["id"] for e in events if e["type"] == "need.escalated"] == [need]
    assert outside == []

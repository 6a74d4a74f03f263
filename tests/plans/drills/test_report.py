"""The report: JSON with meta and every KPI; a self-contained HTML page (no URL to
anything outside it) with the KPI table, plots and the map — on both engines."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from plans.drills.kpi_table import HEADLINES
from plans.drills.kpis import incident_kpis
from plans.drills.report import FORMAT, build_report
from plans.drills.report_plots import CJK_FONT, pyplot
from tests.plans.chain_world import START
from tests.plans.drills.kpi_world import play

UNTIL = START + timedelta(minutes=240)
META = {"scenario": "tiny", "seed": 20210521, "plan": "A 预案", "wall_seconds": 1.5,
        "hazard": "earthquake",
        "plan_versions": [{"plan": "一村地震预案", "version": 3}]}  # fmt: skip


@pytest.fixture
async def built(session, database, tmp_path):
    played = await play(session, database)
    paths = await build_report(
        session, incident_id=played.incident, out_dir=tmp_path / "out", meta=META, until=UNTIL
    )
    return played, paths


async def test_json_holds_meta_and_the_kpis(built, session) -> None:
    played, (json_path, _) = built
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT and doc["meta"] == META
    assert doc["kpis"] == await incident_kpis(session, incident_id=played.incident, until=UNTIL)
    assert doc["kpis"]["series"]["t_minutes"][-1] == 240


async def test_html_is_self_contained(built) -> None:
    _, (_, html_path) = built
    html = html_path.read_text(encoding="utf-8")
    assert not re.search(r"https?:", html, re.IGNORECASE)
    assert not re.search(r"\b(href|url\s*\()", html, re.IGNORECASE)
    assert "<script" not in html.lower() and "@import" not in html
    sources = re.findall(r'\bsrc="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)


async def test_html_has_the_kpi_table_plots_and_map(built) -> None:
    _, (_, html_path) = built
    html = html_path.read_text(encoding="utf-8")
    for h in HEADLINES[:6]:
        assert f"<td>{h.label}</td>" in html
    # p50 of the vulnerable persons accounted for: 45 min; within 30 min: 1 of 3.
    assert (
        "<td>易受损人员确认用时 p50 vulnerable accounted for, p50</td><td class=n>45</td>" in html
    )
    assert "<td class=n>33.3%</td>" in html


async def test_the_run_table_says_each_thing_once(built) -> None:
    _, (_, html_path) = built
    html = html_path.read_text(encoding="utf-8")
    run = html.split("<h2>概况 Run</h2>", 1)[1].split("</table>", 1)[0]
    assert run.count("<td>hazard</td>") == 1 and run.count("<td>level</td>") == 1
    assert "<td>seed</td><td class=n>20210521</td>" in run  # an identifier, not 20,210,521
    assert html.count('<img alt="') == 7  # 3 over time, bands, unmet items, stock days, map
    assert 'alt="map of needs and coverage"' in html
    assert "KPI-RICE" in html and "库" in html  # unmet item, depot
    assert "<td>一村地震预案</td><td class=n>3</td>" in html  # the plan version exercised


def test_plots_use_the_cjk_font_when_installed() -> None:
    from matplotlib import font_manager

    plt = pyplot()
    names = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FONT not in names:
        pytest.skip(f"{CJK_FONT} is not installed (fonts-wqy-microhei)")
    assert plt.rcParams["font.sans-serif"][0] == CJK_FONT

"""``huzhu drill compare``: B against A with the right direction per KPI, JSON for
scripts, a self-contained HTML page, and bad files refused naming the file and field
(exit code 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from plans.drills.cli_compare import compare
from plans.drills.compare import compare_runs
from plans.drills.kpi_table import DERIVED, HEADLINES, verdict
from plans.drills.report import FORMAT

app = typer.Typer()
app.command()(compare)


def report(values: dict[str, Any], scenario: str) -> dict[str, Any]:
    """A report.json with every headline KPI (0 unless given in ``values``)."""
    kpis: dict[str, Any] = {"stock": []}
    for h in HEADLINES:
        if h.key in DERIVED:
            continue
        node = kpis
        *parents, leaf = h.key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = values.get(h.key, 0)
    if "days" in values:
        kpis["stock"] = [{"depot_id": "d", "days_left": values["days"]}]
    return {"format": FORMAT, "meta": {"scenario": scenario}, "kpis": kpis}


A = {"chain.vulnerable_minutes.p50": 60.0, "needs.met": 5, "dispatch.offers": 40,
     "chain.vulnerable_within.30": 0.5, "needs.unmet": 3, "days": 2.0,
     "chain.vulnerable_minutes.max": None}  # fmt: skip
B = {"chain.vulnerable_minutes.p50": 45.0, "needs.met": 3, "dispatch.offers": 55,
     "chain.vulnerable_within.30": 0.5, "needs.unmet": 4, "days": 3.5,
     "chain.vulnerable_minutes.max": 150.0}  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report(A, "earthquake / plan A")), encoding="utf-8")
    b.write_text(json.dumps(report(B, "earthquake / plan B")), encoding="utf-8")
    return a, b


def test_verdict_follows_each_kpis_direction() -> None:
    assert verdict(60, 45, "lower") == "better" and verdict(45, 60, "lower") == "worse"
    assert verdict(5, 3, "higher") == "worse" and verdict(0.5, 0.7, "higher") == "better"
    assert verdict(40, 55, None) == "" and verdict(2, 2, "lower") == "same"
    assert verdict(None, 150.0, "lower") == "" and verdict(None, None, "lower") == "same"


def test_rows_b_against_a() -> None:
    rows = {r.key: r for r in compare_runs(report(A, "a"), report(B, "b"))}
    p50 = rows["chain.vulnerable_minutes.p50"]
    assert (p50.a, p50.b, p50.delta, p50.verdict) == (60.0, 45.0, -15.0, "better")
    assert (rows["needs.met"].delta, rows["needs.met"].verdict) == (-2, "worse")
    assert rows["needs.unmet"].verdict == "worse"
    assert rows["dispatch.offers"].verdict == ""  # a volume: no direction
    assert rows["chain.vulnerable_within.30"].verdict == "same"
    assert rows["stock.min_days_left"].verdict == "better"  # 3.5 days against 2
    assert (
        rows["chain.vulnerable_minutes.max"].delta,
        rows["chain.vulnerable_minutes.max"].verdict,
    ) == (None, "")


def test_cli_json(files) -> None:
    result = CliRunner().invoke(app, [str(files[0]), str(files[1]), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["a"], doc["b"]) == ("earthquake / plan A", "earthquake / plan B")
    verdicts = {r["key"]: r["verdict"] for r in doc["rows"]}
    assert verdicts["chain.vulnerable_minutes.p50"] == "better"
    assert verdicts["needs.met"] == "worse"
    assert len(doc["rows"]) == len(HEADLINES)


def test_cli_table_and_html(files, tmp_path) -> None:
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(app, [str(files[0]), str(files[1]), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "plan B" in result.stdout and "better" in result.stdout and "worse" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"https?:|\bhref|\bsrc=|<script", html, re.IGNORECASE)
    better = re.search(r'<tr class="better"><td>([^<]*)</td>', html)
    worse = re.search(r'<tr class="worse"><td>([^<]*)</td>', html)
    assert better and "vulnerable accounted for, p50" in better.group(1)
    assert worse and "needs met" in worse.group(1)


def without(key: str) -> str:
    doc = report(A, "bad")
    *parents, leaf = key.split(".")
    node = doc["kpis"]
    for part in parents:
        node = node[part]
    del node[leaf]
    return json.dumps(doc)


def with_text(key: str) -> str:
    doc = report({**A, key: "many"}, "bad")
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (None, "file", "cannot read it"),
        ("{not json", "file", "not JSON"),
        ('["a list"]', "file", "not a report: a JSON object is expected"),
        ('{"format": "other", "kpis": {}}', "format", "expected 'huzhu.kpi-report/1'"),
        ('{"format": "huzhu.kpi-report/1"}', "kpis", "missing, or not an object"),
        (without("needs.met"), "kpis.needs.met", "missing"),
        (with_text("dispatch.offers"), "kpis.dispatch.offers", "must be a number or null"),
    ],
    ids=["unreadable", "not-json", "list", "format", "no-kpis", "missing", "text"],
)
def test_bad_files_exit_2_naming_the_file_and_field(
    files, tmp_path, content, field, message
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, [str(files[0]), str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: cannot compare this file" in result.stderr
    assert f"  {field}: {message}" in result.stderr


def test_a_scenario_against_itself_names_the_files(files) -> None:
    result = CliRunner().invoke(app, [str(files[0]), str(files[0]), "--json"])
    doc = json.loads(result.stdout)
    assert doc["a"] == f"earthquake / plan A ({files[0]})" == doc["b"]
    assert {r["verdict"] for r in doc["rows"]} == {"same"}

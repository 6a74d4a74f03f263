"""Scenario files: the shipped ones validate; every error names its field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plans.drills.scenario import SHIPPED, ScenarioError, load_scenario, parse_scenario
from tests.plans.drills.drill_world import TINY


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_validate(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.ticks > 0 and scenario.needs and scenario.injects


def _errors(data: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return dict(caught.value.errors)


def test_a_share_out_of_range_names_its_field() -> None:
    errors = _errors({**TINY, "volunteers": {"decline_rate": 1.5}})
    assert errors == {"volunteers.decline_rate": "must be between 0 and 1"}


def test_every_bad_field_is_named() -> None:
    data = {
        **TINY,
        "tick_seconds": 10,
        "colour": "red",
        "families": {"within_share": 0.8, "unreachable_share": 0.5},
        "needs": [{"kind": "supplies", "rate": 0.1, "items": [{"item_code": "x", "quantity": 0}]}],
        "injects": [{"at_minutes": 40, "kind": "road_closed"}],
    }
    errors = _errors(data)
    assert "greater than or equal to 30" in errors["tick_seconds"]
    assert "colour" in errors
    assert errors["families"] == "within_share + unreachable_share must be at most 1"
    assert "needs[0].items[0].item_code" in errors
    assert "needs[0].items[0].quantity" in errors
    assert errors["injects[0]"].startswith("a road_closed inject needs where")


def test_only_the_demo_county_is_generated() -> None:
    errors = _errors({**TINY, "population": {"area": "532901000000"}})
    assert errors == {"population.area": "the generator makes the demo county 532922000000 (漾濞)"}
    assert parse_scenario({**TINY, "population": {"source": "registry", "area": "532901000000"}})


def test_where_is_a_circle_or_a_polygon() -> None:
    errors = _errors({**TINY, "where": {"centre": {"lon": 99.9, "lat": 25.6}}})
    assert errors == {"where": "give centre and radius_km, or polygon"}


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    assert caught.value.errors[0][0] == "(file)"
    assert str(bad) in str(caught.value)


def test_roman_levels_and_local_start() -> None:
    scenario = parse_scenario({**TINY, "level": "II", "start": "21:48"})
    assert scenario.level == 2
    assert scenario.starts_at.isoformat() == "2026-05-21T21:48:00+08:00"


def test_the_cli_names_the_bad_field(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from core.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**TINY, "volunteers": {"decline_rate": -1}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["drill", "run", str(bad), "--report", str(tmp_path)])
    assert result.exit_code == 1
    assert "volunteers.decline_rate: must be between 0 and 1" in result.output
    assert not (tmp_path / "report.json").exists()

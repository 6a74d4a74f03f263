"""Drill scenario files: YAML, validated by :class:`Scenario`, errors naming the field.

The fields, their units and defaults are in the README ("Drills"); each part is a model of
:mod:`plans.drills.scenario_parts`. :func:`load_scenario` reads a file (or a shipped
scenario by name: ``earthquake``, ``flood``, ``public_health``) and raises
:class:`ScenarioError` listing every problem as ``field.path: message``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from core.clock import LOCAL_TZ
from core.incidents.hazards import HAZARDS
from core.incidents.schemas import ROMAN
from plans.drills.scenario_parts import (
    Families,
    Inject,
    NeedRule,
    Population,
    Stock,
    Strict,
    Volunteers,
    Where,
)

SHIPPED = ("earthquake", "flood", "public_health")


class Scenario(Strict):
    """One drill: what happens, where, to whom, and how people behave."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    hazard: Literal[tuple(h for h in HAZARDS if h != "other")]  # type: ignore[valid-type]
    level: Annotated[int, Field(ge=1, le=4)]
    where: Where
    day: date = date(2026, 5, 21)
    start: time = time(14, 0)
    duration_minutes: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 360
    tick_seconds: Annotated[int, Field(ge=30, le=3600)] = 60
    seed: Annotated[int, Field(ge=0)] = 1
    population: Population = Population()
    needs: list[NeedRule] = Field(default_factory=list, max_length=100)
    families: Families = Families()
    volunteers: Volunteers = Volunteers()
    stock: Stock = Stock()
    injects: list[Inject] = Field(default_factory=list, max_length=100)

    @field_validator("level", mode="before")
    @classmethod
    def _roman(cls, value: Any) -> Any:
        return ROMAN.get(value.strip().upper(), value) if isinstance(value, str) else value

    @property
    def starts_at(self) -> datetime:
        """The declaration: ``day`` at ``start``, Asia/Shanghai time."""
        return datetime.combine(self.day, self.start, tzinfo=LOCAL_TZ)

    @property
    def ticks(self) -> int:
        return int(timedelta(minutes=self.duration_minutes) / timedelta(seconds=self.tick_seconds))


class ScenarioError(ValueError):
    """A scenario that does not validate; ``errors`` are ``(field path, message)`` pairs."""

    def __init__(self, source: str, errors: list[tuple[str, str]]) -> None:
        self.source, self.errors = source, errors
        lines = "\n".join(f"  {loc}: {msg}" for loc, msg in errors)
        super().__init__(f"{source}: invalid scenario\n{lines}")


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(scenario)"


def parse_scenario(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a mapping (parsed YAML); :class:`ScenarioError` names every bad field."""
    if not isinstance(data, dict):
        raise ScenarioError(source, [("(scenario)", "must be a mapping of fields")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = [(_path(tuple(e["loc"])), _message(e)) for e in exc.errors()]
        raise ScenarioError(source, errors) from None


def shipped_path(name: str) -> Path:
    """The file of a shipped scenario (package data of ``plans.drills``)."""
    return Path(str(resources.files("plans.drills") / "scenarios" / f"{name}.yaml"))


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file, or a shipped one by name."""
    file = shipped_path(str(path)) if str(path) in SHIPPED else Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(str(file), [("(file)", f"not valid YAML: {exc}")]) from None
    return parse_scenario(data, source=str(file))

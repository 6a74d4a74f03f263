"""The README tells the truth about commands and settings."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line for line in quick.strip().splitlines()] == ["make run", "make test"]


def test_settings_table_matches_the_settings_class() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(HUZHU_[A-Z_]+)` \|", table, flags=re.M))
    actual = {f"HUZHU_{name.upper()}" for name in Settings.model_fields}
    assert documented == actual


def test_every_huzhu_variable_named_anywhere_is_a_setting() -> None:
    actual = {f"HUZHU_{name.upper()}" for name in Settings.model_fields}
    texts = [README, (ROOT / ".ci" / "run").read_text(), (ROOT / "Makefile").read_text()]
    named = {v for text in texts for v in re.findall(r"HUZHU_[A-Z_]+[A-Z]", text)}
    assert named <= actual, named - actual

"""The collector's thresholds: set from the settings by the app, the CLI and the benches."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from core.app import create_app
from core.config import Settings
from core.db import Database
from core.gc_tuning import OLDER_THRESHOLDS, tune_gc


@pytest.fixture(autouse=True)
def thresholds_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_young_generation_waits_for_the_configured_count() -> None:
    assert tune_gc(Settings(_env_file=None, gc_young_threshold=12_345)) == (
        12_345, *OLDER_THRESHOLDS)  # fmt: skip
    assert gc.get_threshold() == (12_345, *OLDER_THRESHOLDS)


def test_zero_keeps_the_thresholds_in_force() -> None:
    gc.set_threshold(700, 10, 10)
    assert tune_gc(Settings(_env_file=None, gc_young_threshold=0)) == (700, 10, 10)


def test_a_negative_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="gc_young_threshold"):
        Settings(_env_file=None, gc_young_threshold=-1)


async def test_the_app_tunes_the_collector_when_it_starts(database: Database) -> None:
    gc.set_threshold(700, 10, 10)
    settings = Settings(_env_file=None, gc_young_threshold=23_456)
    app = create_app(settings, database=database, background=False)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == 23_456


def test_the_cli_tunes_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import cli

    gc.set_threshold(700, 10, 10)
    monkeypatch.setenv("HUZHU_GC_YOUNG_THRESHOLD", "34567")
    monkeypatch.setattr(cli, "app", lambda: None)  # the command itself is not the point
    cli.get_settings.cache_clear()
    try:
        cli.main()
    finally:
        cli.get_settings.cache_clear()
    assert gc.get_threshold()[0] == 34_567

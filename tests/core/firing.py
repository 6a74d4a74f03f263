"""Run a timer test both ways: through a kind's set handler, and without it (one by one)."""

from __future__ import annotations

from typing import Any

import pytest

from core.events import timers


def both_ways(kind: str) -> Any:
    """A ``firing`` fixture, "as a set" or "one by one" (the set handler of ``kind`` removed)."""

    @pytest.fixture(params=["as a set", "one by one"])
    def firing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
        if request.param == "one by one":
            monkeypatch.delitem(timers._BATCH_HANDLERS, kind)
        return str(request.param)

    return firing

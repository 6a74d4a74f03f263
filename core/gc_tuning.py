"""Fewer garbage collections for a process that reads tens of thousands of rows at a time.

CPython collects its youngest generation every 700 new container objects, and with it,
every 10th and 100th time, the older ones — every object the process keeps: the need and
UUID caches, the spatial indexes, a drill's state. A matching batch over a county's open
needs makes hundreds of thousands of short-lived rows and tuples (reference counting frees
them; they form no cycles), so it paid for dozens of collections of the whole heap: a
third of its load time. :func:`tune_gc` raises the thresholds (Settings.gc_young_threshold;
0 keeps CPython's). Cycles are still collected, only less often; memory held by garbage
cycles between two collections stays small. Called by the composition roots: the app's
startup, the CLI and the benchmarks.
"""

from __future__ import annotations

import gc

from core.config import Settings

OLDER_THRESHOLDS = (20, 100)
"""Collections of a generation between two of the next (CPython: 10 and 10)."""


def tune_gc(settings: Settings) -> tuple[int, int, int]:
    """Set the collector's thresholds from ``settings``; the thresholds now in force."""
    if settings.gc_young_threshold > 0:
        gc.set_threshold(settings.gc_young_threshold, *OLDER_THRESHOLDS)
    return gc.get_threshold()

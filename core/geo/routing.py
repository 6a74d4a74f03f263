"""Travel distance and time between points: the :class:`Router` interface and its default.

The default, :class:`GreatCircleRouter`, is great-circle metres (the one sphere of
:mod:`core.geo.distance`) times :data:`TERRAIN_FACTOR`. A road-network router (OSRM,
Valhalla) can replace it later by implementing the same two methods over arrays.

Basis of the defaults (assumptions, to be calibrated against real road distances once a
road router is plugged in):

* :data:`TERRAIN_FACTOR` — the circuity (route factor, detour index) of a road network,
  road metres ÷ straight-line metres, is about 1.2 on urban grids (Newell 1980) and
  roughly 1.2–1.4 for whole countries' road networks (Ballou et al. 2002); shorter
  trips and mountain roads wind more. Yunnan's county and village roads climb by
  switchbacks along valleys, so the high end, 1.4, is taken: road distance on Yunnan
  mountain roads ≈ 1.4 × great-circle distance.
* :data:`SPEED_MPS` — walking 1.2 m/s (≈ 4.3 km/h, a usual pedestrian speed, kept low
  for slopes); vehicle 8.3 m/s (≈ 30 km/h, a typical average on winding mountain roads).
  Both apply to travel metres, i.e. after the terrain factor.

This module is only imported by the matching path, so numpy is imported at the top.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from core.geo.distance import haversine_m_array

TERRAIN_FACTOR = 1.4  # road distance on Yunnan mountain roads ≈ 1.4 × great-circle
SPEED_MPS = {"walk": 1.2, "vehicle": 8.3}  # 4.3 km/h; 30 km/h on mountain roads


class Router(Protocol):
    """Travel metres and seconds between points (WGS-84 degrees, arrays broadcast)."""

    def travel_m(
        self, lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
    ) -> np.ndarray:
        """Road metres from (lon1, lat1) to (lon2, lat2), element-wise."""
        ...

    def eta_s(self, metres: np.ndarray, mode: str = "vehicle") -> np.ndarray:
        """Seconds to travel ``metres`` (travel metres, from :meth:`travel_m`) by ``mode``."""
        ...


def eta_s(metres: np.ndarray | float, mode: str = "vehicle") -> np.ndarray:
    """Seconds to cover travel ``metres`` at :data:`SPEED_MPS` [``mode``] ("walk", "vehicle")."""
    try:
        speed = SPEED_MPS[mode]
    except KeyError:
        raise ValueError(
            f"unknown travel mode {mode!r}; expected one of {sorted(SPEED_MPS)}"
        ) from None
    return np.asarray(metres, dtype=float) / speed


class GreatCircleRouter:
    """:class:`Router` by great-circle metres × ``terrain_factor`` (no road network)."""

    def __init__(self, terrain_factor: float = TERRAIN_FACTOR) -> None:
        if not terrain_factor >= 1.0:
            raise ValueError("terrain_factor is road ÷ straight-line metres, so at least 1")
        self.terrain_factor = terrain_factor

    def travel_m(
        self, lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
    ) -> np.ndarray:
        return haversine_m_array(lon1, lat1, lon2, lat2) * self.terrain_factor

    def eta_s(self, metres: np.ndarray, mode: str = "vehicle") -> np.ndarray:
        return eta_s(metres, mode)

"""Input coordinate systems: WGS-84 (stored) and GCJ-02 (phones, Chinese map apps)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Query

from core.geo.gcj02 import gcj02_to_wgs84


class InputCrs(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"


CrsParam = Annotated[
    InputCrs,
    Query(description="Coordinate system of lon/lat in the body: wgs84 (default) or gcj02."),
]


def to_wgs84(lon: float, lat: float, crs: InputCrs | str = InputCrs.wgs84) -> tuple[float, float]:
    """(lon, lat) in WGS-84 degrees, converting from GCJ-02 when ``crs`` says so."""
    if InputCrs(crs) is InputCrs.gcj02:
        return gcj02_to_wgs84(lon, lat)
    return lon, lat

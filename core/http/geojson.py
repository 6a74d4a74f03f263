"""GeoJSON (RFC 7946) answers for list endpoints: by ``Accept`` or ``?format=geojson``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

GEOJSON = "application/geo+json"

Format = Annotated[
    Literal["json", "geojson"] | None,
    Query(
        description="`geojson` answers a FeatureCollection (as does Accept: application/geo+json)."
    ),
]


def wants_geojson(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "geojson"
    return GEOJSON in request.headers.get("accept", "")


def feature_collection(
    items: Iterable[BaseModel],
    geometry: Callable[[BaseModel], dict[str, Any] | None],
    *,
    exclude: set[str],
    next_cursor: str | None = None,
) -> JSONResponse:
    """A FeatureCollection whose properties are each item's schema without its geometry."""
    features = []
    for item in items:
        props = item.model_dump(mode="json", exclude=exclude)
        features.append(
            {
                "type": "Feature",
                "id": props.get("id"),
                "geometry": geometry(item),
                "properties": props,
            }
        )
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if next_cursor is not None:
        body["next"] = next_cursor
    return JSONResponse(body, media_type=GEOJSON)


def point_geometry(lon: float | None, lat: float | None) -> dict[str, Any] | None:
    """A GeoJSON Point (lon, lat order, WGS-84), or None without coordinates."""
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def point_of(item: Any) -> dict[str, Any] | None:
    """The GeoJSON Point of anything with ``lon``/``lat``."""
    return point_geometry(item.lon, item.lat)


LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}
}
"""OpenAPI note for list routes that also answer GeoJSON."""

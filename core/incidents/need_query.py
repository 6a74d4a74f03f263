"""Query parameters shared by the need lists (a FastAPI dependency) and their cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from core.errors import Invalid
from core.geo.near import parse_near
from core.http.listing import Cursor, decode_cursor, parse_bbox
from core.incidents.need_models import NeedKind, NeedSource, NeedStatus
from core.incidents.need_reads import Key

StatusQuery = Annotated[list[NeedStatus] | None, Query(description="Repeat for any-of.")]
KindQuery = Annotated[list[NeedKind] | None, Query(description="Repeat for any-of.")]
SourceQuery = Annotated[list[NeedSource] | None, Query(description="Repeat for any-of.")]
CodeQuery = Annotated[str | None, Query(pattern=r"^\d{12}$", description="Area code (subtree).")]
BBoxQuery = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")]
NearQuery = Annotated[str | None, Query(description="lon,lat (WGS-84); give km too")]


def _after(cursor: str | None) -> Key | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        p, at, nid = key
        return float(p), datetime.fromisoformat(at), uuid.UUID(nid)
    except (TypeError, ValueError) as exc:
        raise Invalid.field(("query", "next"), "not a cursor from this API") from exc


def _filters(
    status: StatusQuery = None,
    kind: KindQuery = None,
    source: SourceQuery = None,
    area: CodeQuery = None,
    bbox: BBoxQuery = None,
    near: NearQuery = None,
    km: Annotated[float | None, Query(description="Radius for near, in km.")] = None,
    next: Cursor = None,
) -> dict[str, Any]:
    """The filters both list routes share, as keyword arguments of ``list_needs``."""
    return {
        "statuses": status or (),
        "kinds": kind or (),
        "sources": source or (),
        "area_code": area,
        "bbox": parse_bbox(bbox),
        "near": parse_near(near, km),
        "after": _after(next),
    }


NeedFilters = Annotated[dict[str, Any], Depends(_filters)]

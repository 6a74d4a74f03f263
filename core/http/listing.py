"""List conventions: ``{"items": [...], "next": "<opaque cursor>"}`` with ``limit``."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from core.errors import Invalid

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")]
Cursor = Annotated[str | None, Query(description="The `next` value of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor from the sort key of the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key in ``cursor``; a 422 naming ``query.next`` if it is not one of ours."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid.field(("query", "next"), "not a cursor from this API") from exc
    if not isinstance(key, list):
        raise Invalid.field(("query", "next"), "not a cursor from this API")
    return key


def page_of(rows: list[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Trim a query of ``limit + 1`` rows to a page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(list(key(rows[-1])))
    return rows, None


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in WGS-84 degrees; 422 naming ``query.bbox``."""
    if value is None:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise Invalid.field(("query", "bbox"), "expected minlon,minlat,maxlon,maxlat")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise Invalid.field(("query", "bbox"), "out of range or min > max")
    return min_lon, min_lat, max_lon, max_lat


def after_text(cursor: str | None) -> str | None:
    """The text sort key of a one-key cursor (e.g. a code or a name), or None."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], str):
        raise Invalid.field(("query", "next"), "not a cursor from this API")
    return key[0]


def after_int(cursor: str | None) -> int | None:
    """The integer sort key of a one-key cursor (e.g. a ledger row's id), or None."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], int) or isinstance(key[0], bool):
        raise Invalid.field(("query", "next"), "not a cursor from this API")
    return key[0]


def after_uuid(cursor: str | None) -> uuid.UUID | None:
    """The id sort key of a one-key cursor, or None."""
    value = after_text(cursor)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Invalid.field(("query", "next"), "not a cursor from this API") from exc

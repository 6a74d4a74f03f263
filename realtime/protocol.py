"""The socket protocol (DESIGN.md Conventions): client messages in, answers and events out.

Client → server ``{"id": "<client uuid>", "type": "offer.accept", "data": {…}}``;
answered ``{"re": id, "ok": true, "data"?: …}`` or ``{"re": id, "ok": false, "error":
{"status", "title", "detail", "errors"?}}``. Server → client events are
:meth:`core.events.outbox.Event.wire` plus ``heartbeat``, ``resume.reload`` and
``state`` messages.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import DomainError, FieldError, Invalid

AUTH_TIMEOUT_S = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408
CLOSE_RESTART = 1012  # the worker is going away: reconnect (to another one)
MAX_ID_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Message:
    """One parsed client message."""

    id: str
    type: str
    data: dict[str, Any]


def parse(text: str, *, known: frozenset[str]) -> Message:
    """The message in ``text``; :class:`Invalid` naming the field otherwise."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise Invalid.field(("message",), "not JSON") from None
    if not isinstance(raw, dict):
        raise Invalid.field(("message",), "a JSON object is required")
    mid = raw.get("id")
    if not isinstance(mid, str) or not 0 < len(mid) <= MAX_ID_LENGTH:
        raise Invalid.field(("id",), f"a string of 1-{MAX_ID_LENGTH} characters is required")
    kind = raw.get("type")
    if kind not in known:
        raise Invalid.field(("type",), f"one of {', '.join(sorted(known))}")
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid.field(("data",), "an object is required")
    return Message(id=mid, type=kind, data=data)


def message_id(text: str) -> str | None:
    """The ``id`` of a message that failed to parse, if it has a usable one."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    mid = raw.get("id") if isinstance(raw, dict) else None
    return mid if isinstance(mid, str) and len(mid) <= MAX_ID_LENGTH else None


def ok(re: str | None, data: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"re": re, "ok": True}
    if data is not None:
        answer["data"] = data
    return answer


def error(re: str | None, exc: DomainError) -> dict[str, Any]:
    """The answer for a refused message: problem-details fields, 4xx-like."""
    body: dict[str, Any] = {"status": exc.status, "title": exc.title, "detail": exc.detail}
    if exc.errors:
        body["errors"] = [{"loc": list(e.loc), "msg": e.msg} for e in exc.errors]
    body.update({k: v for k, v in exc.extra.items() if k not in body})
    return {"re": re, "ok": False, "error": body}


def validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """``data`` as ``model``; :class:`Invalid` with ``("data", field)`` locations otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(("data", *e.get("loc", ())), e.get("msg", "")) for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in e.loc) for e in errors)
        raise Invalid(f"invalid fields: {fields}", errors=errors) from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthData(Strict):
    token: str = Field(min_length=1, max_length=400)
    last_seq: int | None = Field(None, ge=0)
    epoch: str | None = Field(None, max_length=64)


class OfferAnswer(Strict):
    assignment_id: uuid.UUID
    reason: str | None = Field(None, max_length=500)


class StatusReport(Strict):
    assignment_id: uuid.UUID
    status: str = Field(min_length=1, max_length=20)
    reason: str | None = Field(None, max_length=500)  # why, for ``failed``


class AssignmentRef(Strict):
    assignment_id: uuid.UUID


class Position(Strict):
    lon: float
    lat: float
    accuracy_m: float | None = None


class VisitReport(Strict):
    assignment_id: uuid.UUID
    report: dict[str, Any]


class Subscribe(Strict):
    incident_id: uuid.UUID | None = None


class Answers:
    """A small LRU of answers by client message id: a repeated id gets the same answer."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def get(self, mid: str) -> dict[str, Any] | None:
        answer = self._items.get(mid)
        if answer is not None:
            self._items.move_to_end(mid)
        return answer

    def put(self, mid: str, answer: dict[str, Any]) -> None:
        self._items[mid] = answer
        self._items.move_to_end(mid)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

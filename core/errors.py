"""Domain errors raised by services; the HTTP edge turns them into problem details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field: ``loc`` is its path, e.g. ("body", "lat")."""

    loc: tuple[str | int, ...]
    msg: str


class DomainError(Exception):
    """Base class: ``status`` and ``title`` map onto RFC 9457 problem details."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = (), **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.extra = extra


class Invalid(DomainError):
    """Input that breaks a rule; ``errors`` name the fields."""

    status = 422
    title = "Invalid input"

    @classmethod
    def field(cls, loc: Sequence[str | int], msg: str) -> Invalid:
        return cls(msg, errors=[FieldError(tuple(loc), msg)])


class NotFound(DomainError):
    """Absent, or outside the caller's scope (the two are not told apart)."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """A state or stock conflict; ``extra`` says what is available or allowed now."""

    status = 409
    title = "Conflict"


class Unauthorized(DomainError):
    status = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


@dataclass
class ErrorList:
    """Collects field errors across a batch, then raises them together."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, loc: Sequence[str | int], msg: str) -> None:
        self.errors.append(FieldError(tuple(loc), msg))

    def raise_if_any(self, detail: str) -> None:
        if self.errors:
            raise Invalid(detail, errors=self.errors)

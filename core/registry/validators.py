"""Pydantic field validators shared by the registry schemas."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo


def strip(value: Any) -> Any:
    """Trim surrounding white space from text."""
    return value.strip() if isinstance(value, str) else value


def strip_not_blank(value: Any) -> Any:
    """Trim text and refuse text that is only white space (None passes)."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
    return value


def not_null(value: Any, info: ValidationInfo) -> Any:
    """Refuse an explicit null for a field that may be omitted but not cleared."""
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null")
    return value

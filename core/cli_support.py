"""What the ``huzhu`` sub-command modules share: one transaction per command, and
domain errors printed with the fields they name (exit code 1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import get_settings
from core.db import Database
from core.errors import DomainError
from core.sync import run

err = Console(stderr=True)


def fail(exc: DomainError) -> typer.Exit:
    """Print ``exc`` (title, detail, each field error) to stderr; the Exit to raise."""
    err.print(f"[red]{exc.title}:[/red] {exc.detail}")
    for e in exc.errors:
        err.print(f"  {'.'.join(str(p) for p in e.loc)}: {e.msg}")
    return typer.Exit(code=1)


def in_transaction(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run ``work`` in one writing transaction on the configured database."""

    async def go() -> Any:
        settings = get_settings()
        db = Database.configured(settings)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return run(go())
    except DomainError as exc:
        raise fail(exc) from exc

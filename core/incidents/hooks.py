"""Activation hooks: what else happens, in the same transaction, when an incident is declared.

``core`` knows nothing of ``plans``; the composition root (``core/app.py``) registers
``plans.activation.activate_plans`` here, the way timer handlers are registered in
:mod:`core.events.timers`. Each hook is called with keyword arguments only and ids,
never ORM objects; a hook that raises rolls the whole declaration back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class ActivationHook(Protocol):
    def __call__(
        self,
        *,
        session: AsyncSession,
        incident_id: uuid.UUID,
        hazard: str,
        community_ids: Sequence[uuid.UUID],
    ) -> Awaitable[None]: ...


_HOOKS: list[ActivationHook] = []


def on_activation(fn: ActivationHook) -> ActivationHook:
    """Register ``fn`` (registering it again changes nothing); usable as a decorator."""
    if fn not in _HOOKS:
        _HOOKS.append(fn)
    return fn


def remove_activation(fn: ActivationHook) -> None:
    """Unregister ``fn`` if it is registered (tests)."""
    if fn in _HOOKS:
        _HOOKS.remove(fn)


def activation_hooks() -> tuple[ActivationHook, ...]:
    """The registered hooks, in registration order."""
    return tuple(_HOOKS)


async def run_activation(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    hazard: str,
    community_ids: Sequence[uuid.UUID],
) -> None:
    """Call every hook in order, in the caller's transaction."""
    for hook in tuple(_HOOKS):
        await hook(
            session=session, incident_id=incident_id, hazard=hazard, community_ids=community_ids
        )

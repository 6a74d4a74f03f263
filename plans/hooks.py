"""What plans/ does when an incident is declared, registered by the composition root."""

from __future__ import annotations

from core.incidents.hooks import on_activation
from plans.activation import activation_hook


def register() -> None:
    """Activate plan versions for the touched communities (idempotent registration)."""
    on_activation(activation_hook)

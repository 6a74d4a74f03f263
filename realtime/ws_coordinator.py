"""``/ws/coordinator``: the live events of a coordinator's area subtree.

Events on any ``area:<path>`` stream inside the token's scope (an admin without scope: all
areas) and on ``token:<own token id>``. Client messages: ``ping``, ``subscribe``
(``incident_id``?: only that incident's events from now on; null: the whole area again).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from core.auth.roles import Principal, Role
from core.events.outbox import Event
from realtime import actions
from realtime.protocol import Subscribe, validate
from realtime.ws_session import serve_socket
from realtime.ws_socket import Endpoint, Socket

router = APIRouter()


def _subscription(principal: Principal) -> tuple[set[str], set[str]]:
    return set(), {f"area:{principal.scope_path or ''}"}


async def _subscribe(sock: Socket, data: dict[str, Any]) -> Any:
    m: Subscribe = validate(Subscribe, data)
    if m.incident_id is None:
        sock.only = None
        return {"incident_id": None}
    await actions.check_incident(sock.database, sock.principal, m.incident_id)
    key = f"incident:{m.incident_id}"

    def only(ev: Event) -> bool:
        return key in ev.streams

    sock.only = only
    return {"incident_id": m.incident_id}


COORDINATOR = Endpoint(
    roles=frozenset({Role.coordinator, Role.admin}),
    subscription=_subscription,
    handlers={"subscribe": _subscribe},
)


@router.websocket("/ws/coordinator")
async def coordinator_socket(websocket: WebSocket) -> None:
    await serve_socket(websocket, COORDINATOR)

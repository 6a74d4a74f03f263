"""``/ws/volunteer``: offers, answers and status reports over one socket.

Client messages (``data`` fields): ``offer.accept`` / ``offer.decline``
(``assignment_id``, ``reason``?), ``assignment.status`` (``assignment_id``, ``status``,
``reason``?), ``position`` (``lon``, ``lat``, ``accuracy_m``?), ``assignment.contact``
(``assignment_id``), ``visit.report`` (``assignment_id``, ``report``), ``ping``.
Events: those on ``volunteer:<own id>`` and ``token:<own token id>``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from core.auth.roles import Principal, Role
from realtime import actions
from realtime.protocol import (
    AssignmentRef,
    OfferAnswer,
    Position,
    StatusReport,
    VisitReport,
    validate,
)
from realtime.ws_session import serve_socket
from realtime.ws_socket import Endpoint, Socket

router = APIRouter()


def _subscription(principal: Principal) -> tuple[set[str], set[str]]:
    return {f"volunteer:{principal.volunteer_id}"}, set()


async def _accept(sock: Socket, data: dict[str, Any]) -> Any:
    m: OfferAnswer = validate(OfferAnswer, data)
    return await actions.accept(sock.database, sock.principal, m.assignment_id)


async def _decline(sock: Socket, data: dict[str, Any]) -> Any:
    m: OfferAnswer = validate(OfferAnswer, data)
    return await actions.decline(sock.database, sock.principal, m.assignment_id, m.reason)


async def _status(sock: Socket, data: dict[str, Any]) -> Any:
    m: StatusReport = validate(StatusReport, data)
    return await actions.report_status(
        sock.database, sock.principal, m.assignment_id, m.status, m.reason
    )


async def _position(sock: Socket, data: dict[str, Any]) -> Any:
    m: Position = validate(Position, data)
    return await actions.position(sock.database, sock.principal, m.lon, m.lat, m.accuracy_m)


async def _contact(sock: Socket, data: dict[str, Any]) -> Any:
    m: AssignmentRef = validate(AssignmentRef, data)
    return await actions.contact(sock.database, sock.principal, m.assignment_id)


async def _visit(sock: Socket, data: dict[str, Any]) -> Any:
    m: VisitReport = validate(VisitReport, data)
    return await actions.visit_report(sock.database, sock.principal, m.assignment_id, m.report)


async def _state(sock: Socket) -> dict[str, Any]:
    return {"assignments": await actions.live_assignments(sock.database, sock.principal)}


VOLUNTEER = Endpoint(
    roles=frozenset({Role.volunteer}),
    subscription=_subscription,
    handlers={
        "offer.accept": _accept,
        "offer.decline": _decline,
        "assignment.status": _status,
        "position": _position,
        "assignment.contact": _contact,
        "visit.report": _visit,
    },
    state=_state,
)


@router.websocket("/ws/volunteer")
async def volunteer_socket(websocket: WebSocket) -> None:
    await serve_socket(websocket, VOLUNTEER)

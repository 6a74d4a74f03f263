"""What both sockets share: the auth handshake, resume, and answering client messages.

A socket authenticates with its first message (DESIGN.md Decisions: Tokens), every time
it (re)connects. It then gets the events it missed in order (or ``resume.reload`` and its
current state), then live ones. Each socket has its own sender task reading its hub
Listener (:func:`realtime.ws_socket.pump`), so a slow client only ever delays itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from core.auth.roles import Role
from core.auth.service import authenticate
from core.config import Settings
from core.db import Database
from core.errors import DomainError, Invalid, Unauthorized
from realtime import protocol
from realtime.actions import head_seq
from realtime.hub import Listener
from realtime.protocol import CLOSE_UNAUTHORIZED, AuthData, Message
from realtime.ws_socket import Endpoint, Socket, deliver, now, pump

log = logging.getLogger("huzhu.ws")


async def serve_socket(ws: WebSocket, endpoint: Endpoint) -> None:
    """Run one socket from accept to close."""
    app = ws.app
    await ws.accept()
    opened = await _authenticate(ws, endpoint, app.state.database, app.state.settings)
    if opened is None:
        return
    sock, mid, auth = opened
    streams, prefixes = endpoint.subscription(sock.principal)
    listener = app.state.hub.listen(
        streams={*streams, f"token:{sock.principal.token_id}"}, prefixes=set(prefixes)
    )
    sender: asyncio.Task[None] | None = None
    try:
        if await _resume(sock, endpoint, listener, mid, auth):
            sender = asyncio.create_task(pump(sock, listener))
            await _receive(sock, endpoint)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("socket of user %s", sock.principal.user_id)
    finally:
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
        listener.close()
        await sock.close(1000)


async def _authenticate(
    ws: WebSocket, endpoint: Endpoint, database: Database, settings: Settings
) -> tuple[Socket, str, AuthData] | None:
    """The socket, the auth message's id and data; or None, closed 4401: the first message
    must be a valid ``auth`` within 10 s."""
    try:
        text = await asyncio.wait_for(ws.receive_text(), protocol.AUTH_TIMEOUT_S)
    except Exception as exc:  # too late, disconnected, or a binary frame
        late = isinstance(exc, TimeoutError)
        with contextlib.suppress(Exception):
            reason = "no auth message within 10 s" if late else "auth message expected"
            await ws.close(code=CLOSE_UNAUTHORIZED, reason=reason)
        return None
    mid = protocol.message_id(text)
    try:
        msg = protocol.parse(text, known=frozenset({"auth"}))
        auth: AuthData = protocol.validate(AuthData, msg.data)
        async with database.reader() as session:
            principal = await authenticate(session=session, token=auth.token)
        if principal.role not in endpoint.roles:
            roles = ", ".join(sorted(r.value for r in endpoint.roles))
            raise Unauthorized(f"this socket is for {roles} tokens")
        if Role.volunteer in endpoint.roles and principal.volunteer_id is None:
            raise Unauthorized("this user has no volunteer profile")
    except DomainError as exc:
        with contextlib.suppress(Exception):
            await ws.send_text(json.dumps(protocol.error(mid, exc)))
            await ws.close(code=CLOSE_UNAUTHORIZED, reason=exc.detail[:120])
        return None
    sock = Socket(ws=ws, database=database, settings=settings, principal=principal)
    sock.last_heard = now()
    return sock, msg.id, auth


async def _resume(
    sock: Socket, endpoint: Endpoint, listener: Listener, mid: str, auth: AuthData
) -> bool:
    """Answer the auth message, then send what the client missed (or reload + state)."""
    max_events = sock.settings.resume_max_events
    reload = auth.last_seq is None
    if not reload:
        resumed = await listener.resume(auth.last_seq, epoch=auth.epoch, max_events=max_events)
        reload = resumed.reload
    if reload:
        # Position first, read the state after: a change in between arrives as an event.
        head = await head_seq(sock.database)
        resumed = await listener.resume(head, epoch=None, max_events=max_events)
    await sock.send(protocol.ok(mid, {"epoch": resumed.epoch, "reload": reload}))
    if reload:
        if auth.last_seq is not None:
            await sock.send({"type": "resume.reload", "epoch": resumed.epoch, "seq": head})
        state = await endpoint.state(sock) if endpoint.state else {}
        await sock.send({"type": "state", "epoch": resumed.epoch, "seq": head, "data": state})
    return await deliver(sock, resumed.events)


async def _receive(sock: Socket, endpoint: Endpoint) -> None:
    """Answer client messages in order; a repeated id gets the same answer again."""
    answers = protocol.Answers()
    while True:
        raw = await sock.ws.receive()
        if raw["type"] == "websocket.disconnect":
            return
        sock.last_heard = now()
        text = raw.get("text")
        if text is None:
            await sock.send(protocol.error(None, Invalid.field(("message",), "text frames only")))
            continue
        try:
            msg = protocol.parse(text, known=endpoint.known)
        except DomainError as exc:
            await sock.send(protocol.error(protocol.message_id(text), exc))
            continue
        answer = answers.get(msg.id)
        if answer is None:
            answer = await _answer(sock, endpoint, msg)
            answers.put(msg.id, answer)
        await sock.send(answer)


async def _answer(sock: Socket, endpoint: Endpoint, msg: Message) -> dict[str, Any]:
    try:
        if msg.type == "auth":
            raise Invalid.field(("type",), "already authenticated")
        if msg.type == "ping":
            return protocol.ok(msg.id, {"pong": True})
        return protocol.ok(msg.id, await endpoint.handlers[msg.type](sock, msg.data))
    except DomainError as exc:
        return protocol.error(msg.id, exc)
    except Exception:
        log.exception("socket message %s", msg.type)
        return protocol.error(msg.id, ServerError("the server failed to handle this message"))


class ServerError(DomainError):
    status = 500
    title = "Server error"

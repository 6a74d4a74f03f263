"""The baseline of ``bench/dispatch.py``: a bare FastAPI WebSocket app, no database.

    uvicorn _broadcast_app:app --port N   (run from bench/)

A socket connects to ``/ws`` and sends ``{"index": i}``. ``POST /emit`` with
``{"rate": r, "seconds": s, "sockets": n, "broadcast": b}`` sends, in 50 ms ticks,
``r × 0.05`` events a tick: event ``k`` to socket ``k mod n`` (like an offer to one
volunteer), or with ``broadcast`` to every socket (like an area's event to its
coordinators), shaped like Huzhu's events with ``bench_t`` (wall-clock seconds at
send) and ``bench_id``. It answers once everything is sent: ``{"sent": count}``. This is the
fastest a FastAPI process delivers targeted events here, with none of Huzhu's
durability (outbox, relay, broker, resume), so the ratio shows what those cost.
"""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
SOCKETS: dict[int, WebSocket] = {}
TICK_S = 0.05


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.websocket("/ws")
async def ws(socket: WebSocket) -> None:
    await socket.accept()
    index = int(json.loads(await socket.receive_text())["index"])
    SOCKETS[index] = socket
    try:
        while True:
            await socket.receive_text()
    except WebSocketDisconnect:
        SOCKETS.pop(index, None)


@app.post("/emit")
async def emit(body: dict) -> dict:
    rate, seconds, n = float(body["rate"]), float(body["seconds"]), int(body["sockets"])
    broadcast = bool(body.get("broadcast"))
    per_tick, sent, start = rate * TICK_S, 0, time.perf_counter()
    ticks = int(seconds / TICK_S)
    for tick in range(ticks):
        due = int(per_tick * (tick + 1)) - sent
        now = time.time()
        for k in range(sent, sent + due):
            msg = json.dumps({"seq": k, "type": "assignment.offered",
                              "data": {"bench_t": now, "bench_id": k}})  # fmt: skip
            targets = list(SOCKETS.values()) if broadcast else [SOCKETS.get(k % n)]
            for target in targets:  # FastAPI's documented broadcast: one send after another
                if target is not None:
                    await target.send_text(msg)
        sent += due
        await asyncio.sleep(max(0.0, start + (tick + 1) * TICK_S - time.perf_counter()))
    return {"sent": sent}

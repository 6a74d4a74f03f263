"""The socket side of ``bench/dispatch.py``: many volunteer sockets in one process.

    python bench/_dispatch_clients.py SPEC.json

SPEC: ``{"urls": [ws urls], "tokens": [...], "mode": "huzhu" | "raw"}``. Each token
gets one socket (round-robin over ``urls``); ``huzhu`` sockets authenticate with their
first message as ``/ws/volunteer`` asks (up once answered); ``raw`` sockets (the
broadcast baseline) send their index. Prints ``ready <n>`` once every socket is up,
then records, per event whose data carries ``bench_t`` (wall-clock seconds at the
sender's commit), the latency and the event's ``bench_id``. On a line ``report`` on
stdin it prints one JSON line, ``{"received": n, "unique": n, "latencies_ms": [...]}``
(every event since the last ``reset``; ``unique`` counts distinct (socket, ``bench_id``)
pairs: deliveries without repeats);
``reset`` clears the counters (answers ``{}``); ``quit`` ends it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import websockets


class Counters:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.ids: set[tuple[int, str]] = set()  # (socket, bench_id): a broadcast reaches many
        self.received = 0

    def seen(self, index: int, data: dict, now: float) -> None:
        self.received += 1
        self.latencies.append((now - float(data["bench_t"])) * 1000.0)
        self.ids.add((index, str(data.get("bench_id"))))


async def _socket(url: str, token: str, index: int, mode: str, c: Counters, up: asyncio.Event,
                  ready: list[int], total: int) -> None:  # fmt: skip
    async with websockets.connect(url, compression=None, max_queue=None, ping_interval=None,
                                  open_timeout=60) as ws:  # fmt: skip
        if mode == "huzhu":
            auth = {"id": str(uuid.uuid4()), "type": "auth",
                    "data": {"token": token, "last_seq": None, "epoch": None}}  # fmt: skip
            await ws.send(json.dumps(auth))
            while True:  # up once the server has answered the auth message
                answer = json.loads(await ws.recv())
                if answer.get("re") == auth["id"]:
                    if not answer.get("ok"):
                        raise RuntimeError(f"auth refused: {answer}")
                    break
        else:
            await ws.send(json.dumps({"index": index}))
        ready[0] += 1
        if ready[0] == total:
            up.set()
        async for raw in ws:
            now = time.time()
            msg = json.loads(raw)
            data = msg.get("data") if isinstance(msg, dict) else None
            if isinstance(data, dict) and "bench_t" in data:
                c.seen(index, data, now)


async def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    urls, tokens, mode = spec["urls"], spec["tokens"], spec["mode"]
    c, up, ready = Counters(), asyncio.Event(), [0]
    tasks = []
    for i, token in enumerate(tokens):
        url = urls[i % len(urls)]
        tasks.append(asyncio.create_task(_socket(url, token, i, mode, c, up, ready, len(tokens))))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # do not storm the accept queue
    await up.wait()
    print(f"ready {len(tokens)}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "report":
            out = {"received": c.received, "unique": len(c.ids), "latencies_ms": c.latencies}
            print(json.dumps(out), flush=True)
        elif line == "reset":
            c.latencies, c.ids, c.received = [], set(), 0
            print("{}", flush=True)
        elif line in ("quit", ""):
            break
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

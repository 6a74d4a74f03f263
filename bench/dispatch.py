"""Live dispatch: offer latency from commit to a volunteer's socket, and the event rate.

Setup (per configuration): a migrated database with the demo areas and 2,000 volunteers
of 漾濞, each with a user and a bearer token; ``huzhu serve`` in subprocesses; 2,000
volunteer sockets in a separate process (``_dispatch_clients.py``), authenticated on
``/ws/volunteer``. The load: ``assignment.offered`` events, one per volunteer in turn,
written by this process in micro-batch commits every 50 ms (``emit_many`` on the
volunteer's stream, as the dispatch service writes offers), each stamped with the wall
time just before its commit. Configurations:

* **in-process broker** — the embedded default: SQLite file, one worker;
* **Redis, two workers** — PostgreSQL (``HUZHU_BENCH_DATABASE_URL``) and Redis
  (``HUZHU_BENCH_REDIS_URL``, a database it flushes), two ``huzhu serve`` processes,
  the sockets split between them.

Figures: at 500 offers/s for 10 s, latency p50/p99 (targets ≤ 100 ms in-process,
≤ 150 ms across workers) and lost offers (target 0); then the highest sustainable
delivery rate (rates stepped up, 4 s each; sustained = every delivery arrives within 3 s
of the end and p99 ≤ 1 s) for two workloads, each beside a bare FastAPI app measured in
the same run on the same client process (``_broadcast_app.py``: no database, no
durability):

* **broadcast** — events on the county's ``area:`` stream, each delivered to all 2,000
  sockets (coordinators of 漾濞 on ``/ws/coordinator``), against the bare app
  broadcasting to its 2,000 sockets: the issue's baseline (target ≥ 50 % of its rate);
* **offers** — each to one volunteer's socket (:data:`RAMP`), against the bare app
  sending each event straight to one socket. Shown without a target: every offer is its
  own committed outbox row, read back, relayed and routed, where the bare app only sends.

    .venv/bin/python bench/dispatch.py
"""

from __future__ import annotations

import asyncio
import time

import _dispatch_procs as procs  # bench/ is on sys.path when run as a script
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import get_settings
from core.db import Database
from core.events.outbox import EventIn, emit_many

SOCKETS = 2_000
TICK_S = 0.05
FIXED_RATE, FIXED_S = 500, 10.0
RAMP = (1_000, 2_000, 3_000, 4_000, 6_000, 8_000, 12_000, 16_000, 24_000, 32_000, 48_000)
FAN_RAMP = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48)  # events/s, each delivered to every socket
RAMP_S, DRAIN_S = 4.0, 3.0


async def emit_load(db: Database, streams, rate: float, seconds: float, first: int) -> int:
    """Events at ``rate`` a second for ``seconds``, committed every 50 ms; how many.
    Event ``k`` goes on ``streams(k)``."""
    per_tick, sent, start = rate * TICK_S, 0, time.perf_counter()
    for tick in range(int(seconds / TICK_S)):
        due = int(per_tick * (tick + 1)) - sent
        async with db.transaction() as s:
            await _emit(s, streams, first + sent, due)
        sent += due
        await asyncio.sleep(max(0.0, start + (tick + 1) * TICK_S - time.perf_counter()))
    return sent


async def _emit(s: AsyncSession, streams, first: int, count: int) -> None:
    now = time.time()
    events = [EventIn("assignment.offered", {"bench_t": now, "bench_id": k}, streams(k))
              for k in range(first, first + count)]  # fmt: skip
    await emit_many(s, events)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def fixed_load(send, clients: procs.Clients) -> tuple[float, float, int, int]:
    """(p50, p99, sent, lost) at :data:`FIXED_RATE` for :data:`FIXED_S`."""
    sent = await send(FIXED_RATE, FIXED_S)
    got = await clients.report_after(DRAIN_S, expect=sent)
    lat = got["latencies_ms"]
    return pct(lat, 50), pct(lat, 99), sent, sent - got["unique"]


async def highest_rate(send, clients: procs.Clients, rates, fanout: int = 1) -> tuple[float, list]:
    """The highest sustained delivery rate over ``rates`` (events a second, each reaching
    ``fanout`` sockets), 0 if none, and a line per rate tried."""
    best, lines = 0.0, []
    for rate in rates:
        t0 = time.perf_counter()
        sent = await send(rate, RAMP_S)
        took = time.perf_counter() - t0
        expect = sent * fanout
        got = await clients.report_after(DRAIN_S, expect=expect)
        p99 = pct(got["latencies_ms"], 99)
        achieved = expect / max(took, RAMP_S)
        ok = got["unique"] >= expect and p99 <= 1000 and achieved >= 0.95 * rate * fanout
        tail = "" if ok else "  (not sustained)"
        lines.append(f"{rate * fanout:>7,.0f}/s: {expect:,} deliveries in {took:.1f} s, arrived"
                     f" {got['unique']:,}, p99 {p99:,.0f} ms{tail}")  # fmt: skip
        if not ok:
            break
        best = achieved
    return best, lines


def verdict(ok: bool) -> str:
    return "meets target" if ok else "BELOW target"


async def run_huzhu(label: str, db_url: str, redis_url: str | None, workers: int,
                    target_ms: float) -> dict[str, float]:  # fmt: skip
    """One configuration's figures (printed); its highest sustained rates."""
    db = Database(db_url)
    counter = [0]

    def sender(streams):
        async def send(rate: float, seconds: float) -> int:
            n = await emit_load(db, streams, rate, seconds, counter[0])
            counter[0] += n
            return n

        return send

    try:
        w = await procs.prepare(db, SOCKETS, redis_url)
        with procs.servers(db_url, redis_url, workers) as urls:
            ws = [u.replace("http://", "ws://") for u in urls]
            offers = sender(lambda k: [f"volunteer:{w.vol_ids[k % SOCKETS]}"])
            with procs.Clients([u + "/ws/volunteer" for u in ws], w.volunteer_tokens,
                               "huzhu") as clients:  # fmt: skip
                p50, p99, sent, lost = await fixed_load(offers, clients)
                print(f"[{label}] {SOCKETS:,} volunteer sockets, {FIXED_RATE} offers/s for"
                      f" {FIXED_S:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target ≤"
                      f" {target_ms:.0f} ms)   {verdict(p99 <= target_ms)}; lost {lost} of"
                      f" {sent:,}   {verdict(lost == 0)}")  # fmt: skip
                offer_rate, lines = await highest_rate(offers, clients, RAMP)
                _show("offers, each to one volunteer's socket", lines)
            area = sender(lambda k: [f"area:{w.area_path}"])
            with procs.Clients([u + "/ws/coordinator" for u in ws], w.coordinator_tokens,
                               "huzhu") as clients:  # fmt: skip
                fan_rate, lines = await highest_rate(area, clients, FAN_RAMP, SOCKETS)
                _show(f"area events, each to all {SOCKETS:,} coordinator sockets", lines)
        return {"targeted": offer_rate, "broadcast": fan_rate}
    finally:
        await db.dispose()


def _show(title: str, lines: list[str]) -> None:
    print(f"  {title}:")
    for line in lines:
        print(f"    {line}")


async def run_baseline() -> dict[str, float]:
    with procs.broadcast_server() as url:
        ws_url, names = url.replace("http://", "ws://") + "/ws", [str(i) for i in range(SOCKETS)]
        with procs.Clients([ws_url], names, "raw") as clients:

            def sender(broadcast: bool):
                async def send(rate: float, seconds: float) -> int:
                    return await procs.post_emit(url, rate, seconds, SOCKETS, broadcast)

                return send

            print(f"[baseline] bare FastAPI, {SOCKETS:,} sockets, no database:")
            one, lines = await highest_rate(sender(False), clients, RAMP)
            _show("events, each sent straight to one socket", lines)
            fan, lines = await highest_rate(sender(True), clients, FAN_RAMP, SOCKETS)
            _show(f"events broadcast to all {SOCKETS:,} sockets", lines)
    return {"targeted": one, "broadcast": fan}


async def main() -> None:
    baseline = await run_baseline()
    rates = {}
    with procs.temp_sqlite() as sqlite_url:
        rates["in-process broker (SQLite, 1 worker)"] = await run_huzhu(
            "in-process broker", sqlite_url, None, 1, 100.0
        )
    settings = get_settings()
    if settings.bench_database_url and settings.bench_redis_url:
        rates["Redis, 2 workers (PostgreSQL)"] = await run_huzhu(
            "Redis, two workers", settings.bench_database_url, settings.bench_redis_url, 2, 150.0
        )
    else:
        print("[Redis, two workers] skipped: set HUZHU_BENCH_DATABASE_URL (PostGIS) and"
              " HUZHU_BENCH_REDIS_URL (a Redis database it may flush) to run it")  # fmt: skip
    for label, got in rates.items():
        fan = got["broadcast"] / baseline["broadcast"] if baseline["broadcast"] else 0.0
        one = got["targeted"] / baseline["targeted"] if baseline["targeted"] else 0.0
        print(f"highest sustained delivery rate, {label}:")
        print(f"  broadcast: {got['broadcast']:,.0f}/s = {fan:.0%} of the bare FastAPI"
              f" broadcast's {baseline['broadcast']:,.0f}/s, target ≥ 50 %"
              f"   {verdict(fan >= 0.5)}")  # fmt: skip
        print(
            f"  offers, one socket each: {got['targeted']:,.0f}/s = {one:.0%} of bare"
            f" FastAPI sending each straight to its socket ({baseline['targeted']:,.0f}/s;"
            " shown: every offer is a committed outbox row, read, relayed and routed)"
        )


if __name__ == "__main__":
    asyncio.run(main())

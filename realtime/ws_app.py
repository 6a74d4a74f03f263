"""Wiring for the composition root: a worker's broker, relay and hub, and the socket routes.

``core/app.py`` starts :func:`start_realtime` in its lifespan (every worker runs a relay
and a hub; ``HUZHU_REDIS_URL`` set → Redis Streams, else in-process), stores the hub on
``app.state.hub`` and includes :data:`routers`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from fastapi import FastAPI

from core.config import Settings
from core.db import Database
from realtime.broker import Broker, broker_for
from realtime.hub import Hub
from realtime.relay import Relay
from realtime.ws_coordinator import router as coordinator_router
from realtime.ws_volunteer import router as volunteer_router

routers = (volunteer_router, coordinator_router)


@dataclass
class Realtime:
    broker: Broker
    hub: Hub
    relay: Relay

    async def stop(self) -> None:
        await self.relay.stop()
        await self.hub.stop()
        with contextlib.suppress(Exception):
            await self.broker.close()


async def start_realtime(app: FastAPI, database: Database, settings: Settings) -> Realtime:
    """Start this worker's hub and relay; the hub goes on ``app.state.hub``."""
    broker = broker_for(settings.redis_url, stream_maxlen=settings.stream_maxlen)
    hub = Hub(database, broker)
    await hub.start()  # connects the broker
    relay = Relay(database, broker)
    await relay.start()
    app.state.hub = hub
    return Realtime(broker, hub, relay)

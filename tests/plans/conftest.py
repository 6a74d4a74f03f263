"""Fixtures for plan tests: the world of :mod:`tests.plans.world`."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.plans.world import PlanWorld, make_world


@pytest.fixture
async def pw(session: AsyncSession) -> PlanWorld:
    world = await make_world(session)
    await session.commit()  # releases the test savepoint: failed requests roll back only themselves
    return world

"""The demo community fund's money: a year of donations and a grant in, relief goods
bought (each purchase linked to the lot it bought) and a service paid out — so the public
disclosure pages (信息公开) of the demo show real-looking figures. Deterministic for a seed.

Past moves are written under a fixed clock set to their date, so their months are real.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.registry.depots.models import Depot, DepotKind
from core.registry.items.models import Item
from core.registry.orgs.models import CommunityFund
from core.stock import funds

DONORS = ("漾濞县核桃产业协会", "大理苍洱建材有限公司", "李明", "杨秀英", "漾濞县个体工商户联合会",
          "字文华", "云南某物流有限公司")  # fmt: skip
# (item code, quantity in base units, price in fen, months ago)
PURCHASES = (("FOOD-RICE-KG", 500, 275_000, 5), ("FOOD-OIL-L", 200, 240_000, 5),
             ("BED-QUILT", 100, 1_200_000, 3), ("WATER-BOTTLED-L", 1_500, 300_000, 1))  # fmt: skip


async def load_demo_fund_ledger(*, session: AsyncSession, seed: int) -> tuple[int, int]:
    """Write the demo fund's moves; returns (moves, lots bought), (0, 0) without a fund."""
    fund = (await session.execute(
        select(CommunityFund.id, CommunityFund.area_path).order_by(CommunityFund.name).limit(1)
    )).first()  # fmt: skip
    if fund is None:
        return 0, 0
    depot = await session.scalar(
        select(Depot.id)
        .where(Depot.area_path.startswith(fund.area_path, autoescape=True),
               Depot.kind.in_((DepotKind.charity_supermarket.value, DepotKind.warehouse.value)))
        .order_by(Depot.kind, Depot.name).limit(1)
    )  # fmt: skip
    if depot is None:
        return 0, 0
    rng, now, moves = random.Random(f"{seed}:fund"), clock.now(), 0
    for month in range(12, 0, -1):
        for _ in range(rng.randint(1, 3)):
            at = now - timedelta(days=30 * month - rng.randint(0, 25), hours=rng.randint(0, 12))
            await funds.record_income(
                session=session, actor_id=None, fund_id=fund.id, kind="donation",
                amount_fen=rng.randint(5, 400) * 10_000, donor=rng.choice(DONORS),
                donor_anonymous=rng.random() < 0.25, description="社区基金捐赠", at=at,
            )  # fmt: skip
            moves += 1
    await funds.record_income(
        session=session, actor_id=None, fund_id=fund.id, kind="grant", amount_fen=5_000_000,
        donor="漾濞彝族自治县民政局", description="社区慈善应急储备补助",
        at=now - timedelta(days=200),
    )  # fmt: skip
    items = {i.code: i for i in await session.scalars(select(Item))}
    for code, quantity, price, months_ago in PURCHASES:
        item, bought = items[code], now - timedelta(days=30 * months_ago)
        with clock.use_clock(clock.ManualClock(bought)):
            shelf = item.shelf_life_days
            expires = clock.local_today() + timedelta(days=shelf) if shelf else None
            await funds.purchase_lot(
                session=session, actor_id=None, fund_id=fund.id, depot_id=depot,
                item_id=item.id, quantity=quantity, amount_fen=price, expires_on=expires,
                description=f"应急储备采购 {item.name_zh}",
            )  # fmt: skip
        moves += 1
    await funds.record_spending(
        session=session, actor_id=None, fund_id=fund.id, kind="service", amount_fen=360_000,
        description="应急志愿者意外伤害保险",
    )  # fmt: skip
    return moves + 2, len(PURCHASES)

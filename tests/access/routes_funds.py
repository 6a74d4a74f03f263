"""Fund ledger routes in the access matrix (issue "Relief stock": the fund ledger).

The fund comes from the ``community_fund`` factory of :mod:`tests.access.routes_orgs`.
The public disclosure routes are in NOT_SCOPED of test_access_matrix.py instead.
"""

from __future__ import annotations

from tests.access.matrix import ItemRoute

ITEM_ROUTES = [
    ItemRoute(
        "POST",
        "/api/v1/community-funds/{id}/moves",
        "community_fund",
        body={"kind": "donation", "amount_fen": 10000, "donor": "矩阵"},
    ),
    ItemRoute("GET", "/api/v1/community-funds/{id}/moves", "community_fund"),
]

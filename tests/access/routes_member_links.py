"""One-time member links in the access matrix (reuses the households' "person" factory)."""

from __future__ import annotations

from tests.access.matrix import ItemRoute

ITEM_ROUTES = [
    ItemRoute("POST", "/api/v1/persons/{id}/sos-link", "person"),
]

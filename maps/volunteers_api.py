"""Bulk import of volunteers from CSV, GeoJSON or GeoPackage (mounted under /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["volunteers"])

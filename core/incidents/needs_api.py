"""Routes for needs (mounted under /api/v1 by core/app.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["needs"])

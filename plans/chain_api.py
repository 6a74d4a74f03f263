"""Routes for the check-in chain (mounted under /api/v1 by core/app.py): thin — parse, call
the service, return.

* ``POST /incidents/{id}/reports`` — a batch of household reports (a phone sends one).
* ``GET /incidents/{id}/board`` — the board per community, or per grid with
  ``?community=<code>``; ``/board.csv`` the same rows as CSV; ``/board/print`` the
  pending households as a printable page.

Importing this module registers the deadline timer's handler (:mod:`plans.overdue`), so
every app worker that runs ``fire_due()`` can fire the chain's timers.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

import plans.overdue  # noqa: F401  (registers the chain.deadline timer handler)
from core import clock
from core.http.deps import CurrentUser, SessionDep
from plans.board import board_where, chain_board
from plans.board_print import pending_households
from plans.board_views import board_csv, print_page
from plans.chain_schemas import Board, ReportBatch, ReportResult
from plans.reports import report_households

router = APIRouter(tags=["chain"])

CommunityQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{12}$", description="A community code: the board per grid of it."),
]
OverdueLimit = Annotated[int, Query(ge=1, le=1000, description="At most this many overdue.")]
PrintLimit = Annotated[int, Query(ge=1, le=5000, description="At most this many households.")]


def _purpose(request: Request) -> str:
    return f"{request.method} {request.url.path}"


@router.post("/incidents/{incident_id}/reports", response_model=ReportResult)
async def report(
    incident_id: uuid.UUID, body: ReportBatch, principal: CurrentUser, session: SessionDep
) -> ReportResult:
    """Report households and their members (safe / injured / needs help / missing /
    unreachable) with needs; 404/403/409/422 write nothing."""
    return await report_households(
        session=session, principal=principal, incident_id=incident_id, reports=body.reports
    )


@router.get("/incidents/{incident_id}/board", response_model=Board)
async def board(
    request: Request,
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    community: CommunityQuery = None,
    limit: OverdueLimit = 100,
) -> Board:
    """Households and vulnerable persons confirmed / total, overdue households, oldest overdue."""
    return await chain_board(
        session=session,
        principal=principal,
        incident_id=incident_id,
        community_code=community,
        limit=limit,
        purpose=_purpose(request),
    )


@router.get("/incidents/{incident_id}/board.csv", response_class=Response)
async def board_as_csv(
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    community: CommunityQuery = None,
) -> Response:
    """The board's rows as CSV (UTF-8), one per community or per grid."""
    data = await chain_board(
        session=session,
        principal=principal,
        incident_id=incident_id,
        community_code=community,
        limit=0,
    )
    name = f"board-{incident_id}{'-' + community if community else ''}.csv"
    return Response(
        board_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/incidents/{incident_id}/board/print", response_class=HTMLResponse)
async def board_print(
    request: Request,
    incident_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    community: CommunityQuery = None,
    limit: PrintLimit = 2000,
) -> HTMLResponse:
    """Households still to confirm, per community and grid, with members and boxes to tick."""
    where = await board_where(
        session=session, principal=principal, incident_id=incident_id, community_code=community
    )
    households = await pending_households(
        session=session, principal=principal, where=where, limit=limit, purpose=_purpose(request)
    )
    title = f"报平安名单 check-in list · {community or 'all communities'}"
    return HTMLResponse(print_page(title=title, at=clock.now(), households=households))

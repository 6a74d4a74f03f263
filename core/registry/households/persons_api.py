"""Person routes (members of households); included by :mod:`core.registry.households.api`.

Every response carrying personal fields is logged (one row per person, purpose =
method and path) by :mod:`core.registry.households.views`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from core.errors import Invalid
from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, decode_cursor, page_of
from core.registry.households import persons
from core.registry.households.schemas import PersonCreate, PersonRead, PersonUpdate
from core.registry.households.views import present_persons

router = APIRouter(tags=["households"])

CodeQuery = Annotated[str | None, Query(pattern=r"^\d{12}$")]
TagsQuery = Annotated[list[str] | None, Query(description="Vulnerability tag; repeat for any-of.")]


def purpose_of(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def after_cursor(cursor: str | None) -> uuid.UUID | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        (value,) = key
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise Invalid.field(("query", "next"), "not a cursor from this API") from exc


@router.post("/households/{household_id}/persons", status_code=201, response_model=PersonRead)
async def add_person(
    request: Request,
    household_id: uuid.UUID,
    body: PersonCreate,
    principal: CurrentUser,
    session: SessionDep,
) -> PersonRead:
    row = await persons.add_person(
        session=session, principal=principal, household_id=household_id, data=body
    )
    (read,) = await present_persons(
        session=session, principal=principal, rows=[row], purpose=purpose_of(request)
    )
    return read


@router.get("/persons", response_model=Page[PersonRead])
async def list_persons(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    household: Annotated[uuid.UUID | None, Query(description="Household id.")] = None,
    tag: TagsQuery = None,
    age_min: Annotated[int | None, Query(ge=0, le=150)] = None,
    age_max: Annotated[int | None, Query(ge=0, le=150)] = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[PersonRead]:
    """Persons in reach by id; ``tag`` (any-of) and ages match only readable persons."""
    rows = await persons.list_persons(
        session=session,
        principal=principal,
        area_code=area,
        household_id=household,
        tags=tag or (),
        age_min=age_min,
        age_max=age_max,
        after=after_cursor(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda r: [str(r[0].id)])
    items = await present_persons(
        session=session, principal=principal, rows=rows, purpose=purpose_of(request)
    )
    return Page[PersonRead](items=items, next=cursor)


@router.get("/persons/{person_id}", response_model=PersonRead)
async def get_person(
    request: Request, person_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> PersonRead:
    row = await persons.get_person(session=session, principal=principal, person_id=person_id)
    (read,) = await present_persons(
        session=session, principal=principal, rows=[row], purpose=purpose_of(request)
    )
    return read


@router.patch("/persons/{person_id}", response_model=PersonRead)
async def update_person(
    request: Request,
    person_id: uuid.UUID,
    body: PersonUpdate,
    principal: CurrentUser,
    session: SessionDep,
) -> PersonRead:
    row = await persons.update_person(
        session=session, principal=principal, person_id=person_id, data=body
    )
    (read,) = await present_persons(
        session=session, principal=principal, rows=[row], purpose=purpose_of(request)
    )
    return read


@router.delete("/persons/{person_id}", status_code=204)
async def delete_person(
    person_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    await persons.delete_person(session=session, principal=principal, person_id=person_id)
    return Response(status_code=204)

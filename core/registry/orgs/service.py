"""Organizations: the rules. No FastAPI here; services flush, never commit.

Who may write: an admin anywhere; a coordinator for organizations whose home area lies
in their subtree (their own root area included: a county coordinator registers the
county 慈善会). Grid workers, volunteers, household contacts and auditors only read.
Everyone authenticated reads organizations in their scope (organizations are not
personal data); objects outside it are 404. Events go to ``area:<area_path>``.
Renaming a host renames its community funds (their names embed the host's).
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.auth.scope import ensure_in_scope, scope_clause
from core.errors import Conflict, ErrorList, NotFound
from core.events.outbox import emit_many
from core.registry.areas.models import Area
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.depots.models import Depot
from core.registry.orgs.batch import create_organization, create_organizations, ensure_free
from core.registry.orgs.fund_rules import check_host_change, rename_hosted
from core.registry.orgs.models import CommunityFund, Organization
from core.registry.orgs.rules import (
    body_loc,
    check_kind_rules,
    count_where,
    detail,
    ensure_writer,
    org_event,
)
from core.registry.orgs.schemas import OrgUpdate
from core.registry.volunteers.models import Volunteer

__all__ = [
    "create_organization",
    "create_organizations",
    "delete_organization",
    "get_organization",
    "list_organizations",
    "update_organization",
]

_FIELDS = ("name", "kind", "category", "registration", "credit_code", "public_fundraising", "phone")


async def get_organization(
    *, session: AsyncSession, principal: Principal, org_id: uuid.UUID
) -> Organization:
    """An organization in the principal's scope; 404 otherwise."""
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("organization not found")
    ensure_in_scope(principal, org.area_path, what="organization")
    return org


async def list_organizations(
    *,
    session: AsyncSession,
    principal: Principal,
    area: Area | None = None,
    kind: str | None = None,
    category: str | None = None,
    registration: str | None = None,
    public_fundraising: bool | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[Organization]:
    """Organizations in scope ordered by name (keyset: ``after`` is the last name seen).

    ``area`` (resolved by the caller with ``area_in_scope_or_invalid``): that area and
    below; ``q``: a substring of the name.
    """
    stmt = select(Organization).where(scope_clause(principal, Organization.area_path))
    if area is not None:
        stmt = stmt.where(Organization.area_path.startswith(area.area_path, autoescape=True))
    for column, value in (
        (Organization.kind, kind),
        (Organization.category, category),
        (Organization.registration, registration),
        (Organization.public_fundraising, public_fundraising),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if q:
        stmt = stmt.where(Organization.name.contains(q, autoescape=True))
    if after is not None:
        stmt = stmt.where(Organization.name > after)
    return list((await session.scalars(stmt.order_by(Organization.name).limit(limit))).all())


async def update_organization(
    *, session: AsyncSession, principal: Principal, org_id: uuid.UUID, data: OrgUpdate
) -> Organization:
    """Change fields (explicit ``null`` clears category, credit code, phone); the kind
    rules hold on the result. ``organization.updated``; a new name renames hosted funds."""
    ensure_writer(principal, "organizations")
    org = await get_organization(session=session, principal=principal, org_id=org_id)
    fields = data.model_fields_set
    if not fields:
        return org
    new = SimpleNamespace(**{f: getattr(data if f in fields else org, f) for f in _FIELDS})
    area = await session.get(Area, org.area_id)
    assert area is not None
    if "area_code" in fields and data.area_code != area.code:
        area = await area_in_scope_or_invalid(
            session=session,
            principal=principal,
            code=str(data.area_code),
            loc=("body", "area_code"),
        )
    errors = ErrorList()
    check_kind_rules(
        kind=new.kind,
        category=new.category,
        registration=new.registration,
        public_fundraising=new.public_fundraising,
        area_level=area.level,
        loc=body_loc,
        errors=errors,
    )
    errors.raise_if_any(detail(errors))
    await ensure_free(session, [new], lambda _: body_loc, exclude=org.id)
    await check_host_change(session, org, kind=new.kind, area=area)
    renamed = new.name != org.name
    for field in _FIELDS:
        setattr(org, field, getattr(new, field))
    org.area_id, org.area_path = area.id, area.area_path
    org.updated_at = clock.now()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("an organization name or credit code was taken concurrently") from exc
    event = org_event(
        "organization.updated",
        id=org.id,
        name=org.name,
        area_path=org.area_path,
        fields=sorted(fields),
    )
    await emit_many(session, [event])
    if renamed:
        await rename_hosted(session, org)
    return org


async def delete_organization(
    *, session: AsyncSession, principal: Principal, org_id: uuid.UUID
) -> None:
    """Delete an organization nothing refers to; 409 says what is in the way."""
    ensure_writer(principal, "organizations")
    org = await get_organization(session=session, principal=principal, org_id=org_id)
    blockers = {
        "community_funds": await count_where(
            session, CommunityFund, CommunityFund.host_org_id == org.id
        ),
        "depots": await count_where(session, Depot, Depot.owner_org_id == org.id),
        "volunteers": await count_where(session, Volunteer, Volunteer.org_id == org.id),
    }
    blockers = {k: v for k, v in blockers.items() if v}
    if blockers:
        what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in blockers.items())
        raise Conflict(f"organization {org.name} still has {what}; remove them first", **blockers)
    event = org_event("organization.deleted", id=org.id, name=org.name, area_path=org.area_path)
    await emit_many(session, [event])
    try:
        async with session.begin_nested():
            await session.delete(org)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"organization {org.name} is still referred to by other records") from exc

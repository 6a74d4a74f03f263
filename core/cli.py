"""``huzhu <noun> <verb>``: Rich tables for people, ``--json`` for scripts.

The composition root for commands: the only CLI module that may import plans/,
realtime/ and maps/.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from core import migrate
from core.auth import service as auth_service
from core.auth.models import User
from core.auth.roles import Role
from core.cli_plans import plan_app
from core.cli_stock import stock_app
from core.config import get_settings
from core.db import Database
from core.errors import DomainError
from core.gc_tuning import tune_gc
from core.sync import run
from plans.drills.cli import drill_app
from realtime.cli_volunteer import volunteer as volunteer_client

app = typer.Typer(help="Huzhu 互助 — community charity emergency response.", no_args_is_help=True)
db_app = typer.Typer(help="Database: migrations, backup, restore.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)
areas_app = typer.Typer(help="Areas of the five-level hierarchy.", no_args_is_help=True)
depots_app = typer.Typer(help="Depots: warehouses, charity sites, shelters.", no_args_is_help=True)
households_app = typer.Typer(help="Households and their members.", no_args_is_help=True)
volunteers_app = typer.Typer(help="The volunteer roster.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(areas_app, name="areas")
app.add_typer(depots_app, name="depots")
app.add_typer(plan_app, name="plan")
app.add_typer(households_app, name="households")
app.add_typer(volunteers_app, name="volunteers")
app.add_typer(stock_app, name="stock")
app.add_typer(drill_app, name="drill")
app.command("volunteer")(volunteer_client)  # the volunteer's terminal client

console = Console()
err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _database() -> Database:
    settings = get_settings()
    return Database.configured(settings)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _print_domain_error(exc: DomainError) -> None:
    err.print(f"[red]{exc.title}:[/red] {exc.detail}")
    for e in exc.errors:
        err.print(f"  {'.'.join(str(p) for p in e.loc)}: {e.msg}")


@app.command()
def serve() -> None:
    """Serve the app (HUZHU_HOST, HUZHU_PORT, HUZHU_WORKERS)."""
    import uvicorn

    from core.logs import configure

    settings = get_settings()
    if settings.is_sqlite and settings.workers > 1:
        raise _fail("SQLite mode runs one worker; set HUZHU_DATABASE_URL to PostgreSQL for more")
    configure(json_lines=settings.log_json, level=settings.log_level)
    console.print(f"Huzhu serving on http://{settings.host}:{settings.port}  (API docs: /docs)")
    uvicorn.run(
        "core.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        ws_per_message_deflate=settings.ws_deflate,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head), then sync the item catalogue."""

    async def go() -> tuple[str | None, int]:
        from core.registry.items.catalogue import sync_catalogue

        db = _database()
        try:
            await migrate.upgrade(db, revision)
            current = await migrate.current_revision(db)
            if current != migrate.head_revision():
                return current, 0
            async with db.transaction() as session:
                return current, await sync_catalogue(session=session)
        finally:
            await db.dispose()

    current, items = run(go())
    console.print(
        f"database at revision {current}; item catalogue: {items} item(s) added or updated"
    )


@db_app.command("backup")
def db_backup(dest: Path, overwrite: bool = False) -> None:
    """Consistent online backup of the SQLite database to DEST."""
    from core.backup import backup_sqlite

    src = get_settings().sqlite_path()
    if src is None:
        raise _fail("backup/restore handle the SQLite file; use pg_dump for PostgreSQL")
    try:
        backup_sqlite(src, dest, overwrite=overwrite)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"backed up {src} → {dest}")


@db_app.command("restore")
def db_restore(backup: Path) -> None:
    """Restore the SQLite database from BACKUP (stop the app first). Sets a new epoch."""
    from core.backup import restore_sqlite

    dest = get_settings().sqlite_path()
    if dest is None:
        raise _fail("backup/restore handle the SQLite file; use pg_restore for PostgreSQL")
    try:
        epoch = restore_sqlite(backup, dest)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"restored {backup} → {dest}; new event epoch {epoch}")


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, coordinator, grid_worker, volunteer, …")],
    area: Annotated[str | None, typer.Option(help="12-digit area code of the scope")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: Annotated[
        str | None, typer.Option(help="Password for logging in on the pages", hide_input=True)
    ] = None,
    ttl_hours: Annotated[int | None, typer.Option(help="Token lifetime")] = None,
    grid: Annotated[
        list[str] | None, typer.Option(help="Grid code in --area (grid workers; repeatable)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a user and print a bearer token for them (shown once)."""
    ttl = timedelta(hours=ttl_hours or get_settings().token_ttl_hours)

    async def go() -> auth_service.IssuedToken:
        db = _database()
        try:
            async with db.transaction() as session:
                user = await auth_service.create_user(
                    session=session,
                    username=username,
                    display_name=name or username,
                    role=role,
                    area_code=area,
                    password=password,
                    grid_codes=grid or (),
                )
                return await auth_service.issue_token(
                    session=session, user=user, ttl=ttl, label="cli"
                )
        finally:
            await db.dispose()

    try:
        issued = run(go())
    except DomainError as exc:
        _print_domain_error(exc)
        raise typer.Exit(code=1) from exc
    if as_json:
        print(
            json.dumps(
                {
                    "user_id": str(issued.user_id),
                    "token": issued.token,
                    "expires_at": issued.expires_at.isoformat(),
                }
            )
        )
    else:
        console.print(f"created {username} ({role.value}); token (shown once):\n{issued.token}")


@user_app.command("list")
def user_list(as_json: JsonFlag = False) -> None:
    """List users."""

    async def go() -> list[User]:
        db = _database()
        try:
            async with db.reader() as session:
                return list((await session.scalars(select(User).order_by(User.username))).all())
        finally:
            await db.dispose()

    users = run(go())
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": str(u.id),
                        "username": u.username,
                        "role": u.role,
                        "scope_path": u.scope_path,
                        "disabled": u.disabled_at is not None,
                    }
                    for u in users
                ]
            )
        )
        return
    table = Table("username", "name", "role", "scope", "disabled")
    for u in users:
        table.add_row(
            u.username,
            u.display_name,
            u.role,
            u.scope_path or "(all)",
            "yes" if u.disabled_at else "",
        )
    console.print(table)


@user_app.command("revoke")
def user_revoke(
    username: str,
    disable: Annotated[bool, typer.Option(help="Also disable the user")] = False,
) -> None:
    """Revoke every token of USERNAME (refused from their next request on)."""

    async def go() -> int | None:
        db = _database()
        try:
            async with db.transaction() as session:
                user = await session.scalar(select(User).where(User.username == username))
                if user is None:
                    return None
                return await auth_service.revoke_user(
                    session=session, user_id=user.id, disable=disable
                )
        finally:
            await db.dispose()

    count = run(go())
    if count is None:
        raise _fail(f"no user {username}")
    console.print(
        f"revoked {count} token(s) of {username}" + (" and disabled the user" if disable else "")
    )


@user_app.command("token")
def user_token(username: str, ttl_hours: int | None = None) -> None:
    """Issue a new token for USERNAME."""
    ttl = timedelta(hours=ttl_hours or get_settings().token_ttl_hours)

    async def go() -> str | None:
        db = _database()
        try:
            async with db.transaction() as session:
                user = await session.scalar(select(User).where(User.username == username))
                if user is None or user.disabled_at is not None:
                    return None
                return (
                    await auth_service.issue_token(session=session, user=user, ttl=ttl, label="cli")
                ).token
        finally:
            await db.dispose()

    token = run(go())
    if token is None:
        raise _fail(f"no active user {username}")
    print(token)


@areas_app.command("import")
def areas_import(file: Path, as_json: JsonFlag = False) -> None:
    """Import areas from a GeoJSON or GeoPackage FILE: all rows or none."""
    from maps.areas_io import import_areas_file

    async def go():  # type: ignore[no-untyped-def]
        db = _database()
        try:
            async with db.transaction() as session:
                return await import_areas_file(session=session, principal_or_none=None, path=file)
        finally:
            await db.dispose()

    try:
        result = run(go())
    except DomainError as exc:
        _print_domain_error(exc)
        raise typer.Exit(code=1) from exc
    if as_json:
        print(json.dumps({"created": result.created, "codes": result.codes}))
    else:
        console.print(f"imported {result.created} area(s) from {file}")


CrsOption = Annotated[str, typer.Option(help="Coordinates in the file: wgs84 or gcj02")]


def _run_import(importer, file: Path, crs: str, as_json: bool, noun: str) -> None:  # type: ignore[no-untyped-def]
    """Run a domain's file import as the system, all rows or none; print what it wrote."""

    async def go():  # type: ignore[no-untyped-def]
        db = _database()
        try:
            async with db.transaction() as session:
                return await importer(session=session, principal_or_none=None, path=file, crs=crs)
        finally:
            await db.dispose()

    try:
        result = run(go())
    except DomainError as exc:
        _print_domain_error(exc)
        raise typer.Exit(code=1) from exc
    if as_json:
        print(json.dumps({"created": result.created}))
    else:
        console.print(f"imported {result.created} {noun} from {file}")


@depots_app.command("import")
def depots_import(file: Path, crs: CrsOption = "wgs84", as_json: JsonFlag = False) -> None:
    """Import depots from a CSV, GeoJSON or GeoPackage FILE: all rows or none."""
    from maps.depots_io import import_depots_file

    _run_import(import_depots_file, file, crs, as_json, "depot(s)")


@households_app.command("import")
def households_import(file: Path, crs: CrsOption = "wgs84", as_json: JsonFlag = False) -> None:
    """Import households from FILE, one row per person grouped by household_code."""
    from maps.households_io import import_households_file

    _run_import(import_households_file, file, crs, as_json, "household(s)")


@volunteers_app.command("import")
def volunteers_import(file: Path, crs: CrsOption = "wgs84", as_json: JsonFlag = False) -> None:
    """Import volunteers from a CSV, GeoJSON or GeoPackage FILE: all rows or none."""
    from maps.volunteers_io import import_volunteers_file

    _run_import(import_volunteers_file, file, crs, as_json, "volunteer(s)")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Same seed, same people, places and roster")] = 1,
    households: Annotated[int, typer.Option(min=1, help="Households in the demo county")] = 3000,
    volunteers: Annotated[int, typer.Option(min=1, help="Volunteers on the roster")] = 300,
) -> None:
    """Load the demo dataset into an empty database; print fresh login tokens every time."""
    from core.demo.accounts import DEMO_PASSWORD
    from core.demo.load import load_demo
    from plans.demo import load_demo_plans

    settings = get_settings()

    async def go():  # type: ignore[no-untyped-def]
        db = _database()
        try:
            return await load_demo(
                db,
                seed=seed,
                households=households,
                volunteers=volunteers,
                token_ttl=timedelta(hours=settings.token_ttl_hours),
                extra_loaders={"plans": load_demo_plans},
            )
        finally:
            await db.dispose()

    report = run(go())
    if report.loaded:
        loaded = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        console.print(f"loaded the demo (seed {seed}): {loaded}")
    console.print(f"Demo logins — password for every account: {DEMO_PASSWORD}")
    for login in report.logins:
        area = login.area_code or "all areas"
        console.print(f"  {login.username:<11} {login.role.value:<18} {area:<13}", end="")
        print(f" Authorization: Bearer {login.token}", flush=True)


def main() -> None:
    tune_gc(get_settings())
    app()

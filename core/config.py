"""Settings: every ``HUZHU_*`` environment variable, in one pydantic-settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Runtime configuration. The README's table is checked against these fields."""

    model_config = SettingsConfigDict(env_prefix="HUZHU_", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///data/huzhu.db",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+asyncpg://… (PostGIS).",
    )
    redis_url: str | None = Field(
        None,
        description="redis://… for the Redis Streams broker (checked by /healthz); unset: none.",
    )
    host: str = Field("127.0.0.1", description="Address `huzhu serve` binds to.")
    port: int = Field(8000, description="Port `huzhu serve` listens on.")
    workers: int = Field(1, ge=1, description="App worker processes (SQLite allows only 1).")
    log_json: bool = Field(False, description="Log one JSON object per line instead of text.")
    log_level: str = Field("INFO", description="Logging level.")
    max_request_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest request body accepted (uploads included)."
    )
    token_ttl_hours: int = Field(24 * 30, ge=1, description="Lifetime of a bearer token.")
    invite_ttl_hours: int = Field(72, ge=1, description="Lifetime of a one-time invite code.")
    timer_poll_seconds: float = Field(1.0, gt=0, description="How often a worker fires due timers.")
    reservation_hold_minutes: int = Field(
        120, ge=1, description="How long stock stays reserved for a need still open and unassigned."
    )
    sqlite_busy_timeout_ms: int = Field(5000, ge=0, description="SQLite busy timeout for writers.")
    sqlite_cache_mb: int = Field(
        64, ge=1, description="SQLite page cache per connection, in MiB (filled as pages are read)."
    )
    gc_young_threshold: int = Field(
        50_000,
        ge=0,
        description="New objects between two collections of Python's youngest generation "
        "(0: CPython's 700); see core/gc_tuning.py.",
    )
    match_interval_seconds: float = Field(
        1.0, gt=0, description="How often a worker's matching loop solves a batch per incident."
    )
    match_budget_seconds: float = Field(
        1.0, ge=0, description="Time budget of one solve; past it the greedy plan is used (logged)."
    )
    match_solver_processes: int = Field(
        2,
        ge=1,
        description="Solver processes per app worker; a large batch solves its items' stock "
        "flows side by side in them.",
    )
    match_postgis_max_points: int = Field(
        1000,
        ge=0,
        description="PostgreSQL: candidate searches of at most this many points run in PostGIS; "
        "larger ones search the cached in-process tree.",
    )
    stream_maxlen: int = Field(
        100_000, ge=100, description="Redis: events stream trimmed to about this many batches."
    )
    offer_seconds: int = Field(
        90,
        ge=1,
        description="How long a volunteer has to accept an offer (a live drill divides "
        "it by its speed-up).",
    )
    position_min_seconds: float = Field(
        5.0,
        ge=0,
        description="A volunteer's position pings closer together than this are not stored.",
    )
    resume_max_events: int = Field(
        2000, ge=1, description="A socket that missed more events than this reloads its state."
    )
    ws_heartbeat_seconds: float = Field(
        20.0, gt=0, description="A socket silent this long gets a heartbeat from the server."
    )
    ws_idle_seconds: float = Field(
        60.0, gt=0, description="A socket whose client sent nothing this long is closed."
    )
    ws_deflate: bool = Field(
        False, description="permessage-deflate on WebSockets (off: it halved throughput)."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL used in one-time links sent to people."
    )
    map_tile_url: str = Field(
        "",
        description="Raster tiles under the coordinators' map ({z}/{x}/{y} URL); empty: none.",
    )
    test_database_url: str | None = Field(
        None, description="Tests only: PostgreSQL+PostGIS database the suite may wipe."
    )
    test_drill_database_url: str | None = Field(
        None, description="Tests only: a second PostGIS database a drill test may wipe."
    )
    test_redis_url: str | None = Field(None, description="Tests only: Redis the suite may use.")
    bench_database_url: str | None = Field(
        None, description="Benchmarks only: PostgreSQL+PostGIS database `make bench` may wipe."
    )
    bench_redis_url: str | None = Field(
        None, description="Benchmarks only: Redis database `bench/dispatch.py` may flush."
    )
    require_services: bool = Field(
        False, description="Tests only: fail instead of skipping when a service is missing."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file path, or None for PostgreSQL or an in-memory database."""
        if not self.is_sqlite:
            return None
        _, _, path = self.database_url.partition(":///")
        return Path(path) if path and path != ":memory:" else None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

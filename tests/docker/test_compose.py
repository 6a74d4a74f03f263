"""docker/compose.yaml and docker/Dockerfile agree with the settings and the CLI.

Docker itself is not needed: the files are parsed and checked against
:class:`core.config.Settings`, so a renamed or misspelt ``HUZHU_*`` variable
(which pydantic-settings would silently ignore) fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from core.config import Settings

DOCKER = Path(__file__).resolve().parents[2] / "docker"
COMPOSE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"

_NAME = re.compile(r"^(HUZHU_[A-Z0-9_]+)(=.*)?$", re.DOTALL)


def settings_env_names() -> set[str]:
    """The environment variable of every settings field."""
    return {f"HUZHU_{name.upper()}" for name in Settings.model_fields}


def huzhu_names(node: Any) -> Iterator[str]:
    """Every ``HUZHU_*`` variable set anywhere: mapping keys and ``NAME=value`` list items."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and (m := _NAME.match(key)):
                yield m.group(1)
            yield from huzhu_names(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str) and (m := _NAME.match(item)):
                yield m.group(1)
            else:
                yield from huzhu_names(item)


def unknown_huzhu_names(doc: Any) -> list[str]:
    """The ``HUZHU_*`` names in ``doc`` that are not settings fields, sorted."""
    return sorted(set(huzhu_names(doc)) - settings_env_names())


def service_env(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, from either the list or the mapping form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.partition("=") for item in env)
        return {name: value for name, _, value in pairs}
    return {k: "" if v is None else str(v) for k, v in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_huzhu_variable_in_compose_is_a_settings_field(compose: dict[str, Any]) -> None:
    names = set(huzhu_names(compose))
    assert {"HUZHU_DATABASE_URL", "HUZHU_REDIS_URL", "HUZHU_WORKERS"} <= names
    assert unknown_huzhu_names(compose) == []


def test_an_unknown_variable_is_caught_in_either_form() -> None:
    doc = {
        "x-env": {"HUZHU_NOPE": 1},
        "services": {
            "a": {"environment": {"HUZHU_WORKERS": "2", "HUZHU_WORKER": "2"}},
            "b": {"environment": ["HUZHU_DATABSE_URL=sqlite://", "HUZHU_PORT=1", "OTHER=1"]},
            "c": {"environment": ["HUZHU_LOG_JSON", "HUZHU_LOG_LEVLE"]},
        },
    }
    assert unknown_huzhu_names(doc) == [
        "HUZHU_DATABSE_URL",
        "HUZHU_LOG_LEVLE",
        "HUZHU_NOPE",
        "HUZHU_WORKER",
    ]
    assert unknown_huzhu_names({"services": {"a": {"environment": ["HUZHU_PORT=1"]}}}) == []


def test_app_runs_several_workers_on_postgis_and_redis(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = service_env(compose["services"]["app"])
    assert int(env["HUZHU_WORKERS"]) >= 2
    assert env["HUZHU_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["HUZHU_REDIS_URL"].startswith("redis://")
    # The values also parse as settings (types and bounds), as the app will read them.
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.workers >= 2
    assert not settings.is_sqlite
    assert settings.host == "0.0.0.0"
    assert settings.port == 8000
    assert "8000:8000" in compose["services"]["app"]["ports"]


def test_services_point_at_each_other(compose: dict[str, Any]) -> None:
    services = compose["services"]
    app_env = service_env(services["app"])
    migrate_env = service_env(services["migrate"])
    assert migrate_env["HUZHU_DATABASE_URL"] == app_env["HUZHU_DATABASE_URL"]

    url = make_url(app_env["HUZHU_DATABASE_URL"])
    db_env = service_env(services["db"])
    assert services["db"]["image"].startswith("postgis/postgis:15")
    assert (url.host, url.port) == ("db", 5432)
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"]
    assert url.database == db_env["POSTGRES_DB"]
    assert make_url(app_env["HUZHU_REDIS_URL"]).host in services

    assert services["migrate"]["command"] == ["huzhu", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "redis" in services["app"]["depends_on"]
    assert "/healthz" in json.dumps(services["app"]["healthcheck"]["test"])
    for name in ("migrate", "app"):
        build = services[name]["build"]
        context = (COMPOSE.parent / build["context"]).resolve()
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE
        assert (context / "pyproject.toml").is_file()


def test_dockerfile_runs_huzhu_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    cmd = [json.loads(args) for word, args in instructions if word == "CMD"][-1]
    assert cmd[0] == "huzhu"
    assert cmd == ["huzhu", "serve"]
    assert not any(word == "ENTRYPOINT" for word, _ in instructions)
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [args for word, args in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("EXPOSE", "8000") in instructions
    env_names = [
        m.group(1)
        for word, args in instructions
        if word == "ENV"
        for m in re.finditer(r"(HUZHU_[A-Z0-9_]+)=", args)
    ]
    assert env_names
    assert sorted(set(env_names) - settings_env_names()) == []


def test_dockerfile_copies_only_paths_that_exist() -> None:
    root = DOCKERFILE.parents[1]
    for word, args in dockerfile_instructions():
        if word == "COPY" and not args.startswith("--"):
            *sources, _dest = args.split()
            for source in sources:
                assert (root / source).exists(), f"COPY {source}: not in the build context"

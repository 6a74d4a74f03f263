"""HTTP helpers of the plan routes: YAML request bodies and YAML responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic_core import to_jsonable_python

from plans.documents import from_yaml, to_yaml

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
YAML_MEDIA = "application/yaml"
FormatQuery = Literal["json", "yaml"]


class YamlBodyRoute(APIRoute):
    """A route that also accepts its JSON body written as YAML.

    A request with ``Content-Type: application/yaml`` (or ``text/yaml``) is parsed with
    the safe loader and handed on as the equivalent JSON, so the route's body model and
    its error locations (``["body", …]``) are the same for both.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media in YAML_TYPES:
                request = await _as_json(request)
            return await handler(request)

        return route


async def _as_json(request: Request) -> Request:
    data = from_yaml(await request.body(), loc=("body",))
    body = json.dumps(to_jsonable_python(data), ensure_ascii=False).encode()
    headers = [
        (k, v) for k, v in request.scope["headers"] if k not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({**request.scope, "headers": headers}, receive)


def yaml_response(data: Any, *, header: str = "", status_code: int = 200) -> Response:
    """``data`` as a YAML document (UTF-8), with ``header`` as leading comments."""
    text = to_yaml(data, header=header)
    return Response(text, status_code=status_code, media_type=f"{YAML_MEDIA}; charset=utf-8")

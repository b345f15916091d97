"""Strict JSON request bodies: UTF-8 only, no duplicate keys or NULs, bounded nesting.

Python's ``json`` quietly keeps the last of two equal keys and recurses until the
interpreter gives up; a request body gets a 400 problem for either instead.
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise json.JSONDecodeError(f"duplicate key {key!r}", "", 0)
        result[key] = value
    return result


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None
            if "\\u0000" in text:  # PostgreSQL cannot store NUL characters
                raise json.JSONDecodeError("NUL characters (\\u0000) are not accepted", "", 0)
            try:
                self._json = json.loads(text, object_pairs_hook=_no_duplicate_keys)
            except RecursionError:
                raise json.JSONDecodeError("nested too deeply", "", 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is parsed by ``StrictJSONRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict

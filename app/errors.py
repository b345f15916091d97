"""One error hierarchy, rendered by one handler as RFC 9457 problem details."""

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:sitrep:problem:"

logger = logging.getLogger("sitrep")


class AppError(Exception):
    """An error a client can act on; ``slug`` names its problem type."""

    status = 500
    title = "Internal server error"
    slug = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions


class BadRequest(AppError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="sitrep"'})
        super().__init__(detail, **kwargs)


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(AppError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(AppError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class ValidationFailed(AppError):
    status, title, slug = 422, "Validation failed", "validation-error"


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service unavailable", "unavailable"


def problem_response(error: AppError) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail or error.title,
    }
    if error.errors is not None:
        body["errors"] = error.errors
    body.update(error.extensions)
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


def field_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors reduced to ``{loc, msg}``, with no echo of the input."""
    errors = []
    for err in raw:
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid" and (err.get("ctx") or {}).get("error"):
            msg = f"{msg}: {err['ctx']['error']}"  # why the JSON was refused
        errors.append({"loc": list(err.get("loc", ())), "msg": msg})
    return errors


def _describe(errors: list[dict[str, Any]]) -> str:
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def invalid_input(raw: list[Any], loc: list[str]) -> ValidationFailed:
    """A 422 for pydantic's errors on input validated outside FastAPI, located under
    ``loc`` (e.g. ``["query"]``)."""
    errors = [{**e, "loc": [*loc, *e["loc"]]} for e in field_errors(raw)]
    return ValidationFailed(_describe(errors), errors=errors)


async def _on_app_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem_response(BadRequest("The body is not valid JSON.", errors=field_errors(raw)))
    errors = field_errors(raw)
    return problem_response(ValidationFailed(_describe(errors), errors=errors))


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = AppError(str(exc.detail), headers=dict(exc.headers or {}))
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        error.detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
        error.headers["Allow"] = ", ".join(allowed)
    error.status, error.title = exc.status_code, _TITLES.get(exc.status_code, "Error")
    error.slug = error.title.lower().replace(" ", "-")
    return problem_response(error)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path takes. Starlette's 405 names only those of the first route
    with the path, and FastAPI makes a route per method: ``Allow: POST`` for the events.
    HEAD goes wherever GET does (``app.middleware.HeadAsGet``)."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": "GET" if method == "HEAD" else method})[0]
            == Match.FULL
            for route in request.app.routes
        )
    ]


class InsufficientStorage(AppError):
    status, title, slug = 507, "Insufficient storage", "insufficient-storage"


# What the database said, in its words, and what a client is told instead.
_STORAGE_FAULTS = ("disk is full", "no space left", "could not extend file")
_READ_ONLY_FAULTS = ("readonly database", "read-only transaction", "read-only file system")


async def _on_database_error(_request: Request, exc: Exception) -> Response:
    said = str(getattr(exc, "orig", exc)).lower()
    logger.error("database error: %s: %s", type(exc).__name__, said.splitlines()[0][:200])
    if any(fault in said for fault in _STORAGE_FAULTS):
        error: AppError = InsufficientStorage(
            "The database has run out of space; nothing was written."
        )
    elif any(fault in said for fault in _READ_ONLY_FAULTS):
        error = ServiceUnavailable(
            "The database is read-only; nothing was written.", headers={"Retry-After": "60"}
        )
    else:
        error = ServiceUnavailable(
            "The database is unavailable; retry shortly.", headers={"Retry-After": "5"}
        )
    return problem_response(error)


async def _on_unexpected(_request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(AppError("An unexpected error occurred."))


_TITLES = {404: "Not found", 405: "Method not allowed", 406: "Not acceptable"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OperationalError, _on_database_error)
    app.add_exception_handler(InterfaceError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)

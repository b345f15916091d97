"""Request ids, structured JSON logs and Prometheus metrics.

Every response carries ``X-Request-ID`` (the client's, when it sent a sane one, else a new
one), and every request is logged as one JSON line with that id. Metrics count requests
and time them by route template (not raw path, to keep label sets small). With several
worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` (``sitrep serve`` does) so that
``/metrics`` adds up all workers.
"""

import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter("sitrep_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "sitrep_request_duration_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
access_log = logging.getLogger("sitrep.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line.

    Written for every request, so kept cheap: orjson, and the timestamp's text made once per
    second (stdlib ``json`` and ``strftime`` on every line cost 2% of a page read's
    instructions).
    """

    _stamp: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        second, stamp = self._stamp
        if int(record.created) != second:
            stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            self._stamp = (int(record.created), stamp)
        entry: dict[str, Any] = {
            "time": stamp,
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": request_id.get(),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (it may be redirected later)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging() -> None:
    """Sitrep's loggers write JSON lines to stderr."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sitrep")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # What our lines leave out, each record need not look up (the logging HOWTO's
    # "Optimization"): where the call was made, the thread, the process.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


class RequestObservation:
    """ASGI middleware: request id, one access-log line and metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ["-"])[0],
                    }
                },
            )
            request_id.reset(token)


router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Request counts and latency by route and status, and the database pool."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    pool = request.app.state.engine.pool
    body = generate_latest(registry)
    if hasattr(pool, "checkedout"):
        body += (
            f"# HELP sitrep_db_pool_checked_out Connections in use in this process\n"
            f"# TYPE sitrep_db_pool_checked_out gauge\n"
            f"sitrep_db_pool_checked_out {pool.checkedout()}\n"
        ).encode()
    return Response(body, media_type=CONTENT_TYPE_LATEST)

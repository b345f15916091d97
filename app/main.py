"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from app import collector, observability
from app.config import Settings, get_settings
from app.db import (
    close_engine,
    create_db_engine,
    create_loop_engine,
    make_read_session_factory,
    make_session_factory,
)
from app.deps import check_request_params
from app.errors import install_error_handlers
from app.explorer.page import mount_explorer
from app.geo.gazetteer import Gazetteer
from app.group_commit import GroupCommit
from app.middleware import BodySizeLimit, HeadAsGet, SecurityHeaders
from app.observability import RequestObservation
from app.ratelimit import RateLimit
from app.routers import events, extract, health, keys, places, stats
from app.services.answers import Answers

DESCRIPTION = """
Conflict-event records — strikes, shelling, drone and missile attacks, battles, attacks on
civilians — with their places, actors, casualty claims (and who made each), munitions, damage
and sources. Every edit keeps its history.

* Reads are public unless the server is configured otherwise; writes need an API key
  (`Authorization: Bearer <key>` or `X-API-Key: <key>`) with the `write` scope.
* Errors are RFC 9457 problem details (`application/problem+json`); validation errors list
  each bad field in `errors` as `{loc, msg}`.
* Lists are paged by opaque keyset cursors: follow `next_cursor` or the `Link: rel="next"` header.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """When the server stops, close the database connections (``close_engine``): a worker
    process otherwise leaves SQLite's write-ahead log for the next server to read through
    at its first query."""
    yield
    close_engines(app)


def create_app(settings: Settings | None = None, *, checkpoint_apart: bool = False) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment); ``checkpoint_apart``
    as ``app.db.create_db_engine`` takes it."""
    settings = settings or get_settings()
    observability.configure_logging()
    app = FastAPIOffline(
        title="Sitrep",
        version="1.0.0",
        description=DESCRIPTION,
        dependencies=[Depends(check_request_params)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = create_db_engine(settings.database_url, checkpoint_apart=checkpoint_apart)
    app.state.loop_engine = create_loop_engine(app.state.engine)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.read_session_factory = make_read_session_factory(app.state.engine)
    app.state.group_commit = GroupCommit(app.state.session_factory)
    app.state.gazetteer = Gazetteer(settings.gazetteer_path)
    app.state.stats_answers = Answers(size=256)
    install_error_handlers(app)
    app.include_router(events.router)
    app.include_router(stats.router)
    app.include_router(extract.router)
    app.include_router(places.router)
    app.include_router(keys.router)
    app.include_router(health.router)
    app.include_router(observability.router)
    mount_explorer(app)
    # Listed innermost first: security headers wrap everything, CORS wraps the limits.
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimit,
        anonymous=settings.rate_limit_anon,
        keyed=settings.rate_limit_key,
        redis_url=settings.redis_url,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["*"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestObservation)
    return app


def close_engines(app: FastAPI) -> None:
    """Close the app's database engines (``app.db.close_engine``)."""
    if app.state.loop_engine is not app.state.engine:
        app.state.loop_engine.dispose()
    close_engine(app.state.engine)


def serve_app() -> FastAPI:
    """The app as ``sitrep serve`` runs it in each worker process.

    After startup the garbage collector stops scanning what startup built
    (``app.collector``): those objects made every full collection a pause of tens of
    milliseconds, which set the tail latency of every endpoint (GET by id p99 70-106 ms
    before, 16-29 ms after, docs/performance-log.md).
    """
    app = create_app(checkpoint_apart=True)
    collector.settle()
    return app

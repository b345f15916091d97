"""Fixtures: every database test runs on SQLite and on PostgreSQL, through HTTP.

PostgreSQL comes from ``SITREP_TEST_POSTGRES_URL``; the tests own that database and
reset its ``public`` schema. Without the variable those tests are skipped, saying why;
under CI (``CI=true``) a missing or unreachable server fails the run instead.
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text

from app import migrate
from app.auth import Scope
from app.config import Settings
from app.db import create_db_engine, make_session_factory, transaction
from app.main import close_engines, create_app
from app.models import Base
from app.models.event import EVENT_INDEXES
from app.services import keys

POSTGRES_ENV = "SITREP_TEST_POSTGRES_URL"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI runs every test)")
    pytest.skip(reason)


def postgres_url() -> str:
    """The test PostgreSQL URL, or skip (fail under CI) with the reason."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        unavailable(f"PostgreSQL tests skipped: {POSTGRES_ENV} is not set")
        raise AssertionError("unreachable")
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        unavailable(f"PostgreSQL tests skipped: cannot connect to {POSTGRES_ENV}: {exc}")
    finally:
        engine.dispose()
    return url


def reset_postgres_schema(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


EVENT_INDEX_NAMES = {index.name for index in EVENT_INDEXES}


def event_indexes(url: str) -> set[str]:
    """The names of the indexes the database holds on ``events`` (not the inspector's list:
    on SQLite it leaves out indexes on expressions)."""
    engine = create_db_engine(url)
    sql = (
        "SELECT indexname FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = 'events'"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"
    )
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(sql)).scalars())
    finally:
        engine.dispose()


def every_page(client: TestClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of every page of ``GET /v1/events``, following ``next_cursor`` from the
    first."""
    params, items = dict(params), []
    while True:
        body = client.get("/v1/events", params=params).json()
        items += body["items"]
        if not body["next_cursor"]:
            return items
        params["cursor"] = body["next_cursor"]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head by the real migrations, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'sitrep.db'}"
    else:
        url = postgres_url()
        reset_postgres_schema(url)
    migrate.upgrade(url)
    return url


def empty_tables(url: str) -> None:
    """Delete every row, children first."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
    engine.dispose()


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(database_url: str) -> Iterator[ClientFactory]:
    """Build a client for an app with settings overridden; tables are emptied afterwards."""
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        settings = Settings(**{"database_url": database_url, **overrides})
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        close_engines(client.app)  # type: ignore[arg-type]
    empty_tables(database_url)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


KeyFactory = Callable[..., dict[str, str]]


@pytest.fixture
def make_key(database_url: str, client: TestClient) -> KeyFactory:
    """Create an API key and return the headers that present it."""

    def factory(name: str = "newsdesk", scopes: str = "write", **kwargs: Any) -> dict[str, str]:
        engine = create_db_engine(database_url)
        with transaction(make_session_factory(engine), write=True) as session:
            _, secret = keys.create(
                session, name=name, scopes={Scope(s) for s in scopes.split(",")}, **kwargs
            )
        engine.dispose()
        return {"Authorization": f"Bearer {secret}"}

    return factory


@pytest.fixture
def writer(make_key: KeyFactory) -> dict[str, str]:
    return make_key("newsdesk", "write")


@pytest.fixture
def admin(make_key: KeyFactory) -> dict[str, str]:
    return make_key("editor-in-chief", "admin")


@pytest.fixture
def reader(make_key: KeyFactory) -> dict[str, str]:
    return make_key("researcher", "read")

"""The migrations run up to head and back down to base on both databases."""

import os
from collections.abc import Iterator

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app import migrate
from app.auth import Scope
from app.config import Settings
from app.db import create_db_engine, make_session_factory, transaction
from app.main import close_engines, create_app
from app.services import keys
from tests.conftest import EVENT_INDEX_NAMES, event_indexes, postgres_url
from tests.factories import wire_report_night

SCHEMA = "sitrep_migration_test"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    url = postgres_url()
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_to_head_then_downgrade_to_base(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert {"events", "revisions", "actors", "api_keys", "idempotency_records"} <= _tables(
        empty_database
    )

    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) == set()

    migrate.upgrade(empty_database)
    assert "events" in _tables(empty_database)


def test_the_migrations_build_exactly_the_models_event_indexes(empty_database: str) -> None:
    command.upgrade(migrate.alembic_config(empty_database), "head")  # migrations alone

    # The others back the primary key and the unique external id.
    built = event_indexes(empty_database)
    assert {name for name in built if name.startswith("ix_")} == EVENT_INDEX_NAMES


def _with_night_events(url: str) -> TestClient:
    """A client on the database at head, holding the wire report's events."""
    migrate.upgrade(url)
    client = TestClient(create_app(Settings(database_url=url)))
    engine = create_db_engine(url)
    with transaction(make_session_factory(engine), write=True) as session:
        _, secret = keys.create(session, name="migrator", scopes={Scope.WRITE})
    engine.dispose()
    for night_event in wire_report_night():
        response = client.post(
            "/v1/events", json=night_event, headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 201, response.text
    return client


def test_0002_writes_the_csv_line_of_events_stored_before_it(empty_database: str) -> None:
    client = _with_night_events(empty_database)
    before = client.get("/v1/events?format=csv").text

    migrate.downgrade(empty_database, "0001")
    migrate.upgrade(empty_database)

    assert client.get("/v1/events?format=csv").text == before
    assert len(before.splitlines()) == 1 + len(wire_report_night())
    close_engines(client.app)  # type: ignore[arg-type]


def test_0004_sums_the_events_stored_before_it(empty_database: str) -> None:
    client = _with_night_events(empty_database)
    query = "/v1/stats?interval=week&group_by=country,admin1"
    before = client.get(query).json()

    migrate.downgrade(empty_database, "0003")
    migrate.upgrade(empty_database)

    assert client.get(query).json() == before
    assert sum(bucket["events"] for bucket in before["buckets"]) == len(wire_report_night())
    close_engines(client.app)  # type: ignore[arg-type]


def _items(url: str, table: str) -> dict[str, list[dict[str, object]]]:
    """Each event's rows of ``table`` in order, as the document's items."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY event_id, position"))
            items: dict[str, list[dict[str, object]]] = {}
            for row in rows.mappings():
                item = {k: v for k, v in row.items() if k not in ("id", "event_id", "position")}
                items.setdefault(row["event_id"], []).append(item)
            return items
    finally:
        engine.dispose()


def test_0009_keeps_claims_and_munitions_in_the_documents_and_gives_them_back(
    empty_database: str,
) -> None:
    client = _with_night_events(empty_database)
    before = client.get("/v1/events?limit=100").json()["items"]
    assert "casualties" not in _tables(empty_database)
    assert "munitions" not in _tables(empty_database)

    migrate.downgrade(empty_database, "0008")
    for table in ("casualties", "munitions"):
        served = {e["id"]: e[table] for e in before if e[table]}
        assert served  # the night's reports hold both
        assert _items(empty_database, table) == served
    migrate.upgrade(empty_database)

    assert client.get("/v1/events?limit=100").json()["items"] == before
    close_engines(client.app)  # type: ignore[arg-type]

"""Reads served on the event loop, and those cut short there and answered from a thread
(``app.reads``)."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import reads
from app.db import create_db_engine
from tests.conftest import ClientFactory
from tests.factories import event_payload


def _cut_short(metrics: str) -> float:
    line = next(
        x for x in metrics.splitlines() if x.startswith("sitrep_loop_reads_cut_short_total")
    )
    return float(line.split()[-1])


@contextmanager
def _events_locked_for(seconds: float, database_url: str) -> Iterator[None]:
    """PostgreSQL: another transaction holds the events table, so a read waits on it past
    its statement timeout, until the lock is let go."""
    engine = create_db_engine(database_url)
    connection = engine.connect()
    connection.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    release = threading.Timer(seconds, connection.rollback)
    release.start()
    try:
        yield
    finally:
        release.join()
        connection.close()
        engine.dispose()


def test_a_read_that_outruns_its_budget_is_answered_from_a_thread(
    make_client: ClientFactory,
    writer: dict[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reads, "BUDGET_S", -1.0)  # every read on the loop is over budget
    monkeypatch.setattr(reads, "CHECK_EVERY_STEPS", 1)  # and SQLite finds out at once
    client = make_client()
    event_id = client.post("/v1/events", json=event_payload(), headers=writer).json()["id"]

    def held() -> AbstractContextManager[None]:
        if database_url.startswith("postgresql"):
            return _events_locked_for(0.3, database_url)
        return nullcontext()

    before = _cut_short(client.get("/metrics").text)
    with held():
        page = client.get("/v1/events")
    with held():
        one = client.get(f"/v1/events/{event_id}")
    after = _cut_short(client.get("/metrics").text)

    assert page.status_code == 200, page.text
    assert [e["id"] for e in page.json()["items"]] == [event_id]
    assert one.status_code == 200, one.text
    assert one.json()["id"] == event_id
    assert after == before + 2


def test_reads_within_their_budget_stay_on_the_loop(
    client: TestClient, writer: dict[str, str]
) -> None:
    event_id = client.post("/v1/events", json=event_payload(), headers=writer).json()["id"]
    before = _cut_short(client.get("/metrics").text)

    page = client.get("/v1/events")
    one = client.get(f"/v1/events/{event_id}")

    assert [e["id"] for e in page.json()["items"]] == [event_id]
    assert one.json()["id"] == event_id
    assert _cut_short(client.get("/metrics").text) == before

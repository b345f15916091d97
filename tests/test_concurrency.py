"""Concurrent clients against a real server with two worker processes, on both databases."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli import main
from tests.conftest import KeyFactory, every_page
from tests.factories import event_payload
from tests.servers import running_server


@pytest.fixture
def server(database_url: str, client: TestClient) -> Iterator[str]:
    with running_server("--workers", "2", SITREP_DATABASE_URL=database_url) as base:
        yield base


def _at_once(count: int, task: Callable[[int, threading.Barrier], Any]) -> list[Any]:
    """Run ``task(i, barrier)`` in ``count`` threads that start together."""
    barrier = threading.Barrier(count)
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda i: task(i, barrier), range(count)))


def test_eight_writers_posting_40_events_each_store_all_320_once(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    headers = make_key("desk", "write")

    def write(n: int, barrier: threading.Barrier) -> list[int]:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            barrier.wait()
            return [
                http.post("/v1/events", json=event_payload(external_id=f"w{n}-{i}")).status_code
                for i in range(40)
            ]

    statuses = [s for batch in _at_once(8, write) for s in batch]

    assert statuses == [201] * 320
    stored = client.get("/v1/events", params={"limit": 1000}).json()["items"]
    assert sorted(e["external_id"] for e in stored) == sorted(
        f"w{n}-{i}" for n in range(8) for i in range(40)
    )


def test_concurrent_posts_refused_beside_others_leave_exactly_the_others_stored(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    """Writes that wait together are committed together (``app.group_commit``); one that
    is refused must neither take the others down nor leave anything behind."""
    headers = make_key("desk", "write")
    taken = event_payload(external_id="taken")
    assert httpx.post(f"{server}/v1/events", json=taken, headers=headers).status_code == 201

    def write(n: int, barrier: threading.Barrier) -> list[int]:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            barrier.wait()
            statuses = []
            for i in range(12):
                one = event_payload(external_id="taken" if i % 3 == 0 else f"w{n}-{i}")
                statuses.append(http.post("/v1/events", json=one).status_code)
                batch = {"events": [event_payload(external_id=f"b{n}-{i}"), one]}
                statuses.append(http.post("/v1/events/batch", json=batch).status_code)
            return statuses

    statuses = _at_once(8, write)

    assert statuses == [[409, 409, 201, 409, 201, 409] * 4] * 8
    stored = [e["external_id"] for e in every_page(client, {"limit": 1000})]
    assert sorted(stored) == sorted(
        ["taken", *(f"w{n}-{i}" for n in range(8) for i in range(12) if i % 3)]
    )


def test_writers_posting_together_each_have_their_own_key_in_the_history(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    """POSTs waiting together are stored by one set of statements (``app.group_commit``);
    each event's revision still names the key that posted it."""
    keys = [make_key(f"desk-{n}", "write") for n in range(8)]

    def write(n: int, barrier: threading.Barrier) -> list[str]:
        with httpx.Client(base_url=server, headers=keys[n], timeout=60) as http:
            barrier.wait()
            return [http.post("/v1/events", json=event_payload()).json()["id"] for _ in range(20)]

    ids = _at_once(8, write)

    for n, posted in enumerate(ids):
        for event_id in posted:
            (revision,) = client.get(f"/v1/events/{event_id}/history").json()["items"]
            assert revision["key_name"] == f"desk-{n}"


def test_writers_racing_for_one_external_id_give_one_201_and_seven_409_naming_it(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    headers = make_key("desk", "write")

    def post(n: int, barrier: threading.Barrier) -> httpx.Response:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            barrier.wait()
            return http.post("/v1/events", json=event_payload(external_id="wire-1", title=f"{n}"))

    responses = _at_once(8, post)

    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    (created,) = (r.json() for r in responses if r.status_code == 201)
    assert {r.json()["existing_id"] for r in responses if r.status_code == 409} == {created["id"]}
    assert [e["id"] for e in every_page(client, {"limit": 1000})] == [created["id"]]


@pytest.mark.parametrize("revoked_by", ["api", "cli"])
def test_a_key_in_use_revoked_stops_working_at_once_in_every_worker(
    revoked_by: str, server: str, make_key: KeyFactory, admin: dict[str, str], database_url: str
) -> None:
    """Each process keeps the keys it has found (``app.services.keys``); a revocation, by
    any process, must still reach them all before its answer."""
    headers = make_key("desk", "write")

    def read(n: int, barrier: threading.Barrier) -> list[int]:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            barrier.wait()
            return [http.get("/v1/keys").status_code for _ in range(5)]

    # Sixteen connections at once land on both workers.
    assert {s for statuses in _at_once(16, read) for s in statuses} == {403}
    if revoked_by == "api":
        assert httpx.delete(f"{server}/v1/keys/desk", headers=admin).status_code == 204
    else:
        revoke = ["keys", "revoke", "desk"]
        result = CliRunner(env={"SITREP_DATABASE_URL": database_url}).invoke(main, revoke)
        assert result.exit_code == 0, result.output

    assert {s for statuses in _at_once(16, read) for s in statuses} == {401}


def test_racing_patches_with_one_etag_give_one_200_and_seven_412(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    headers = make_key("desk", "write")
    created = httpx.post(f"{server}/v1/events", json=event_payload(), headers=headers)
    url, etag = f"{server}/v1/events/{created.json()['id']}", created.headers["etag"]

    def patch(n: int, barrier: threading.Barrier) -> int:
        with httpx.Client(headers={**headers, "If-Match": etag}, timeout=60) as http:
            barrier.wait()
            return http.patch(url, json={"title": f"Version by writer {n}"}).status_code

    statuses = _at_once(8, patch)

    assert sorted(statuses) == [200] + [412] * 7
    event = httpx.get(url).json()
    assert event["version"] == 2
    assert len(httpx.get(f"{url}/history").json()["items"]) == 2


def test_concurrent_idempotent_replays_create_one_event(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    headers = {**make_key("desk", "write"), "Idempotency-Key": "wire-7781"}

    def post(_: int, barrier: threading.Barrier) -> tuple[int, str]:
        with httpx.Client(headers=headers, timeout=60) as http:
            barrier.wait()
            response = http.post(f"{server}/v1/events", json=event_payload())
            return response.status_code, response.json()["id"]

    results = _at_once(8, post)

    assert {status for status, _ in results} == {201}
    assert len({event_id for _, event_id in results}) == 1
    assert len(client.get("/v1/events").json()["items"]) == 1


def test_a_client_syncing_by_updated_since_during_concurrent_writes_misses_nothing(
    server: str, make_key: KeyFactory, client: TestClient
) -> None:
    """Each write's updated_at is taken in its turn to write, so times rise in commit order
    and a sync client that asks for what changed after the latest time it saw gets
    every event."""
    headers = make_key("desk", "write")
    writing = threading.Event()
    writing.set()
    seen: set[str] = set()

    def sync() -> None:
        since = "2000-01-01T00:00:00Z"
        with httpx.Client(base_url=server, timeout=60) as http:
            while True:
                last_round = not writing.is_set()
                params: dict[str, str | int] = {"updated_since": since, "limit": 1000}
                items = http.get("/v1/events", params=params).json()["items"]
                seen.update(e["external_id"] for e in items)
                since = max([since, *(e["updated_at"] for e in items)])
                if last_round:
                    return

    def write(n: int, barrier: threading.Barrier) -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            barrier.wait()
            for i in range(30):
                body = event_payload(external_id=f"w{n}-{i}")
                assert http.post("/v1/events", json=body).status_code == 201

    syncing = threading.Thread(target=sync)
    syncing.start()
    _at_once(6, write)
    writing.clear()
    syncing.join()

    assert seen == {f"w{n}-{i}" for n in range(6) for i in range(30)}

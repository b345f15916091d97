"""Faults: a database that goes away and comes back, processes killed mid-write."""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app import migrate
from app.auth import Scope
from app.config import Settings
from app.db import create_db_engine, make_session_factory, transaction
from app.main import create_app
from app.services import keys
from tests.conftest import KeyFactory, unavailable
from tests.factories import event_payload
from tests.servers import SITREP, free_port, running_server, server_process, wait_ended

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class PrivateCluster:
    """A PostgreSQL cluster of the test's own (never the shared service), run as the
    ``postgres`` user from the server binaries installed on the machine."""

    def __init__(self, root: Path) -> None:
        assert PG_BIN is not None
        self.bin = PG_BIN
        self.data, self.port = root / "pgdata", free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        root.chmod(0o777)
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def start(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.data / "log"),
            "-o",
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
        )


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if PG_BIN is None or shutil.which("runuser") is None:
        unavailable("fault tests skipped: no PostgreSQL server binaries on this machine")
    # Not under pytest's own temporary folder: the postgres user must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="sitrep-cluster-"))
    instance = PrivateCluster(root)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_database_outage_gives_503_and_the_service_recovers_by_itself(
    cluster: PrivateCluster,
) -> None:
    with running_server(SITREP_DATABASE_URL=cluster.url) as base:
        assert httpx.get(f"{base}/v1/events").status_code == 200

        cluster.stop()
        down = httpx.get(f"{base}/v1/events")
        export = httpx.get(f"{base}/v1/events", params={"format": "csv"})  # streamed
        ready = httpx.get(f"{base}/readyz")
        cluster.start()
        deadline = time.monotonic() + 20
        while (back := httpx.get(f"{base}/v1/events")).status_code != 200:
            assert time.monotonic() < deadline, back.text
            time.sleep(0.5)

    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert int(down.headers["retry-after"]) > 0
    assert export.status_code == 503, export.text
    assert ready.status_code == 503


def _count(client: TestClient) -> int:
    return len(client.get("/v1/events", params={"limit": 1000}).json()["items"])


def test_import_killed_midway_leaves_only_whole_chunks(
    database_url: str, client: TestClient, tmp_path: Path
) -> None:
    data = tmp_path / "events.ndjson"
    # Enough that the import is still running when the test looks: 6,000 events were once
    # all imported during one slow look (1.6 s, on CI) at fewer than 300.
    total = 30_000
    data.write_bytes(
        b"\n".join(orjson.dumps(event_payload(external_id=f"k{i}")) for i in range(total))
    )
    # A killed import leaves its chunks' folder behind: here, in this test's own.
    env = {**os.environ, "SITREP_DATABASE_URL": database_url, "TMPDIR": str(tmp_path)}
    importer = subprocess.Popen(
        [SITREP, "import", str(data), "--chunk-size", "100"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()  # every child seen while it ran (one look once missed them all)
    while True:
        workers.update(child.pid for child in psutil.Process(importer.pid).children())
        if _count(client) >= 300:
            break
        assert importer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    importer.send_signal(signal.SIGKILL)
    importer.wait()

    stored = client.get("/v1/events", params={"format": "ndjson"}).text  # every event
    count = len(stored.splitlines())
    assert count % 100 == 0 and 300 <= count < total
    assert workers  # the import validated in a worker process, which ends with it
    wait_ended(sorted(workers), timeout=10)


def test_server_killed_during_a_batch_stores_all_or_nothing(
    database_url: str, client: TestClient, make_key: KeyFactory
) -> None:
    headers = make_key("desk", "write")
    body = {"events": [event_payload(external_id=f"b{i}") for i in range(1000)]}
    with server_process(SITREP_DATABASE_URL=database_url) as (base, process):
        posting = threading.Thread(
            target=_post_ignoring_errors, args=(f"{base}/v1/events/batch", body, headers)
        )
        posting.start()
        time.sleep(0.3)  # the batch is being validated or written
        process.send_signal(signal.SIGKILL)
        process.wait()
        posting.join()

    assert _count(client) in (0, 1000)


def _post_ignoring_errors(url: str, body: object, headers: dict[str, str]) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server dies under it
        httpx.post(url, json=body, headers=headers, timeout=30)


def _sqlite_copy(tmp_path: Path) -> Path:
    path = tmp_path / "sitrep.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def test_read_only_database_answers_writes_clearly_and_still_reads(tmp_path: Path) -> None:
    path = _sqlite_copy(tmp_path)
    app = create_app(Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true"))
    client = TestClient(app)
    headers = {"X-API-Key": _key(path)}

    write = client.post("/v1/events", json=event_payload(), headers=headers)

    assert write.status_code == 503
    assert "read-only" in write.json()["detail"]
    assert client.get("/v1/events").status_code == 200


def test_full_database_answers_507_and_writes_nothing(tmp_path: Path) -> None:
    path = _sqlite_copy(tmp_path)
    key = _key(path)
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]

    @event.listens_for(app.state.engine, "connect")
    def _full(dbapi_connection: Any, _record: Any) -> None:
        # The disk is "full" at the database's present size.
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    client = TestClient(app)
    body = {"events": [event_payload(description="x" * 5000) for _ in range(50)]}

    response = client.post("/v1/events/batch", json=body, headers={"X-API-Key": key})

    assert response.status_code == 507
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/events").json()["items"] == []


def _key(path: Path) -> str:
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(make_session_factory(engine), write=True) as session:
        _, secret = keys.create(session, name="desk", scopes={Scope.WRITE})
    engine.dispose()
    return secret

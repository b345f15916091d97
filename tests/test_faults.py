"""Faults: a database that goes away and comes back, processes killed mid-write."""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyFactory, unavailable
from tests.factories import event_payload
from tests.servers import SITREP, free_port, running_server, server_process

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
        ready = httpx.get(f"{base}/readyz")
        cluster.start()
        deadline = time.monotonic() + 20
        while (back := httpx.get(f"{base}/v1/events")).status_code != 200:
            assert time.monotonic() < deadline, back.text
            time.sleep(0.5)

    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert int(down.headers["retry-after"]) > 0
    assert ready.status_code == 503


def _count(client: TestClient) -> int:
    return len(client.get("/v1/events", params={"limit": 1000}).json()["items"])


def test_import_killed_midway_leaves_only_whole_chunks(
    database_url: str, client: TestClient, tmp_path: Path
) -> None:
    data = tmp_path / "events.ndjson"
    data.write_bytes(
        b"\n".join(orjson.dumps(event_payload(external_id=f"k{i}")) for i in range(6000))
    )
    env = {**os.environ, "SITREP_DATABASE_URL": database_url}
    importer = subprocess.Popen(
        [SITREP, "import", str(data), "--chunk-size", "100"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _count(client) < 300:
        assert importer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    importer.send_signal(signal.SIGKILL)
    importer.wait()

    stored = client.get("/v1/events", params={"limit": 1000, "format": "ndjson"}).text
    count = len(stored.splitlines())
    assert count % 100 == 0 and 300 <= count < 6000


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

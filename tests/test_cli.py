"""The ``sitrep`` command line, run as a user runs it."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli import main
from tests.factories import event_payload
from tests.servers import running_server


@pytest.fixture
def run(database_url: str, client: TestClient) -> Iterator[CliRunner]:
    """A runner whose commands use the test database (emptied afterwards by ``client``)."""
    yield CliRunner(env={"SITREP_DATABASE_URL": database_url})


def test_keys_create_prints_the_key_last_and_it_works(run: CliRunner, client: TestClient) -> None:
    result = run.invoke(main, ["keys", "create", "--name", "desk", "--scope", "read,write"])

    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    response = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": key})
    assert response.status_code == 201
    history = client.get(f"/v1/events/{response.json()['id']}/history").json()["items"]
    assert history[0]["key_name"] == "desk"


def test_keys_list_shows_names_never_secrets(run: CliRunner) -> None:
    key = run.invoke(main, ["keys", "create", "--name", "desk"]).output.strip().splitlines()[-1]

    listing = run.invoke(main, ["keys", "list"])

    assert listing.exit_code == 0
    assert "desk" in listing.output and "read" in listing.output
    assert key not in listing.output


def test_revoked_key_is_refused(run: CliRunner, client: TestClient) -> None:
    key = (
        run.invoke(main, ["keys", "create", "--name", "desk", "--scope", "write"])
        .output.strip()
        .splitlines()[-1]
    )

    result = run.invoke(main, ["keys", "revoke", "desk"])

    assert result.exit_code == 0
    response = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": key})
    assert response.status_code == 401


def test_unknown_scope_is_a_usage_error_naming_the_option(run: CliRunner) -> None:
    result = run.invoke(main, ["keys", "create", "--name", "desk", "--scope", "root"])

    assert result.exit_code == 2
    assert "--scope" in result.output and "root" in result.output


def test_duplicate_key_name_fails_clearly(run: CliRunner) -> None:
    run.invoke(main, ["keys", "create", "--name", "desk"])

    result = run.invoke(main, ["keys", "create", "--name", "desk"])

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_a_key_name_with_a_slash_fails_clearly(run: CliRunner) -> None:
    result = run.invoke(main, ["keys", "create", "--name", "night/desk"])

    assert result.exit_code == 1
    assert "'/'" in result.output
    assert "night/desk" not in run.invoke(main, ["keys", "list"]).output


def test_db_upgrade_succeeds_on_a_migrated_database(run: CliRunner) -> None:
    result = run.invoke(main, ["db", "upgrade"])

    assert result.exit_code == 0
    assert "up to date" in result.output


def test_db_upgrade_refuses_a_database_from_an_unknown_revision(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")

    result = CliRunner(env={"SITREP_DATABASE_URL": f"sqlite:///{path}"}).invoke(
        main, ["db", "upgrade"]
    )

    assert result.exit_code == 1
    assert "9999" in result.output


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SITREP_DATABASE_URL": ""}, "SITREP_DATABASE_URL: not a SQLite or PostgreSQL"),
        ({"SITREP_DATABASE_URL": "sitrep.db"}, "SITREP_DATABASE_URL: not a SQLite or PostgreSQL"),
        ({"SITREP_DATABASE_URL": "mysql://desk@db/sitrep"}, "SITREP_DATABASE_URL: not a"),
        ({"SITREP_MAX_BODY_BYTES": "1MB"}, "SITREP_MAX_BODY_BYTES: Input should be a valid"),
        ({"SITREP_RATE_LIMIT_ANON": "lots"}, "SITREP_RATE_LIMIT_ANON: "),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["keys", "list"], ["serve"]])
def test_a_bad_setting_is_an_error_naming_its_variable(
    env: dict[str, str], says: str, command: list[str]
) -> None:
    result = CliRunner(env=env).invoke(main, command)

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {says}")


def test_a_database_that_cannot_be_opened_is_an_error_naming_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/directory/sitrep.db"

    result = CliRunner(env={"SITREP_DATABASE_URL": url}).invoke(main, ["keys", "list"])

    assert result.exit_code == 1
    assert (
        result.output == f"Error: cannot open the database at {url}: unable to open database file\n"
    )


def test_serve_demo_migrates_and_serves_the_demo_events(
    database_url: str, client: TestClient
) -> None:
    with running_server("--demo", SITREP_DATABASE_URL=database_url) as base:
        events = httpx.get(f"{base}/v1/events", params={"limit": 100}).json()["items"]
        assert len(events) == 30
        assert len({e["location"]["country"] for e in events}) >= 8
        assert httpx.get(f"{base}/docs").status_code == 200


def _with_a_writer(database: Path) -> tuple[str, dict[str, str]]:
    """The URL of an SQLite database of the test's own, and headers with a write key on it."""
    url = f"sqlite:///{database}"
    run = CliRunner(env={"SITREP_DATABASE_URL": url})
    key = run.invoke(main, ["keys", "create", "--name", "desk", "--scope", "write"])
    return url, {"X-API-Key": key.output.strip().splitlines()[-1]}


# SQLite only: its write-ahead log is a file beside the database. A database of its own,
# so that the data checked is this test's alone.
def test_stopped_server_leaves_no_sqlite_write_ahead_log_behind(tmp_path: Path) -> None:
    database = tmp_path / "own.db"
    url, headers = _with_a_writer(database)

    with running_server("--workers", "2", SITREP_DATABASE_URL=url) as base:
        for _ in range(5):
            assert httpx.post(f"{base}/v1/events", json=event_payload(), headers=headers).is_success
        log = Path(f"{database}-wal")
        assert log.stat().st_size > 0

    assert not log.exists() or log.stat().st_size == 0
    with running_server(SITREP_DATABASE_URL=url) as base:
        assert len(httpx.get(f"{base}/v1/events").json()["items"]) == 5


# SQLite only, like the test above.
def test_a_running_server_copies_its_writes_into_the_database_file(tmp_path: Path) -> None:
    """While the server runs, its writes are checkpointed into the database file apart from
    the requests (``app.checkpoints``): a read of the file alone (``immutable``, which
    ignores the write-ahead log) finds them. SQLite's own checkpoint would wait for 1,000
    pages of log."""
    database = tmp_path / "own.db"
    url, headers = _with_a_writer(database)

    def in_the_file() -> int | None:
        try:
            with closing(sqlite3.connect(f"file:{database}?immutable=1", uri=True)) as file:
                return int(file.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.DatabaseError:  # read while a checkpoint was writing it
            return None

    with running_server("--workers", "2", SITREP_DATABASE_URL=url) as base:
        before = in_the_file()
        for _ in range(5):
            assert httpx.post(f"{base}/v1/events", json=event_payload(), headers=headers).is_success
        deadline = time.monotonic() + 10
        while in_the_file() != 5 and time.monotonic() < deadline:
            time.sleep(0.2)

        assert before == 0
        assert in_the_file() == 5


def _log_restarts(wal: Path) -> int | None:
    """The checkpoint sequence number in a write-ahead log's header, which SQLite counts up
    each time it starts the log over (https://sqlite.org/fileformat.html#wal_file_format)."""
    with suppress(FileNotFoundError), wal.open("rb") as log:
        header = log.read(16)
        return int.from_bytes(header[12:16], "big") if len(header) == 16 else None
    return None


# SQLite only, like the tests above.
def test_a_running_servers_log_stays_bounded_under_steady_writes(tmp_path: Path) -> None:
    """Under steady POSTs a PASSIVE checkpoint never reaches the log's end, so SQLite never
    started the log over: 4,500 POSTs left about 200 MB of it, growing with every write.
    The checkpoint thread restarts it once it passes 40 MB (``app.checkpoints``). How far
    past 40 MB it gets first is a second's writes, which depends on the machine: 105 MB
    was seen on a fast one."""
    database = tmp_path / "busy.db"
    url, headers = _with_a_writer(database)
    posts = iter(range(4_500))
    take = threading.Lock()

    def post(base: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while True:
                with take:
                    if next(posts, None) is None:
                        return
                assert client.post("/v1/events", json=event_payload()).status_code == 201

    with running_server("--workers", "2", SITREP_DATABASE_URL=url) as base:
        clients = [threading.Thread(target=post, args=(base,)) for _ in range(8)]
        for client in clients:
            client.start()
        largest, restarts = 0, set()
        while any(client.is_alive() for client in clients):
            with suppress(FileNotFoundError):
                largest = max(largest, Path(f"{database}-wal").stat().st_size)
            restarts.add(_log_restarts(Path(f"{database}-wal")))
            time.sleep(0.1)
        with closing(sqlite3.connect(database)) as db:
            stored = db.execute("SELECT count(*) FROM events").fetchone()[0]

    assert stored == 4_500
    assert len(restarts - {None}) >= 2  # the log was started over while the POSTs ran
    assert largest < 150_000_000

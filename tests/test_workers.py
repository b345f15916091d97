"""``sitrep serve --workers 2``: the parent hands connections to the workers in turn
(``app.workers``), replaces a worker that dies, and takes its workers with it when it ends."""

import signal
import socket
import time
from pathlib import Path

import httpx
import psutil

from tests.servers import running_server, server_process, wait_ended


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _answered(client: socket.socket) -> None:
    """Ask once over ``client``'s keep-alive connection: once answered, a worker holds it."""
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: sitrep\r\n\r\n")
    assert client.recv(65536).startswith(b"HTTP/1.1 200")


def _connected(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    _answered(client)
    return client


def _serving(server_pid: int, port: int, client: socket.socket) -> int:
    """The pid of the process that holds the server's end of ``client``."""
    mine = client.getsockname()[1]
    for child in psutil.Process(server_pid).children():
        for held in child.net_connections(kind="tcp"):
            if held.laddr.port == port and held.raddr and held.raddr.port == mine:
                return child.pid
    raise AssertionError(f"no worker holds the connection from port {mine}")


def test_two_clients_connecting_together_are_served_by_both_workers(database_url: str) -> None:
    """uvicorn's workers share a listening socket, and one of them often accepted both
    connections, serving two busy clients on one core (docs/performance-log.md)."""
    with server_process("--workers", "2", SITREP_DATABASE_URL=database_url) as (base, server):
        port = _port(base)
        for _ in range(5):
            clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
            for client in clients:
                _answered(client)

            assert len({_serving(server.pid, port, client) for client in clients}) == 2
            for client in clients:
                client.close()


def test_a_worker_that_dies_is_replaced(database_url: str) -> None:
    with server_process("--workers", "2", SITREP_DATABASE_URL=database_url) as (base, server):
        port = _port(base)
        with _connected(port) as client:
            killed = _serving(server.pid, port, client)
        psutil.Process(killed).send_signal(signal.SIGKILL)
        wait_ended([killed], timeout=30)

        # Every connection from now on is answered: the dead worker's turn passes to the
        # other until its replacement has started.
        serving: set[int] = set()
        deadline = time.monotonic() + 30
        while len(serving) < 2:
            assert time.monotonic() < deadline, f"served only by {serving}"
            with _connected(port) as client:
                serving.add(_serving(server.pid, port, client))

        assert killed not in serving


def test_the_workers_end_with_the_server(database_url: str) -> None:
    for stop in (signal.SIGTERM, signal.SIGKILL):
        with server_process("--workers", "2", SITREP_DATABASE_URL=database_url) as (base, server):
            port = _port(base)
            with _connected(port) as one, _connected(port) as two:
                workers = [_serving(server.pid, port, c) for c in (one, two)]
            server.send_signal(stop)
            server.wait(timeout=30)

            wait_ended(workers, timeout=30)
            if stop == signal.SIGTERM:
                assert server.returncode == 0


def test_a_stopped_server_leaves_no_metrics_folder_behind(tmp_path: Path) -> None:
    database, temporary = tmp_path / "sitrep.db", tmp_path / "tmp"
    temporary.mkdir()
    env = {"SITREP_DATABASE_URL": f"sqlite:///{database}", "TMPDIR": str(temporary)}

    with running_server("--workers", "2", **env) as base:
        assert httpx.get(f"{base}/metrics").status_code == 200
        assert list(temporary.glob("sitrep-metrics-*"))  # the workers' metrics, while it runs

    assert not list(temporary.glob("sitrep-metrics-*"))

"""Run ``sitrep serve`` as a real process, as a user would, and see its processes end."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

SITREP = str(Path(sys.executable).with_name("sitrep"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(*args: str, **env: str) -> Iterator[str]:
    """Start ``sitrep serve ARGS`` with extra environment; yields its base URL once ready."""
    with server_process(*args, **env) as (base, _):
        yield base


@contextmanager
def server_process(*args: str, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like ``running_server``, also yielding the process (to kill it, say)."""
    port = free_port()
    # The server logs every request: a file, not a pipe nobody drains, takes it all.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [SITREP, "serve", "--port", str(port), *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise AssertionError(log.read().decode(errors="replace")[-5000:])
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("server did not become ready in 30 s")
                time.sleep(0.2)
            yield base, server
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=10)


def wait_ended(pids: list[int], *, timeout: float) -> None:
    """Wait until each process has ended; a zombie waiting to be reaped has ended too."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        while True:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            assert time.monotonic() < deadline, f"processes left running: {pids}"
            time.sleep(0.1)

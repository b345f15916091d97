"""Run ``sitrep serve`` as a real process, as a user would."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SITREP = str(Path(sys.executable).with_name("sitrep"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(*args: str, **env: str) -> Iterator[str]:
    """Start ``sitrep serve ARGS`` with extra environment; yields its base URL once ready."""
    port = free_port()
    server = subprocess.Popen(
        [SITREP, "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise AssertionError(server.stderr.read().decode() if server.stderr else "")
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not become ready in 30 s")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)

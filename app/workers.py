"""``sitrep serve --workers N`` on Linux: the parent accepts, and hands each connection to
the next worker in turn.

uvicorn's own workers share one listening socket, and the event loop that wakes first
accepts every connection waiting: two keep-alive clients connecting together landed on one
worker in half of the rounds measured, and that worker then served both on one core while
the other idled (docs/performance-log.md, thirty-second session). Node's cluster module
hands connections round-robin from its parent for the same reason; so does this. Each
worker is a uvicorn server that takes its connections from a Unix socket instead of
listening (``_HandedServer``). The parent starts a worker again when it dies; unlike
uvicorn's supervisor it does not ping them, so one that hangs keeps its turn.
"""

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")
_spawn = multiprocessing.get_context("spawn")
# How often the parent looks for workers that have died, to start them again.
CHECK_S = 0.5


def serve(config: uvicorn.Config) -> None:
    """Serve with ``config.workers`` worker processes until SIGINT or SIGTERM."""
    listener = config.bind_socket()
    listener.listen(config.backlog)
    listener.settimeout(CHECK_S)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    logger.info(
        "Started parent process [%d]; it hands connections to %d workers in turn",
        os.getpid(),
        config.workers,
    )
    workers = [_Worker(config) for _ in range(config.workers)]
    turn, checked = 0, time.monotonic()
    try:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                pass
            except OSError as exc:  # a client gone before it was accepted; out of files
                logger.warning("accept failed: %s", exc)
                time.sleep(0.01)
            else:
                with connection:  # the worker holds its own copy once handed
                    turn = _hand(workers, turn, connection)
            if time.monotonic() - checked >= CHECK_S:
                checked = time.monotonic()
                if not _restart_dead(workers, config):
                    break
    finally:
        listener.close()
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.process.join()
    if any(worker.process.exitcode == STARTUP_FAILURE for worker in workers):
        sys.exit(STARTUP_FAILURE)


def _hand(workers: list["_Worker"], turn: int, connection: socket.socket) -> int:
    """Hand ``connection`` to the worker whose turn it is, or to the next that can take it
    (a worker that died, or that has not taken the connections handed it yet, is passed
    over); returns the next turn. If none can, the connection is closed."""
    for step in range(len(workers)):
        index = (turn + step) % len(workers)
        if workers[index].take(connection):
            return (index + 1) % len(workers)
    logger.warning("no worker could take a connection; closed it")
    return turn


def _restart_dead(workers: list["_Worker"], config: uvicorn.Config) -> bool:
    """Start a new worker in place of each that died; False if one failed to start, as
    every new one would (the app, its database or its settings are broken)."""
    for index, worker in enumerate(workers):
        if worker.process.is_alive():
            continue
        if worker.process.exitcode == STARTUP_FAILURE:
            logger.error("worker [%s] failed to start; stopping", worker.process.pid)
            return False
        logger.warning("worker [%s] died; starting another", worker.process.pid)
        worker.channel.close()
        workers[index] = _Worker(config)
    return True


class _Worker:
    """A worker process, and the parent's end of the socket it is handed connections on."""

    def __init__(self, config: uvicorn.Config) -> None:
        # SEQPACKET: one connection a message, and the worker sees the parent go (EOF).
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = _spawn.Process(target=_work, args=(config, theirs), name="sitrep-worker")
        self.process.start()
        theirs.close()
        self.channel.setblocking(False)

    def take(self, connection: socket.socket) -> bool:
        """Pass ``connection`` to the worker; False if it cannot take it now."""
        try:
            socket.send_fds(self.channel, [b"c"], [connection.fileno()])
        except OSError:  # its queue is full, or it has gone
            return False
        return True

    def stop(self) -> None:
        self.channel.close()
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: uvicorn finishes the requests in flight


def _work(config: uvicorn.Config, channel: socket.socket) -> None:
    """A worker process's life: serve the connections handed over ``channel``."""
    config.configure_logging()
    _HandedServer(config, channel).run()


class _HandedServer(uvicorn.Server):
    """A uvicorn server that serves the connections handed to it instead of listening."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self.handed: set[asyncio.Task[object]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # no socket of its own to listen on
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._take)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets)

    def _take(self) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(self.channel, 1, 1)
        except BlockingIOError:
            return
        if not message:  # the parent is gone: end with it
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            task = asyncio.get_running_loop().create_task(self._connect(socket.socket(fileno=fd)))
            self.handed.add(task)
            task.add_done_callback(self.handed.discard)

    async def _connect(self, connection: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._protocol, connection)
        except OSError:  # the client left before it was served
            connection.close()

    def _protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

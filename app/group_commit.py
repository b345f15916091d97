"""Group commit: one writer thread per process commits the writes waiting for it together."""

import asyncio
import queue
import threading
from collections.abc import Callable
from contextlib import closing, suppress
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction

T = TypeVar("T")

# An idle writer thread ends after this long; the next write starts another.
IDLE_S = 1.0


class _Write:
    __slots__ = ("error", "future", "result", "work")

    def __init__(self, work: Callable[[Session], Any], future: asyncio.Future[Any]) -> None:
        self.work = work
        self.future = future
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs each write in a savepoint of a transaction shared with the writes queued beside it.

    Writers take turns (``app.db.transaction``), and under load a POST held the turn for
    several times its own statements: the lock, ``BEGIN``, the commit. So the event loop
    queues its writes for one thread, which takes every write waiting (up to
    ``max_group``), runs each in a savepoint (one that fails is rolled back alone and
    raises in its own request) and commits them once. One thread, not one per request:
    request threads took turns at the interpreter's lock with each other and with the
    loop, about 20 context switches a POST, against 4 (docs/performance-log.md).

    The savepoints are the driver's own statements: the session's (``begin_nested``) cost
    a tenth of a POST (docs/performance-log.md). So a write goes through the session's
    connection, not its unit of work: rolled back to its savepoint, it leaves no object
    behind for the commit to flush.
    """

    def __init__(self, factory: sessionmaker[Session], *, max_group: int = 32) -> None:
        self.factory = factory
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Write] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards _thread, so that no write is left unserved
        self._thread: threading.Thread | None = None

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)``'s result once it is committed; raises what it raised."""
        write = _Write(work, asyncio.get_running_loop().create_future())
        with self._lock:
            self._queue.put(write)
            if self._thread is None:
                # Not a daemon (nor one by inheritance): a write under way ends before the
                # process does.
                self._thread = threading.Thread(
                    target=self._serve, name="sitrep-writer", daemon=False
                )
                self._thread.start()
        result: T = await write.future
        return result

    def _serve(self) -> None:
        while True:
            try:
                group = [self._queue.get(timeout=IDLE_S)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(group) < self.max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(group)
            _settle(group)

    def _commit(self, group: list[_Write]) -> None:
        try:
            with (
                transaction(self.factory, write=True) as session,
                closing(session.connection().connection.cursor()) as cursor,
            ):
                for write in group:
                    _run_in_savepoint(write, session, cursor)
        except BaseException as exc:  # none of the group was written: each request says so
            for write in group:
                write.result, write.error = None, write.error or exc


def _run_in_savepoint(write: _Write, session: Session, cursor: Any) -> None:
    """Run the write in a savepoint on the driver's ``cursor``; one that fails is rolled
    back to it, keeping its error for its request."""
    cursor.execute("SAVEPOINT group_write")
    try:
        write.result = write.work(session)
        cursor.execute("RELEASE SAVEPOINT group_write")
    except Exception as exc:
        write.error = exc
        try:
            cursor.execute("ROLLBACK TO SAVEPOINT group_write")
            cursor.execute("RELEASE SAVEPOINT group_write")
        except Exception:  # the database ended the transaction (a full disk)
            raise exc from None


def _settle(group: list[_Write]) -> None:
    """Hand each write's outcome to the request awaiting it, on that request's loop: one
    call a loop for the whole group, as each call wakes the loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Write]] = {}
    for write in group:
        by_loop.setdefault(write.future.get_loop(), []).append(write)
    for loop, writes in by_loop.items():
        with suppress(RuntimeError):  # that loop has closed: no one awaits its writes
            loop.call_soon_threadsafe(_hand_over, writes)


def _hand_over(writes: list[_Write]) -> None:
    for write in writes:
        if write.future.cancelled():  # the client went away; the write stands
            continue
        if write.error is not None:
            write.future.set_exception(write.error)
        else:
            write.future.set_result(write.result)

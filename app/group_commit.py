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
P = TypeVar("P")
# Stores several writes' parts with one set of statements; returns each part's result.
StoreAll = Callable[[Session, list[Any]], list[Any]]

# An idle writer thread ends after this long; the next write starts another.
IDLE_S = 1.0


class _Write:
    __slots__ = ("error", "future", "part", "result", "store_all", "work")

    def __init__(
        self,
        work: Callable[[Session], Any],
        future: asyncio.Future[Any],
        store_all: StoreAll | None = None,
        part: Any = None,
    ) -> None:
        self.work = work
        self.future = future
        self.store_all = store_all
        self.part = part
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs each write in a savepoint of a transaction shared with the writes queued beside it.

    Writers take turns (``app.db.transaction``), and under load a POST held the turn for
    several times its own statements: the lock, ``BEGIN``, the commit. So the event loop
    queues its writes for one thread, which waits for the writers' turn, then takes every
    write waiting (up to ``max_group``), runs each in a savepoint (one that fails is rolled
    back alone and raises in its own request; see ``run_together`` for writes stored as
    one, and ``_store_alone`` for a write alone in the transaction) and commits them once.
    One thread, not one per request: request threads took turns at the interpreter's lock
    with each other and with the loop, about 20 context switches a POST, against 4
    (docs/performance-log.md).

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
        result: T = await self._queued(_Write(work, asyncio.get_running_loop().create_future()))
        return result

    async def run_together(self, store_all: Callable[[Session, list[P]], list[T]], part: P) -> T:
        """``store_all(session, [part])[0]`` once it is committed, as ``run`` would give it.

        The writes of a group that share ``store_all`` are first stored by one call of it,
        in one savepoint: each write's savepoint and statements cost more than the rows it
        stores (a group of 8 single-event POSTs took 2.4 times the writer's time stored one
        by one, docs/performance-log.md). If that call raises, the writes are stored again
        one by one, each raising its own error.
        """
        loop = asyncio.get_running_loop()
        write = _Write(
            lambda session: store_all(session, [part])[0], loop.create_future(), store_all, part
        )
        result: T = await self._queued(write)
        return result

    async def _queued(self, write: _Write) -> Any:
        with self._lock:
            self._queue.put(write)
            if self._thread is None:
                # Not a daemon (nor one by inheritance): a write under way ends before the
                # process does.
                self._thread = threading.Thread(
                    target=self._serve, name="sitrep-writer", daemon=False
                )
                self._thread.start()
        return await write.future

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
            self._commit(group)
            _settle(group)

    def _commit(self, group: list[_Write], *, apart: bool = False) -> None:
        """Commit ``group`` and the writes that joined it while this thread waited for the
        writers' turn: other processes' writers hold it most of the time under load, and
        writes gathered before waiting left groups of one to three. ``apart``: commit each
        write of ``group`` in its own savepoint, as storing them together failed."""
        try:
            with transaction(self.factory, write=True) as session:
                if apart:
                    sets = [[write] for write in group]
                else:
                    self._gather(group)
                    sets = _together(group)
                if len(sets) == 1:
                    _store_alone(sets[0], session)
                    return
                with closing(session.connection().connection.cursor()) as cursor:
                    for writes in sets:
                        if len(writes) > 1:
                            _store_together(writes, session, cursor)
                        else:
                            _run_in_savepoint(writes[0], session, cursor)
        except _StoreApart:
            self._commit(group, apart=True)
        except BaseException as exc:  # none of the group was written: each request says so
            for write in group:
                write.result, write.error = None, write.error or exc

    def _gather(self, group: list[_Write]) -> None:
        while len(group) < self.max_group:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                return


class _StoreApart(Exception):
    """Writes stored together failed, with no savepoint to roll back to: commit them again
    one by one."""


def _together(group: list[_Write]) -> list[list[_Write]]:
    """The group's writes that can be stored together, each set in the order they came; a
    write of its own in a list of one."""
    sets: dict[Any, list[_Write]] = {}
    for index, write in enumerate(group):
        sets.setdefault(write.store_all or index, []).append(write)
    return list(sets.values())


def _store_alone(writes: list[_Write], session: Session) -> None:
    """Store the transaction's only set of writes with no savepoint, as the transaction's
    rollback undoes a failure. In a savepoint SQLite copies each page a write changes to a
    statement journal: a POST alone took 973 µs of the writer's time in one against 681
    without, a 1,000-event batch 234 ms against 179 (docs/performance-log.md)."""
    if len(writes) == 1:
        writes[0].result = writes[0].work(session)
        return
    try:
        _store_all(writes, session)
    except Exception:
        raise _StoreApart from None


def _store_together(writes: list[_Write], session: Session, cursor: Any) -> None:
    """Store the writes with one call of their ``store_all`` in one savepoint; if it
    raises, roll it back and run each write in a savepoint of its own."""
    cursor.execute("SAVEPOINT group_write")
    try:
        _store_all(writes, session)
        cursor.execute("RELEASE SAVEPOINT group_write")
    except Exception as exc:
        _roll_back(cursor, exc)
        for write in writes:
            _run_in_savepoint(write, session, cursor)


def _store_all(writes: list[_Write], session: Session) -> None:
    """Store the writes with one call of the ``store_all`` they share."""
    store_all = writes[0].store_all
    assert store_all is not None
    results = store_all(session, [write.part for write in writes])
    for write, result in zip(writes, results, strict=True):
        write.result = result


def _run_in_savepoint(write: _Write, session: Session, cursor: Any) -> None:
    """Run the write in a savepoint on the driver's ``cursor``; one that fails is rolled
    back to it, keeping its error for its request."""
    cursor.execute("SAVEPOINT group_write")
    try:
        write.result = write.work(session)
        cursor.execute("RELEASE SAVEPOINT group_write")
    except Exception as exc:
        write.error = exc
        _roll_back(cursor, exc)


def _roll_back(cursor: Any, exc: Exception) -> None:
    """Roll back to the savepoint that ``exc`` left; if the database has ended the
    transaction (a full disk), raise ``exc`` for the whole group."""
    try:
        cursor.execute("ROLLBACK TO SAVEPOINT group_write")
        cursor.execute("RELEASE SAVEPOINT group_write")
    except Exception:
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

"""Group commit: the writes that wait for their turn in one process, committed together."""

import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction

T = TypeVar("T")


class _Write:
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[Session], Any]) -> None:
        self.work = work
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs each write in a savepoint of a transaction shared with the writes waiting beside it.

    Writers take turns (``app.db.transaction``), and under load a POST held the turn for
    several times its own statements: the lock, ``BEGIN``, the commit, and the interpreter
    lock shared with the request threads preparing the next writes (docs/performance.md).
    Here the first writer to get the turn runs every write waiting in this process, each
    in a savepoint (one that fails is rolled back alone and raises in its own request),
    and commits them once; the others find theirs done when their turn comes.

    The savepoints are the driver's own statements: the session's (``begin_nested``) cost
    a tenth of a POST (docs/performance.md). So a write goes through the session's
    connection, not its unit of work: rolled back to its savepoint, it leaves no object
    behind for the commit to flush.
    """

    def __init__(self, factory: sessionmaker[Session], *, max_group: int = 32) -> None:
        self.factory = factory
        self.max_group = max_group
        self._waiting: list[_Write] = []
        self._waiting_lock = threading.Lock()
        self._turn = threading.Lock()

    def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)``'s result once it is committed; raises what it raised."""
        write = _Write(work)
        with self._waiting_lock:
            self._waiting.append(write)
        while not write.done:
            with self._turn:
                if not write.done:
                    with self._waiting_lock:
                        group = self._waiting[: self.max_group]
                        del self._waiting[: self.max_group]
                    self._commit(group)
        if write.error is not None:
            raise write.error
        result: T = write.result
        return result

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
        finally:
            for write in group:
                write.done = True


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

"""Answers kept until the next write, for reads that many clients repeat (a newsroom's
dashboards asking ``/v1/stats`` for the same year, over and over)."""

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from app.db import fetch_rows
from app.models import Revision

_LAST_WRITE = select(func.max(Revision.id))


def last_write(bind: Engine | Connection) -> int | None:
    """Which write the database has seen last: every write appends a revision, and their
    ids rise in commit order (writers take turns, ``app.db.begin_write``)."""
    write: int | None = fetch_rows(bind, _LAST_WRITE, {})[0][0]
    return write


class Answers:
    """The latest ``size`` answers, each served until a write follows it.

    An answer asked for again while it is being computed is waited for, not computed
    again: after a write, or on a cold cache, a dashboard's clients all ask at once. On
    1M events and a cold cache, sixteen clients asking for one year's weekly figures got
    no answer within 5 s; one alone took 1.3-11 s (docs/performance-log.md).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[str, tuple[int | None, bytes]] = OrderedDict()
        self._computing: dict[tuple[str, int | None], Future[bytes]] = {}
        self._lock = threading.Lock()

    def kept(self, key: str, write: int | None) -> bytes | None:
        """The answer for ``key`` if it is kept and no write came after ``write``."""
        with self._lock:
            return self._kept_locked(key, write)

    def _kept_locked(self, key: str, write: int | None) -> bytes | None:
        kept = self._kept.get(key)
        if kept is None or kept[0] != write:
            return None
        self._kept.move_to_end(key)
        return kept[1]

    def get(self, session: Session, key: str, compute: Callable[[Session], bytes]) -> bytes:
        """The answer for ``key``: kept if no write came since, else ``compute(session)``d
        now (after reading which write was last, so it is never older than that)."""
        write = last_write(session.connection())
        with self._lock:
            kept = self._kept_locked(key, write)
            if kept is not None:
                return kept
            computing = self._computing.get((key, write))
            if computing is None:
                mine: Future[bytes] = Future()
                self._computing[key, write] = mine
        if computing is not None:
            return computing.result()
        try:
            answer = compute(session)
        except BaseException as exc:  # each request waiting for it answers as this one does
            with self._lock:
                del self._computing[key, write]
            mine.set_exception(exc)
            raise
        with self._lock:
            del self._computing[key, write]
            self._kept[key] = (write, answer)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        mine.set_result(answer)
        return answer

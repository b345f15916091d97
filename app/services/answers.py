"""Answers kept until the next write, for reads that many clients repeat (a newsroom's
dashboards asking ``/v1/stats`` for the same year, over and over)."""

import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Revision


def last_write(session: Session) -> int | None:
    """Which write the database has seen last: every write appends a revision, and their
    ids rise in commit order (writers take turns, ``app.db.begin_write``)."""
    return session.scalar(select(func.max(Revision.id)))


class Answers:
    """The latest ``size`` answers, each served until a write follows it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[str, tuple[int | None, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: str, compute: Callable[[Session], bytes]) -> bytes:
        """The answer for ``key``: kept if no write came since, else ``compute(session)``d
        now (after reading which write was last, so it is never older than that)."""
        write = last_write(session)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == write:
                self._kept.move_to_end(key)
                return kept[1]
        answer = compute(session)
        with self._lock:
            self._kept[key] = (write, answer)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return answer

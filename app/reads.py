"""The most requested reads (a page of events, one event, an API key) run on the event loop,
not in a thread.

FastAPI runs a sync endpoint in a thread of its pool, and under load that hop cost more
than the read itself: the thread and the event loop take turns at the interpreter's lock.
Run on the loop, a page of 100 events was served at 1.8 times the rate, with a quarter of
the p99 on SQLite and under half on PostgreSQL (docs/performance-log.md, nineteenth session).

On the loop, a read holds up its worker's other requests while it runs, as a sync worker
serves one request at a time. So a read whose SQL runs past ``BUDGET_S`` is cut short and
run again in a thread: a slow query (a full-text search that reads the whole table) holds
the loop up no longer than that. SQLite cuts it short by its progress handler
(``over_budget``, which ``app.db`` gives every connection); PostgreSQL by the statement
timeout of the engine kept for these reads (``app.db.create_loop_engine``).
"""

import sqlite3
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

import psycopg
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import Counter
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

BUDGET_S = 0.025
# How often SQLite calls ``over_budget``, in VM steps (a page of 100 events took about
# 11,000); between calls a statement may overrun by that much.
CHECK_EVERY_STEPS = 10_000
T = TypeVar("T")

CUT_SHORT = Counter(
    "sitrep_loop_reads_cut_short",
    "Reads on the event loop that outran their budget and ran again in a thread",
)

# When the read running on the loop must stop; none elsewhere (reads in threads, writes).
_deadline: ContextVar[float | None] = ContextVar("loop_read_deadline", default=None)


def over_budget() -> bool:
    """SQLite's progress handler: true stops the statement ("interrupted")."""
    deadline = _deadline.get()
    return deadline is not None and time.perf_counter() > deadline


async def run_read(request: Request, read: Callable[[Engine], T]) -> T:
    """``read(engine)`` on the event loop; if its SQL outruns the budget, again in a thread."""
    state = request.app.state
    token = _deadline.set(time.perf_counter() + BUDGET_S)
    try:
        return read(state.loop_engine)
    except OperationalError as exc:
        if not _cut_short(exc.orig):
            raise
    finally:
        _deadline.reset(token)
    CUT_SHORT.inc()
    return await run_in_threadpool(read, state.engine)


def _cut_short(error: BaseException | None) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return str(error) == "interrupted"
    return isinstance(error, psycopg.errors.QueryCanceled)

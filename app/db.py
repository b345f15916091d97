"""Engines, sessions, and the driver-level reads and bulk inserts, for SQLite (embedded default)
and PostgreSQL."""

import copy
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import psycopg
from psycopg.pq import PipelineStatus
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Index,
    Insert,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler

from app import checkpoints, reads
from app.models.base import Base, UTCDateTime

SQLITE_BUSY_TIMEOUT_MS = 15_000
# One connection per request thread (anyio's default limit is 40), kept open: a new SQLite
# connection costs its pragmas and starts with a cold page cache.
SQLITE_POOL_SIZE = 40


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (an event's damage, a revision's changes) through orjson: the standard
# library's encoder took 4-14 us a value here against under 1, and every write stores both.
_JSON_COLUMNS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def create_db_engine(url: str, *, checkpoint_apart: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and explicit ``BEGIN``.

    pysqlite's own transaction handling starts transactions lazily and cannot
    take the write lock up front, so we switch it off and emit ``BEGIN`` ourselves:
    ``BEGIN IMMEDIATE`` for sessions that will write (see ``write_session``), which
    makes concurrent writers wait for the lock instead of failing on a stale snapshot.

    ``checkpoint_apart``: a server's engine, whose SQLite checkpoints run in a thread of
    their own rather than in a request's commit (``app.checkpoints``).
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith("sqlite"):
        return _postgres_engine(parsed, pool_size=10)

    engine = create_engine(
        parsed,
        **_JSON_COLUMNS,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=10,
        # The connection used last is handed out first: its page cache is likely still in
        # the CPU's caches, where the oldest one's is not (under load a page's SQL took
        # 300 us of CPU taking connections in turn, 180 us this way; docs/performance-log.md).
        pool_use_lifo=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if checkpoint_apart:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
        # Stops a read on the event loop that outruns its budget (``app.reads``); elsewhere
        # it returns at once.
        dbapi_conn.set_progress_handler(reads.over_budget, reads.CHECK_EVERY_STEPS)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if checkpoint_apart:
        checkpoints.start(engine)
    return engine


def create_loop_engine(engine: Engine) -> Engine:
    """The engine for the reads run on the event loop (``app.reads``). On SQLite, ``engine``
    itself: its connections' progress handler cuts such a read short. On PostgreSQL, a
    small pool of its own, whose statements the server cancels past the budget: only one
    such read runs at a time in a process, as it holds the loop. A new connection gives
    up after 2 s (libpq's least), where one to a server that does not answer would hold
    the loop until the operating system gave up on it."""
    if engine.dialect.name != "postgresql":
        return engine
    timeout_ms = max(1, round(reads.BUDGET_S * 1000))  # 0 would be no timeout
    # Added to the URL's own options (a search_path, say), which connect_args would replace.
    given = engine.url.query.get("options", ())
    options = " ".join(
        [*([given] if isinstance(given, str) else given), f"-c statement_timeout={timeout_ms}"]
    )
    return _postgres_engine(
        engine.url.difference_update_query(["options"]),
        pool_size=1,
        connect_args={"options": options, "connect_timeout": 2},
    )


def create_scratch_engine(path: Path) -> Engine:
    """An SQLite engine on a file that one process writes once, whose loss in a crash
    costs nothing (an import's chunk file): no journal, no syncs."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool, **_JSON_COLUMNS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=OFF")
        dbapi_conn.execute("PRAGMA synchronous=OFF")

    return engine


def _postgres_engine(
    url: URL, *, pool_size: int, connect_args: dict[str, Any] | None = None
) -> Engine:
    """A PostgreSQL engine: each connection checked as it is handed out, as many again
    allowed beyond the pool when it is busy, JSON through orjson."""
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args=connect_args or {},
        **_JSON_COLUMNS,
    )


def close_engine(engine: Engine) -> None:
    """Close the engine's connections; on SQLite, first copy the write-ahead log into the
    database and empty it.

    The last connection to close does that by itself when it can tell it is the last, yet
    once in about eighty stops of a two-worker server the log was left behind. Left, a
    1M-event import's log was 530 MB for the next process to read through before its
    first query (docs/performance-log.md). A reader or writer in another process can hold the
    checkpoint up: it waits a second at most, then leaves the log to the next checkpoint.
    """
    checkpoints.stop(engine)
    if engine.dialect.name == "sqlite":
        connection = engine.raw_connection()  # outside a transaction, which would hold it up
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout=1000")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            connection.close()
    engine.dispose()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read.

    On PostgreSQL they run without a transaction of their own: under READ COMMITTED each
    statement sees what was committed before it either way, so BEGIN and the closing
    ROLLBACK were two round trips that bought nothing. On SQLite a read keeps its
    transaction, which holds one snapshot for all its statements.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return make_session_factory(engine)


def insert_rows(
    connection: Connection,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    *,
    upsert: Insert | None = None,
) -> None:
    """Load ``rows`` (dicts with the same keys) in one statement on the driver: an
    executemany INSERT on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL, which loads them
    faster than INSERT statements (an import took a quarter less time, docs/performance-log.md).
    ``upsert``, an INSERT into ``model`` with an ON CONFLICT clause, runs once per row
    instead, on both (COPY cannot update a row it finds); so do rows loaded in a
    ``pipeline``, where COPY cannot run.

    ``connection.execute(insert(model), rows)`` builds each row's parameters anew through
    the compiled statement, which was a third of a bulk import's writing time; here each
    value goes through its column type's bind processor, as SQLAlchemy would bind it, into
    the driver's parameter rows, which go straight to the driver's cursor (SQLAlchemy's
    execution around each statement was a twelfth of a POST, docs/performance-log.md).
    """
    if not rows:
        return
    driver: Any = connection.connection.driver_connection
    copy = (
        connection.dialect.name == "postgresql"
        and upsert is None
        and driver.pgconn.pipeline_status == PipelineStatus.OFF
    )
    sql, binders, named = _bulk_load(connection.dialect, model, tuple(rows[0]), upsert, copy)
    values: list[Any] = _bound_rows(rows, binders)
    if named:
        names = [binder.key for binder in binders]
        values = [dict(zip(names, row, strict=True)) for row in values]
    cursor: Any = connection.connection.cursor()
    try:
        with _raised_as_sqlalchemy(connection.dialect, sql):
            if copy:
                with cursor.copy(sql) as load:
                    for row in values:
                        load.write_row(row)
            else:
                cursor.executemany(sql, values)
    finally:
        cursor.close()


@contextmanager
def _raised_as_sqlalchemy(dialect: Dialect, sql: str | None, args: Any = None) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy raises them (a taken key: IntegrityError),
    which ``app.errors`` maps to answers."""
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as error:
        raise DBAPIError.instance(sql, args, error, dbapi_error) from error


@contextmanager
def pipeline(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, send the block's statements without waiting for each one's answer:
    a POST's half a dozen loads cost one round trip to the server, not two each (COPY's),
    and it served a third more POSTs (docs/performance-log.md). So nothing in the block may
    read a statement's result, and a statement's error is raised at the end of the block,
    as SQLAlchemy raises it. For a few rows: for many, COPY (``insert_rows``) loads
    faster."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver: Any = connection.connection.driver_connection
    with _raised_as_sqlalchemy(connection.dialect, None), driver.pipeline():
        yield


def fetch_rows(
    bind: Engine | Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of a SELECT as the driver gives them (plain tuples; on SQLite a date is its
    ISO text): on a pooled driver connection of an engine, or in a connection's transaction
    (where it sees the writes before it).

    For the reads that clients repeat most (a page of events, one event, a key, whether an
    external id is taken): SQLAlchemy's execution around them (a session and its
    transaction, parameter processing, typed result rows) cost twice their SQL, and an ORM
    query for taken external ids was a fifteenth of a POST (docs/performance-log.md). One SELECT
    needs no transaction of its own: it reads one snapshot by itself. Each value goes
    through its type's bind processor, as SQLAlchemy would bind it.
    """
    postgresql = bind.dialect.name == "postgresql"
    dialect = _numbered(bind.dialect) if postgresql else bind.dialect
    state = _expanded(_compiled(statement, dialect), params)
    values = {
        name: state.processors[name](value) if name in state.processors else value
        for name, value in state.parameters.items()
    }
    args: Any = values if state.positiontup is None else [values[n] for n in state.positiontup]
    with _raised_as_sqlalchemy(bind.dialect, state.statement, args):
        if isinstance(bind, Connection):
            return _fetch(bind.connection, state.statement, args, raw=postgresql)
        connection = bind.raw_connection()
        driver: Any = connection.driver_connection
        try:
            if postgresql:  # no BEGIN and ROLLBACK around it (``make_read_session_factory``)
                driver.autocommit = True
            return _fetch(connection, state.statement, args, raw=postgresql)
        finally:
            if postgresql and not driver.closed:
                driver.autocommit = False  # as the pool hands connections out
            connection.close()


def _fetch(connection: Any, sql: str, args: Any, *, raw: bool) -> list[tuple[Any, ...]]:
    """``raw``: on psycopg, a cursor that sends the query as it is (``_numbered``)."""
    cursor = psycopg.RawCursor(connection.driver_connection) if raw else connection.cursor()
    try:
        cursor.execute(sql, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


@cache
def _numbered(dialect: Dialect) -> Dialect:
    """``dialect`` writing its parameters as PostgreSQL's own $1, $2, ...: psycopg's usual
    cursor rewrites each query's %(name)s into them, and keeps the rewritten query only
    when it is under 4 KB. A radius search over four cells is longer, and rewriting it
    every time was over a quarter of its request's instructions (docs/performance-log.md)."""
    numbered = copy.copy(dialect)
    numbered.paramstyle, numbered.positional = "numeric_dollar", True
    return numbered


def _expanded(compiled: SQLCompiler, params: Mapping[str, Any]) -> ExpandedState:
    """The statement with its lists expanded (``IN (?, ?)``) and ``params`` under the
    expanded names. The SQL depends only on how long each list is, so it is built once per
    lengths: building it took 10 us for scenario A's page, against 2.5 us this way
    (docs/performance-log.md)."""
    lengths = tuple(len(params[name]) for name in _lists(compiled) if name in params)
    shape = _SHAPES.get((compiled, lengths))
    if shape is None:
        if len(_SHAPES) >= 4096:  # lists of ever new lengths: start over
            _SHAPES.clear()
        shape = _SHAPES[compiled, lengths] = compiled.construct_expanded_state(params)
    parameters = dict(shape.parameters)
    for name, value in params.items():
        expanded = shape.parameter_expansion.get(name)
        if expanded is None:
            parameters[name] = value
        else:
            parameters.update(zip(expanded, value, strict=True))
    return shape._replace(parameters=parameters)


# Each statement's expanded state, by its lists' lengths (``_expanded``).
_SHAPES: dict[tuple[SQLCompiler, tuple[int, ...]], ExpandedState] = {}


@lru_cache(maxsize=1024)
def _lists(compiled: SQLCompiler) -> tuple[str, ...]:
    """The names of the statement's expanding parameters (lists)."""
    return tuple(name for name, bind in compiled.binds.items() if bind.expanding)


@lru_cache(maxsize=1024)
def _compiled(statement: ClauseElement, dialect: Dialect) -> SQLCompiler:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


def create_missing_indexes(connection: Connection, indexes: Iterable[Index]) -> None:
    """Build any of ``indexes`` that the database lacks (an import sets the events' aside
    while it loads, ``app.services.importer``).

    SQLite sorts each index's entries on one thread unless told otherwise; with one per
    core, an index over a million events took 1.51 s instead of 2.06 s
    (docs/performance-log.md).
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA threads={os.cpu_count() or 1}")
    try:
        for index in indexes:
            connection.execute(CreateIndex(index, if_not_exists=True))
    finally:
        if sqlite:  # as the pool's other connections are
            connection.exec_driver_sql("PRAGMA threads=0")


class Binder(NamedTuple):
    key: str
    process: Callable[[Any], Any] | None  # the type's bind processor; None: taken as it is
    repeats: bool  # a date or a time, which many rows of one write share


# From about this many rows on, binding a column at a time is the faster way: for an
# events row, 17 us a row either way at 4 rows, 6 against 16 at 64 (``_bound_rows``).
_MANY_ROWS = 4


def _bound_rows(rows: Sequence[dict[str, Any]], binders: list[Binder]) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them. Many rows are bound a column at a time
    (``_bound_column``): binding them row by row was a third of a bulk import's writing
    time. A few are bound row by row: a column at a time costs a few list and function
    calls per column, and one events row (a POST's) took 46 us that way against 18."""
    if len(rows) < _MANY_ROWS:
        return [
            tuple(
                [row[key] if process is None else process(row[key]) for key, process, _ in binders]
            )
            for row in rows
        ]
    return list(zip(*(_bound_column(rows, binder) for binder in binders), strict=True))


def _bound_column(rows: Sequence[dict[str, Any]], binder: Binder) -> list[Any]:
    """One column's values as the driver takes them: the loops run in C (``map``), and
    each distinct date or time is bound once (a write's rows share their times, and an
    import's many dates repeat)."""
    values = list(map(itemgetter(binder.key), rows))
    process = binder.process
    if process is None:
        return values
    if binder.repeats:
        bound = {value: process(value) for value in set(values)}
        return list(map(bound.__getitem__, values))
    return list(map(process, values))


@cache
def _bulk_load(
    dialect: Dialect, model: type[Base], keys: tuple[str, ...], upsert: Insert | None, copy: bool
) -> tuple[str, list[Binder], bool]:
    """The statement that loads rows of these columns (``insert_rows``), how to bind each
    parameter in the statement's order, and whether the driver takes them by name."""
    if copy:
        quote = dialect.identifier_preparer
        names = ", ".join(quote.quote(key) for key in keys)
        sql = f"COPY {quote.format_table(model.__table__)} ({names}) FROM STDIN"
        order: Sequence[str] = keys
        named = False
    else:
        statement = insert(model) if upsert is None else upsert
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
        sql, order, named = str(compiled), compiled.positiontup or keys, not compiled.positional
        assert set(order) == set(keys)
    types = {key: model.__table__.c[key].type for key in keys}
    binders = [
        Binder(
            key,
            types[key].dialect_impl(dialect).bind_processor(dialect),
            isinstance(types[key], Date | DateTime | UTCDateTime),
        )
        for key in order
    ]
    return sql, binders, named


# Any constant works; it names the lock that PostgreSQL writers take in turn.
_WRITE_LOCK_ID = 0x5172E9


def begin_write(session: Session) -> None:
    """Start the session's transaction as the one writer at a time.

    SQLite allows one writer anyway; on PostgreSQL an advisory lock does the same. Writers
    in turn mean ``updated_at`` rises in commit order, so a sync client paging by it never
    skips a change that commits late; and racing writers queue instead of failing.
    """
    connection = session.connection(execution_options={"sqlite_immediate": True})
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _WRITE_LOCK_ID})


def sqlite_path(engine: Engine) -> str | None:
    """The file of an SQLite database, beside which processes sharing it keep files of
    their own (``_writers_turn``, ``app.services.keys``); None for PostgreSQL or an
    in-memory database."""
    url = engine.url
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path.startswith((":", "file:")):
        return None
    return path


@contextmanager
def _writers_turn(session: Session) -> Iterator[None]:
    """On SQLite, wait for this writer's turn on a lock file beside the database.

    SQLite lets one writer in and makes the others poll, sleeping up to 100 ms between
    tries, so under steady writes from two processes an unlucky writer kept missing its
    chance (POST p99 1.5 s). ``flock`` queues writers of every process in the kernel and
    wakes the next one as soon as the lock is free. Each turn opens its own file, so the
    lock may be released by another thread than the one that took it.
    """
    path = sqlite_path(session.get_bind().engine)
    if path is None:
        yield
        return
    try:
        handle = open(f"{path}-writer", "ab")  # noqa: SIM115 (held across the yield)
    except OSError:
        yield  # a read-only directory: SQLite will refuse the write and say why
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with factory() as session, _writers_turn(session) if write else nullcontext():
        if write:
            begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

"""An import's chunk handed over as an SQLite file, from the process that prepared it to
the one that writes it (on SQLite).

The preparing process writes every row the chunk's events add into a file of its own,
stamped with a stand-in time. The writer attaches the file and copies each table with one
``INSERT ... SELECT``, putting its own time in place of the stand-in as it copies (writers
stamp in turn, ``app.db.begin_write``). So no Python runs for a row in the writer, which
spent about 100 us of CPU an event at 1M where it had spent about 160 receiving the
prepared events pickled and binding their rows (docs/performance-log.md); the preparing
processes do that work instead, and there can be as many of them as CPUs.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Table,
    TableClause,
    bindparam,
    column,
    func,
    insert,
    select,
    table,
)

from app.auth import Principal
from app.db import create_scratch_engine, insert_rows
from app.models import (
    Actor,
    Base,
    Event,
    EventLine,
    EventRollup,
    EventTag,
    PendingLine,
    Revision,
    Source,
)
from app.services import events, rollup
from app.services.events import NewEvent

_STAND_IN = datetime(2000, 1, 1, tzinfo=UTC)
_END_NAMES = ("document_end", "line_end")  # what ``events.stamp_ends`` gives, in its order
_STAND_IN_ENDS = dict(zip(_END_NAMES, events.stamp_ends(_STAND_IN, _STAND_IN), strict=True))
# The tables a chunk's rows go into, in the order they are copied (children after their
# events); its lines go into ``event_lines`` or, while they wait, ``event_lines_pending``.
_COPIED: tuple[type[Base], ...] = (Event, Actor, Source, EventTag, EventLine, Revision)
# The columns that hold the time of writing, and the column that ends with it and its end.
_TIMES = {Event: ("created_at", "updated_at"), Revision: ("changed_at",)}
_ENDS = {
    Event: ("document", "document_end"),
    Revision: ("document", "document_end"),
    EventLine: ("csv_row", "line_end"),
}


def write(path: Path, prepared: list[NewEvent], principal: Principal) -> None:
    """Write every row the events add, and the rollup's changes, into a new file."""
    rows = events.rows_stamped(prepared, principal, at=_STAND_IN)
    engine = create_scratch_engine(path)
    try:
        with engine.begin() as connection:
            for model, values in rows.items():
                if values:
                    names = ", ".join(f'"{name}"' for name in values[0])
                    connection.exec_driver_sql(f"CREATE TABLE {model.__tablename__} ({names})")
                    insert_rows(connection, model, values)
    finally:
        engine.dispose()


@contextmanager
def attached(connection: Connection, path: Path) -> Iterator[None]:
    """The file attached to ``connection`` as ``chunk``; SQLite attaches only outside a
    transaction, so before the connection begins one."""
    driver: Any = connection.connection.driver_connection
    driver.execute("ATTACH DATABASE ? AS chunk", (str(path),))
    try:
        yield
    finally:
        driver.execute("DETACH DATABASE chunk")


def copy(connection: Connection, *, lines: type[EventLine | PendingLine]) -> int | None:
    """Copy the attached chunk's rows into the database, stamped now: how many events, or
    None, with nothing copied, if one of their external ids is stored already (an update,
    which the file's rows cannot make)."""
    tables = _tables(connection)
    if connection.execute(_taken(tables["events"])).first() is not None:
        return None
    now = datetime.now(UTC)
    params = {"now": now, **dict(zip(_END_NAMES, events.stamp_ends(now, now), strict=True))}
    for model in _COPIED:
        if model.__tablename__ in tables:
            target = lines if model is EventLine else model
            connection.execute(_copy(model, target, tables[model.__tablename__]), params)
    if EventRollup.__tablename__ in tables:
        rollup.add_from(connection, tables[EventRollup.__tablename__])
    return connection.execute(select(func.count()).select_from(tables["events"])).scalar_one()


def _tables(connection: Connection) -> dict[str, TableClause]:
    """The chunk's tables by name (a table no row went into is missing)."""
    names = connection.exec_driver_sql(
        "SELECT name FROM chunk.sqlite_master WHERE type = 'table'"
    ).scalars()
    return {
        name: _table(
            name,
            tuple(row[1] for row in connection.exec_driver_sql(f"PRAGMA chunk.table_info({name})")),
        )
        for name in names
    }


@cache
def _table(name: str, columns: tuple[str, ...]) -> TableClause:
    return table(name, *map(column, columns), schema="chunk")


@cache
def _taken(chunk_events: TableClause) -> Select[tuple[str]]:
    """The id of a stored event with an external id of the chunk's, if there is one."""
    events_table: Table = Event.__table__  # type: ignore[assignment]
    return (
        select(events_table.c.id)
        .where(events_table.c.external_id.in_(select(chunk_events.c.external_id)))
        .limit(1)
    )


@cache
def _copy(model: type[Base], target: type[Base], source: TableClause) -> Insert:
    """``INSERT INTO target ... SELECT ... FROM source``, stamping as ``events._stamp``
    does: the time columns get the time of writing, and the stand-in end of a document or
    line gives way to the real one."""
    times = _TIMES.get(model, ())
    ended, end = _ENDS.get(model, ("", ""))
    target_columns: Any = target.__table__.c

    def value(name: str) -> Any:
        given = source.c[name]
        if name in times:
            return bindparam("now", type_=target_columns[name].type)
        if name == ended:
            kept = func.substr(given, 1, func.length(given) - len(_STAND_IN_ENDS[end]))
            return kept.op("||")(bindparam(end))
        return given

    names = list(source.c.keys())
    return insert(target).from_select(names, select(*map(value, names)))

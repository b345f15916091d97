"""Bulk import from a file, in chunks each written whole or not at all.

Unlike the other services this one commits: each chunk is its own transaction, so a
million-row import neither holds one huge transaction nor loses earlier chunks when a
later row is bad.
"""

import csv
import itertools
import multiprocessing
import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import DropIndex

from app import collector
from app.auth import Principal, Scope
from app.db import create_missing_indexes, transaction
from app.errors import AppError
from app.geo.gazetteer import Gazetteer
from app.interchange import acled, flat, ucdp
from app.models import Event, EventLine, PendingLine
from app.models.event import EVENT_INDEXES
from app.schemas.event import EventCreate
from app.services import chunk_files, events

IMPORTER = Principal(name="import", scopes=frozenset({Scope.ADMIN, Scope.WRITE, Scope.READ}))
# Rows a transaction writes by default: 2,000 imported 100k events about 12% faster than
# 500 (docs/performance-log.md), and a bad row still costs only its own chunk.
DEFAULT_CHUNK_SIZE = 2000


class ImportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    ACLED = "acled"
    UCDP = "ucdp"


_CSV_READERS: dict[ImportFormat, Callable[[dict[str, str]], dict[str, Any]]] = {
    ImportFormat.CSV: flat.from_row,
    ImportFormat.ACLED: acled.from_row,
    ImportFormat.UCDP: ucdp.from_row,
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class BadRow(Exception):
    """A row that cannot be imported: where it is and what is wrong."""

    def __init__(self, line: int, field: str, msg: str, chunk_start: int) -> None:
        super().__init__(f"line {line}: {field}: {msg}")
        self.line, self.field, self.msg, self.chunk_start = line, field, msg, chunk_start

    def __reduce__(self) -> tuple[type["BadRow"], tuple[int, str, str, int]]:
        # Raised in a worker process, it travels back pickled.
        return BadRow, (self.line, self.field, self.msg, self.chunk_start)


# (line number, record as read: an NDJSON line, a CSV row, or where the text ends, ``NotText``)
Chunk = list[tuple[int, Any]]


class NotText(NamedTuple):
    """The record where the file stops being UTF-8 text (one saved in Latin-1, say): the
    import stops there, naming the ``line``."""

    line: int


def read_records(path: Path, fmt: ImportFormat) -> Iterator[tuple[int, Any]]:
    """(line number, record) for each record of the file, up to a ``NotText``;
    ``_event_body`` reads them."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        not_text: list[NotText] = []
        lines = _text_lines(handle, not_text)
        if fmt == ImportFormat.NDJSON:
            yield from ((n, line) for n, line in enumerate(lines, 1) if line.strip())
            yield from ((bad.line, bad) for bad in not_text)
            return
        reader = csv.DictReader(lines)
        last = None
        for row in reader:
            if last is not None:
                yield last
            last = reader.line_num, row
        if not_text:
            # The last row read may end inside a quoted cell, cut short: it stops with the rest.
            yield (last[0] if last else not_text[0].line), not_text[0]
        elif last is not None:
            yield last


def _text_lines(handle: TextIO, not_text: list[NotText]) -> Iterator[str]:
    """The lines of ``handle`` up to the first that is not UTF-8, which goes in ``not_text``
    (read with ``surrogateescape``, its bytes became surrogates, which UTF-8 cannot
    encode)."""
    for number, line in enumerate(handle, 1):
        if not line.isascii():
            try:
                line.encode()
            except UnicodeEncodeError:
                not_text.append(NotText(number))
                return
        yield line


def _event_body(fmt: ImportFormat, line: int, record: Any, chunk_start: int) -> Any:
    """The event body a record holds; a served event (an NDJSON export) loses the fields
    the server sets."""
    if isinstance(record, NotText):
        raise BadRow(record.line, "-", "not UTF-8 text (save the file as UTF-8)", chunk_start)
    if fmt != ImportFormat.NDJSON:
        return _CSV_READERS[fmt](record)
    try:
        body = orjson.loads(record)
    except orjson.JSONDecodeError:
        raise BadRow(line, "-", "not a JSON object", chunk_start) from None
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k in events.WRITABLE_FIELDS}
    return body


def count_records(path: Path, fmt: ImportFormat) -> int:
    """About how many records the file holds (for progress; CSV cells may span lines)."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines if fmt == ImportFormat.NDJSON else max(lines - 1, 0)


def import_file(
    factory: sessionmaker[Session],
    gazetteer: Gazetteer,
    path: Path,
    fmt: ImportFormat,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = 0,
    progress: Callable[[int], None] = lambda _: None,
) -> ImportResult:
    """Import every record; raises ``BadRow`` at the first bad one (its chunk unwritten).

    With ``workers``, that many processes read and validate chunks and build their rows
    while this one writes the chunks before them, in file order.
    """
    result = ImportResult()
    records = read_records(path, fmt)
    chunks = iter(lambda: list(itertools.islice(records, chunk_size)), [])
    with (
        _loading_in_bulk(factory) as empty,
        _chunk_folder(factory) as folder,
        # Closed first, so that no worker is still writing into the folder as it goes.
        closing(_prepared(fmt, chunks, gazetteer, workers, folder)) as prepared_chunks,
    ):
        for chunk, prepared in prepared_chunks:
            _write_chunk(factory, gazetteer, fmt, chunk, prepared, result, lines_pending=empty)
            progress(len(chunk))
    _refresh_statistics(factory)
    return result


def default_workers(factory: sessionmaker[Session]) -> int:
    """As many as the CPUs on SQLite, where the writer runs little Python (``chunk_files``);
    on PostgreSQL the writer binds every row for COPY, so it keeps a CPU for itself."""
    cpus = os.cpu_count() or 1
    return cpus if _engine(factory).dialect.name == "sqlite" else max(cpus - 1, 1)


@contextmanager
def _chunk_folder(factory: sessionmaker[Session]) -> Iterator[Path | None]:
    """On SQLite, a temporary folder for the chunks' files (``chunk_files``), removed when
    the import ends (a killed import leaves it to the system's cleaning of temporary
    files); None on PostgreSQL, where the writer loads prepared events with COPY."""
    if _engine(factory).dialect.name != "sqlite":
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="sitrep-import-") as folder:
        yield Path(folder)


def _engine(factory: sessionmaker[Session]) -> Engine:
    with factory() as session:
        engine = session.get_bind()
    assert isinstance(engine, Engine)
    return engine


@contextmanager
def _loading_in_bulk(factory: sessionmaker[Session]) -> Iterator[bool]:
    """Whether the database is empty; if so, load the events first and build their indexes
    and write their CSV lines after.

    Both databases build an index from the loaded rows much faster than they update ten
    with every insert (docs/performance-log.md); the primary key and the unique external id
    stay, as the import looks ids up on them. The lines are written in one pass in date
    order (``events.write_pending_lines``): until then a CSV export lacks the imported
    events. However the import ends, the indexes are built and the lines written; if it is
    killed, the next migration (``sitrep`` runs one before any command that opens the
    database) does both."""
    with transaction(factory, write=True) as session:
        empty = session.scalar(select(Event.id).limit(1)) is None
        if empty:
            for index in EVENT_INDEXES:
                session.execute(DropIndex(index, if_exists=True))
    try:
        yield empty
    finally:
        if empty:
            with transaction(factory, write=True) as session:
                events.write_pending_lines(session.connection())
                create_missing_indexes(session.connection(), EVENT_INDEXES)


Prepared = list[tuple[int, events.NewEvent]]


def _prepared(
    fmt: ImportFormat,
    chunks: Iterator[Chunk],
    gazetteer: Gazetteer,
    workers: int,
    folder: Path | None,
) -> Generator[tuple[Chunk, Prepared | Path]]:
    """Each chunk with its events prepared, or their rows written into a file in
    ``folder`` (``chunk_files``), in file order; with workers, up to one chunk per worker
    is prepared ahead of the one being written."""
    if workers == 0:
        for chunk in chunks:
            yield chunk, _prepare(fmt, chunk, gazetteer, folder)
        return
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(gazetteer.path,),
    ) as pool:
        pending: deque[tuple[Chunk, Future[Prepared | Path]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_prepare_in_worker, fmt, chunk, folder)))
            if len(pending) > workers:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()


_worker_gazetteer: Gazetteer | None = None


def _start_worker(gazetteer_path: Path) -> None:
    global _worker_gazetteer
    _worker_gazetteer = Gazetteer(gazetteer_path)
    _exit_with_parent()
    # Freezing the module objects halved the time per event (``app.collector``).
    collector.settle()


def _exit_with_parent() -> None:
    """End this worker when the import that started it ends, even killed: a pool worker
    would otherwise wait for chunks for ever."""
    parent = multiprocessing.parent_process()
    assert parent is not None

    def watch() -> None:
        parent.join()  # until the parent process is gone
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _prepare_in_worker(fmt: ImportFormat, chunk: Chunk, folder: Path | None) -> Prepared | Path:
    assert _worker_gazetteer is not None
    return _prepare(fmt, chunk, _worker_gazetteer, folder)


def _prepare(
    fmt: ImportFormat, chunk: Chunk, gazetteer: Gazetteer, folder: Path | None
) -> Prepared | Path:
    """The chunk's events prepared; with a ``folder``, the file their rows went into."""
    if folder is None:
        return _prepare_chunk(fmt, chunk, gazetteer)
    path = folder / f"{chunk[0][0]}.sqlite"
    with collector.paused():
        prepared = _prepare_chunk(fmt, chunk, gazetteer)
        chunk_files.write(path, [event for _, event in prepared], IMPORTER)
        del prepared  # freed before the collector resumes (``collector.paused``)
    return path


def _prepare_chunk(fmt: ImportFormat, chunk: Chunk, gazetteer: Gazetteer) -> Prepared:
    """Read and validate each record and build its rows as a new event (no database)."""
    start = chunk[0][0]
    validated = [(line, _validated(fmt, line, record, start)) for line, record in chunk]
    try:
        prepared = events.prepare([e for _, e in validated], gazetteer=gazetteer, batch=True)
    except AppError as exc:
        raise _row_error(exc, validated, start) from None
    return [(line, new) for (line, _), new in zip(validated, prepared, strict=True)]


def _validated(fmt: ImportFormat, line: int, record: Any, start: int) -> EventCreate:
    try:
        return EventCreate.model_validate(_event_body(fmt, line, record, start))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "-"
        raise BadRow(line, field, str(error["msg"]).removeprefix("Value error, "), start) from None


def _refresh_statistics(factory: sessionmaker[Session]) -> None:
    """Until autovacuum comes round after a bulk load, PostgreSQL has neither statistics (it
    may plan a million-row table as if it were empty) nor a visibility map (no index-only
    scans, so stats read the whole table); VACUUM ANALYZE gives it both now."""
    engine = _engine(factory)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _write_chunk(
    factory: sessionmaker[Session],
    gazetteer: Gazetteer,
    fmt: ImportFormat,
    chunk: Chunk,
    prepared: Prepared | Path,
    result: ImportResult,
    *,
    lines_pending: bool,
) -> None:
    """Store the chunk's new events and update those whose external id is already stored."""
    if isinstance(prepared, Path):
        created = _copy_chunk_file(factory, prepared, lines_pending=lines_pending)
        prepared.unlink()
        if created is not None:
            result.created += created
            return
        # Some of its events are updates, which the file cannot make.
        prepared = _prepare_chunk(fmt, chunk, gazetteer)
    start = chunk[0][0]
    with transaction(factory, write=True) as session:
        known = events.existing_external_ids(
            session.connection(),
            [e.row["external_id"] for _, e in prepared if e.row["external_id"]],
        )
        new = [(line, e) for line, e in prepared if e.row["external_id"] not in known]
        try:
            events.store(session, [e for _, e in new], IMPORTER, lines_pending=lines_pending)
        except AppError as exc:
            raise _row_error(exc, new, start) from None
        result.created += len(new)
        records = dict(chunk)
        for line, prepared_event in prepared:
            event_id = known.get(prepared_event.row["external_id"] or "")
            if event_id is None:
                continue
            event = _validated(fmt, line, records[line], start)
            try:
                _, changed = events.update_event(
                    session,
                    event_id=event_id,
                    patch=event.model_dump(mode="json"),
                    principal=IMPORTER,
                    gazetteer=gazetteer,
                    if_match=None,
                )
            except AppError as exc:
                raise BadRow(line, "-", str(exc), start) from None
            result.updated += changed
            result.unchanged += not changed


def _copy_chunk_file(
    factory: sessionmaker[Session], path: Path, *, lines_pending: bool
) -> int | None:
    """``chunk_files.copy`` in a transaction of its own."""
    lines = PendingLine if lines_pending else EventLine
    with (
        _engine(factory).connect() as connection,
        chunk_files.attached(connection, path),
        transaction(sessionmaker(bind=connection), write=True) as session,
    ):
        return chunk_files.copy(session.connection(), lines=lines)


def _row_error(exc: AppError, rows: Sequence[tuple[int, object]], start: int) -> BadRow:
    """Name the file line of the batch item an error speaks of."""
    errors = exc.errors or []
    loc = errors[0]["loc"] if errors else []
    index = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else exc.extensions.get("index")
    line = rows[index][0] if isinstance(index, int) and index < len(rows) else start
    field = ".".join(str(p) for p in loc[3:]) or "-"
    msg = errors[0]["msg"] if errors else str(exc)
    return BadRow(line, field, msg, start)

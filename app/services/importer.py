"""Bulk import from a file, in chunks each written whole or not at all.

Unlike the other services this one commits: each chunk is its own transaction, so a
million-row import neither holds one huge transaction nor loses earlier chunks when a
later row is bad.
"""

import csv
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.auth import Principal, Scope
from app.db import transaction
from app.errors import AppError
from app.geo.gazetteer import Gazetteer
from app.interchange import acled, flat, ucdp
from app.schemas.event import EventCreate
from app.services import events

IMPORTER = Principal(name="import", scopes=frozenset({Scope.ADMIN, Scope.WRITE, Scope.READ}))


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


@dataclass
class Unreadable:
    """A record that could not be read at all; reported when its chunk is checked."""

    reason: str


class BadRow(Exception):
    """A row that cannot be imported: where it is and what is wrong."""

    def __init__(self, line: int, field: str, msg: str, chunk_start: int) -> None:
        super().__init__(f"line {line}: {field}: {msg}")
        self.line, self.field, self.msg, self.chunk_start = line, field, msg, chunk_start


def read_bodies(path: Path, fmt: ImportFormat) -> Iterator[tuple[int, Any]]:
    """(line number, event body) for each record of the file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if fmt == ImportFormat.NDJSON:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield number, _writable(orjson.loads(line))
                    except orjson.JSONDecodeError:
                        yield number, Unreadable("not a JSON object")
            return
        reader = csv.DictReader(handle)
        to_body = _CSV_READERS[fmt]
        for row in reader:
            yield reader.line_num, to_body(row)


def _writable(body: Any) -> Any:
    """A served event (an NDJSON export) less the fields the server sets."""
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
    chunk_size: int = 500,
    progress: Callable[[int], None] = lambda _: None,
) -> ImportResult:
    """Import every record; raises ``BadRow`` at the first bad one (its chunk unwritten)."""
    result = ImportResult()
    records = read_bodies(path, fmt)
    while chunk := list(itertools.islice(records, chunk_size)):
        _import_chunk(factory, gazetteer, chunk, result)
        progress(len(chunk))
    _refresh_statistics(factory)
    return result


def _refresh_statistics(factory: sessionmaker[Session]) -> None:
    """Until autovacuum comes round after a bulk load, PostgreSQL has neither statistics (it
    may plan a million-row table as if it were empty) nor a visibility map (no index-only
    scans, so stats read the whole table); VACUUM ANALYZE gives it both now."""
    with factory() as session:
        engine = session.get_bind()
    if isinstance(engine, Engine) and engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _import_chunk(
    factory: sessionmaker[Session],
    gazetteer: Gazetteer,
    chunk: list[tuple[int, Any]],
    result: ImportResult,
) -> None:
    start = chunk[0][0]
    validated: list[tuple[int, EventCreate]] = []
    for line, body in chunk:
        if isinstance(body, Unreadable):
            raise BadRow(line, "-", body.reason, start)
        try:
            validated.append((line, EventCreate.model_validate(body)))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "-"
            raise BadRow(
                line, field, str(error["msg"]).removeprefix("Value error, "), start
            ) from None
    with transaction(factory, write=True) as session:
        known = events.existing_external_ids(
            session, [e.external_id for _, e in validated if e.external_id]
        )
        new = [(line, e) for line, e in validated if e.external_id not in known]
        try:
            events.create(
                session,
                events=[e for _, e in new],
                principal=IMPORTER,
                gazetteer=gazetteer,
                batch=True,
            )
        except AppError as exc:
            raise _row_error(exc, new, start) from None
        result.created += len(new)
        for line, event in validated:
            event_id = known.get(event.external_id or "")
            if event_id is None:
                continue
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


def _row_error(exc: AppError, rows: list[tuple[int, EventCreate]], start: int) -> BadRow:
    """Name the file line of the batch item an error speaks of."""
    errors = exc.errors or []
    loc = errors[0]["loc"] if errors else []
    index = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else exc.extensions.get("index")
    line = rows[index][0] if isinstance(index, int) and index < len(rows) else start
    field = ".".join(str(p) for p in loc[3:]) or "-"
    msg = errors[0]["msg"] if errors else str(exc)
    return BadRow(line, field, msg, start)

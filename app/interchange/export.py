"""Writing served events (JSON documents) in each export format, as a byte stream."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any

import orjson

from app.interchange import acled, flat, geojson


class ExportFormat(StrEnum):
    JSON = "json"
    GEOJSON = "geojson"
    CSV = "csv"
    NDJSON = "ndjson"
    ACLED = "acled"


MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.GEOJSON: geojson.MEDIA_TYPE,
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.ACLED: "text/csv; charset=utf-8",
}
# Formats a client may choose by Accept alone (ACLED needs format=acled).
BY_ACCEPT = {
    geojson.MEDIA_TYPE: ExportFormat.GEOJSON,
    "text/csv": ExportFormat.CSV,
    "application/x-ndjson": ExportFormat.NDJSON,
}
# Formats the API streams whole when no ``limit`` is given.
STREAMED = {ExportFormat.CSV, ExportFormat.NDJSON, ExportFormat.ACLED}


def from_accept(accept: str) -> ExportFormat:
    for media_type, fmt in BY_ACCEPT.items():
        if media_type in accept:
            return fmt
    return ExportFormat.JSON


def _csv(
    columns: list[str], to_row: Callable[[dict[str, Any]], list[Any]], documents: Iterable[str]
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for count, document in enumerate(documents, 1):
        writer.writerow(to_row(orjson.loads(document)))
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def flat_csv(lines: Iterable[str], chunk_rows: int = 1000) -> Iterator[bytes]:
    """The flat CSV export from stored lines (``event_lines.csv_row``): no document is parsed.

    Each line is encoded alone: a str joined from them is wide if one line is not ASCII
    (one in nine at 1M events), and encoding it whole made each chunk 1.6 times as slow to
    put together (docs/performance-log.md).
    """
    chunk = [flat.HEADER.encode()]
    for line in lines:
        chunk.append(line.encode())
        if len(chunk) >= chunk_rows:
            yield b"".join(chunk)
            chunk = []
    yield b"".join(chunk)


def _geojson(documents: Iterable[str]) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    for count, document in enumerate(documents):
        yield (b"," if count else b"") + orjson.dumps(geojson.feature(orjson.loads(document)))
    yield b"]}"


def render(fmt: ExportFormat, documents: Iterable[str]) -> Iterator[bytes]:
    """The bytes of a whole export from documents, consumed lazily (the flat CSV has
    ``flat_csv``)."""
    if fmt == ExportFormat.NDJSON:
        return ((document + "\n").encode() for document in documents)
    if fmt == ExportFormat.ACLED:
        return _csv(acled.COLUMNS, acled.to_row, documents)
    if fmt == ExportFormat.GEOJSON:
        return _geojson(documents)
    raise ValueError(f"{fmt} is not a streamed format")

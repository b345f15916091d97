"""One row per event, flat columns a spreadsheet user can read; and back again.

List cells (actors, sources, tags) hold items separated by ``"; "``; an actor is written
``name (role)``. Importing this CSV gives each event one killed and one injured claim,
from the ``fatalities_best`` and ``injured_best`` columns.
"""

import csv
import threading
from collections.abc import Iterable
from typing import Any

COLUMNS = [
    "id",
    "external_id",
    "occurred_on",
    "date_precision",
    "event_type",
    "sub_event_type",
    "title",
    "description",
    "location",
    "admin1",
    "country",
    "latitude",
    "longitude",
    "location_precision",
    "fatalities_low",
    "fatalities_best",
    "fatalities_high",
    "injured_low",
    "injured_best",
    "injured_high",
    "actors",
    "sources",
    "tags",
    "damage",
    "status",
    "version",
    "updated_at",
]
SEPARATOR = "; "
HEADER = ",".join(COLUMNS) + "\n"


def to_row(event: dict[str, Any]) -> list[Any]:
    """The CSV cells of a served event, in ``COLUMNS`` order (a tombstone gives its few
    known cells; ``None`` is written as an empty cell)."""
    get = event.get
    location = get("location") or {}
    fatalities = get("fatalities") or {}
    injured = get("injured") or {}
    return [
        get("id"),
        get("external_id"),
        get("occurred_on"),
        get("date_precision"),
        get("event_type"),
        get("sub_event_type"),
        get("title"),
        get("description"),
        location.get("name"),
        location.get("admin1"),
        location.get("country"),
        location.get("latitude"),
        location.get("longitude"),
        location.get("precision"),
        fatalities.get("low"),
        fatalities.get("best"),
        fatalities.get("high"),
        injured.get("low"),
        injured.get("best"),
        injured.get("high"),
        SEPARATOR.join(f"{a['name']} ({a['role']})" for a in get("actors", ())),
        SEPARATOR.join(s["name"] for s in get("sources", ())),
        SEPARATOR.join(get("tags", ())),
        SEPARATOR.join(get("damage", ())),
        get("status"),
        get("version"),
        get("updated_at"),
    ]


class _LineWriter(threading.local):
    """A CSV writer per thread that keeps the one line it is given: ``writerow`` hands its
    file the whole line at once. Making a writer and a buffer for every line cost a quarter
    of writing it (6.3 against 4.7 us a line)."""

    def __init__(self) -> None:
        self.line = ""
        self.writer = csv.writer(self, lineterminator="\n")

    def write(self, line: str) -> None:
        self.line = line


_line_writer = _LineWriter()


def csv_line(event: dict[str, Any]) -> str:
    """The event as one line of this CSV. Each event's line is stored (``event_lines``), so
    an export joins stored lines; a change to ``COLUMNS`` or ``to_row`` therefore needs a
    migration that rewrites them."""
    _line_writer.writer.writerow(to_row(event))
    return _line_writer.line


def keep_cells(line: str, columns: Iterable[str]) -> str:
    """A line with only ``columns`` filled (a retraction as the public sees it)."""
    cells = dict(zip(COLUMNS, next(csv.reader([line])), strict=True))
    return csv_line({column: cells[column] or None for column in columns})


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(";") if item.strip()]


def _actor(text: str) -> dict[str, str]:
    name, _, role = text.rpartition(" (")
    if not name or not role.endswith(")"):
        return {"name": text, "role": "participant"}
    return {"name": name, "role": role[:-1]}


def from_row(row: dict[str, str]) -> dict[str, Any]:
    """An event body (to validate as ``EventCreate``) from a row of this CSV."""

    def get(column: str) -> str | None:
        value = (row.get(column) or "").strip()
        return value or None

    casualties = [
        {"kind": kind, "count": get(column)}
        for kind, column in (("killed", "fatalities_best"), ("injured", "injured_best"))
        if get(column) is not None
    ]
    location = {
        "name": get("location"),
        "admin1": get("admin1"),
        "country": get("country"),
        "latitude": get("latitude"),
        "longitude": get("longitude"),
        "precision": get("location_precision"),
    }
    body = {
        "external_id": get("external_id"),
        "title": get("title"),
        "description": get("description"),
        "event_type": get("event_type"),
        "sub_event_type": get("sub_event_type"),
        "occurred_on": get("occurred_on"),
        "date_precision": get("date_precision"),
        "location": {k: v for k, v in location.items() if v is not None},
        "actors": [_actor(a) for a in _items(get("actors"))],
        "casualties": casualties,
        "sources": [{"name": s} for s in _items(get("sources"))],
        "tags": _items(get("tags")),
        "damage": _items(get("damage")),
        "status": get("status"),
    }
    return {k: v for k, v in body.items() if v is not None}

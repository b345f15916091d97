"""One row per event, flat columns a spreadsheet user can read; and back again.

List cells (actors, sources, tags) hold items separated by ``"; "``; an actor is written
``name (role)``. Importing this CSV gives each event one killed and one injured claim,
from the ``fatalities_best`` and ``injured_best`` columns.
"""

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


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_row(event: dict[str, Any]) -> list[Any]:
    """The CSV cells of a served event (a tombstone gives its few known cells)."""
    location = event.get("location") or {}
    fatalities = event.get("fatalities") or {}
    injured = event.get("injured") or {}
    values = {
        **event,
        "location": location.get("name"),
        "admin1": location.get("admin1"),
        "country": location.get("country"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "location_precision": location.get("precision"),
        "fatalities_low": fatalities.get("low"),
        "fatalities_best": fatalities.get("best"),
        "fatalities_high": fatalities.get("high"),
        "injured_low": injured.get("low"),
        "injured_best": injured.get("best"),
        "injured_high": injured.get("high"),
        "actors": SEPARATOR.join(f"{a['name']} ({a['role']})" for a in event.get("actors", [])),
        "sources": SEPARATOR.join(s["name"] for s in event.get("sources", [])),
        "tags": SEPARATOR.join(event.get("tags", [])),
        "damage": SEPARATOR.join(event.get("damage", [])),
    }
    return [_cell(values.get(column)) for column in COLUMNS]


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

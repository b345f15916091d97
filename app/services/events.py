"""Event writes and single-event reads: create, patch, retract, history, as-of.

Every write stores the whole event as served (``events.document``), rewrites its
child rows, and appends a revision holding the diff and the new document.
"""

import secrets
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import Principal, Scope
from app.db import fetch_rows, insert_rows, pipeline
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    invalid_input,
)
from app.geo.distance import cell
from app.geo.gazetteer import Gazetteer
from app.geo.names import fold_name
from app.interchange import flat
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
from app.schemas.event import EventCreate
from app.schemas.vocabulary import Status
from app.services import rollup
from app.services.figures import figures
from app.services.periods import Interval, period_start
from app.services.places import Placed, place_location

WRITABLE_FIELDS = tuple(EventCreate.model_fields)
_CHILD_TABLES = (Actor, Source, EventTag)
# Fewer events than this are stored in one pipeline on PostgreSQL, more through COPY: by
# the time per event of each way, in-process (docs/performance-log.md).
_PIPELINED_EVENTS = 50


def new_event_id() -> str:
    """24 hex digits: milliseconds then randomness, so new rows land at the index's end."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


def fold(text: str) -> str:
    """Case- and space-insensitive key for name lookups."""
    return " ".join(text.split()).casefold()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _document(data: dict[str, Any], *, event_id: str, version: int) -> dict[str, Any]:
    """The event as served, but for its times (``_stamp``)."""
    return {
        "id": event_id,
        **data,
        "fatalities": figures(data["casualties"], "killed"),
        "injured": figures(data["casualties"], "injured"),
        "version": version,
    }


def _event_row(doc: dict[str, Any], event: EventCreate, placed: Placed) -> dict[str, Any]:
    """The ``events`` row, but for its times and document (``_stamp``). Its values come from
    the document, whose enums are already their values (the model's are read through a
    property call each, about sixteen an event), but for the dates, which the columns take
    as dates."""
    loc = doc["location"]
    latitude, longitude = loc["latitude"], loc["longitude"]
    fatalities, injured = doc["fatalities"], doc["injured"]
    return {
        "id": doc["id"],
        "external_id": doc["external_id"],
        "title": doc["title"],
        "description": doc["description"],
        "event_type": doc["event_type"],
        "sub_event_type": doc["sub_event_type"],
        "occurred_on": event.occurred_on,
        "occurred_at": event.occurred_at,
        "week_start": period_start(event.occurred_on, Interval.WEEK),
        "month_start": period_start(event.occurred_on, Interval.MONTH),
        "date_precision": doc["date_precision"],
        "location_name": loc["name"],
        "location_key": fold_name(loc["name"]),
        "admin1": loc["admin1"],
        "admin1_key": fold_name(loc["admin1"]) if loc["admin1"] else None,
        "country": loc["country"],
        "latitude": latitude,
        "longitude": longitude,
        "location_precision": loc["precision"],
        "place_id": placed.place_id,
        "admin1_code": placed.admin1_code,
        "geo_cell": None if latitude is None or longitude is None else cell(latitude, longitude),
        "damage": doc["damage"],
        "status": doc["status"],
        "fatalities_low": fatalities["low"],
        "fatalities_best": fatalities["best"],
        "fatalities_high": fatalities["high"],
        "injured_low": injured["low"],
        "injured_best": injured["best"],
        "injured_high": injured["high"],
        "version": doc["version"],
    }


def _child_rows(doc: dict[str, Any], event: EventCreate) -> dict[type[Base], list[dict[str, Any]]]:
    """The rows of the event's lists, from its document as ``_event_row`` reads them: each
    item's fields are its table's columns."""
    event_id = doc["id"]
    return {
        Actor: [
            {"event_id": event_id, "position": i, **a, "name_key": fold(a["name"])}
            for i, a in enumerate(doc["actors"])
        ],
        Source: [
            {
                "event_id": event_id,
                "position": i,
                **s,
                "name_key": fold(s["name"]),
                "published_on": source.published_on,
            }
            for i, (s, source) in enumerate(zip(doc["sources"], event.sources, strict=True))
        ],
        EventTag: [
            {"event_id": event_id, "tag": tag}
            for tag in dict.fromkeys(fold(t) for t in doc["tags"])
        ],
    }


def _insert_children(connection: Connection, rows: dict[type[Base], list[dict[str, Any]]]) -> None:
    """One executemany per table on the driver, not the ORM's bulk path."""
    for model, values in rows.items():
        insert_rows(connection, model, values)


def _revision(
    row: dict[str, Any], *, action: str, principal: Principal, changes: dict[str, Any]
) -> dict[str, Any]:
    """The ``revisions`` row of a write that left the event with this stamped row."""
    return {
        "event_id": row["id"],
        "version": row["version"],
        "action": action,
        "changed_at": row["updated_at"],
        "key_name": principal.name,
        "changes": changes,
        "document": row["document"],  # serialised once, for the event row and its revision
    }


_BY_EXTERNAL_ID = select(Event.external_id, Event.id).where(
    Event.external_id.in_(bindparam("external_ids", expanding=True))
)


def existing_external_ids(connection: Connection, external_ids: list[str]) -> dict[str, str]:
    """Which of these external ids are taken, mapped to the events that hold them."""
    if not external_ids:
        return {}
    rows = fetch_rows(connection, _BY_EXTERNAL_ID, {"external_ids": external_ids})
    return dict(rows)


def _placed(
    gazetteer: Gazetteer, event: EventCreate, loc: list[str | int]
) -> tuple[dict[str, Any], Placed]:
    """The event as its document holds it, with what the gazetteer fills in its location,
    and where it is placed. The dumped dict is filled, not the model copied: copying the
    event and its location cost about 9 us an event."""
    placed = place_location(gazetteer, event.location, loc=[*loc, "location"])
    data = event.model_dump(mode="json")
    data["location"].update(placed.filled)
    return data, placed


class Served(NamedTuple):
    """What a read of one event needs, without an ORM object."""

    id: str
    version: int
    status: str
    document: str


@dataclass
class NewEvent:
    """An event placed and built, but for its times, which ``_stamp`` gives it when it is
    written. Built without the database, so a bulk import can build new events in other
    processes, and a POST before its turn to write.

    Its document and CSV line are rendered here without the times, which are the last two
    keys of the document and the last cell of the line: stamping appends them. It keeps no
    document as a dict: an import's workers send what they build back through a pipe,
    and with the nested dict that took 59 us an event to pickle and unpickle, against 37.
    """

    row: dict[str, Any]
    children: dict[type[Base], list[dict[str, Any]]]
    unstamped_json: bytes
    unstamped_line: str
    line: str = ""  # the stamped CSV line


def _served(event: NewEvent) -> Served:
    row = event.row
    return Served(row["id"], row["version"], row["status"], row["document"])


def _built(doc: dict[str, Any], event: EventCreate, placed: Placed) -> NewEvent:
    """The new event from its document, which holds its placed location. ``event`` is the
    event as given, before placing: only its dates are read from it (``_event_row``,
    ``_child_rows``), as the columns take them as dates."""
    return NewEvent(
        row=_event_row(doc, event, placed),
        children=_child_rows(doc, event),
        unstamped_json=orjson.dumps(doc),
        unstamped_line=flat.csv_line(doc),
    )


def stamp_ends(created_at: datetime, updated_at: datetime) -> tuple[str, str]:
    """What stamping puts in place of the last character of an event's unstamped document
    (its closing brace) and of its unstamped CSV line (the line's end)."""
    created, updated = rfc3339(created_at), rfc3339(updated_at)
    return f',"created_at":"{created}","updated_at":"{updated}"}}', updated + "\n"


def _stamp(events: list[NewEvent], *, created_at: datetime, updated_at: datetime) -> None:
    """Give each event's ``events`` row its times and its document, and the event its line."""
    document_end, line_end = stamp_ends(created_at, updated_at)
    for event in events:
        event.row["created_at"], event.row["updated_at"] = created_at, updated_at
        event.row["document"] = event.unstamped_json[:-1].decode() + document_end
        event.line = event.unstamped_line[:-1] + line_end


def _line(event: NewEvent) -> dict[str, Any]:
    """The ``event_lines`` row of a stamped event."""
    return {
        "occurred_on": event.row["occurred_on"],
        "id": event.row["id"],
        "status": event.row["status"],
        "csv_row": event.line,
    }


def prepare(
    events: list[EventCreate], *, gazetteer: Gazetteer, batch: bool = False
) -> list[NewEvent]:
    """Place each location in the gazetteer and build the event's rows.

    409 if two events share an ``external_id``; an unknown place is a 422 naming the item
    (``body.events.<index>`` in a batch).
    """
    seen: dict[str, int] = {}
    for index, event in enumerate(events):
        if event.external_id is None:
            continue
        if event.external_id in seen:
            raise Conflict(
                f"events {seen[event.external_id]} and {index} share external_id "
                f"{event.external_id!r}",
                index=index,
            )
        seen[event.external_id] = index
    prepared = []
    for index, given in enumerate(events):
        data, placed = _placed(gazetteer, given, ["body", "events", index] if batch else ["body"])
        doc = _document(data, event_id=new_event_id(), version=1)
        prepared.append(_built(doc, given, placed))
    return prepared


def store(
    session: Session, events: list[NewEvent], principal: Principal, *, lines_pending: bool = False
) -> list[Served]:
    """Write prepared events all together, stamped with the time of writing; 409 if any
    ``external_id`` is taken (naming the item). Returns them as served.

    With ``lines_pending``, their CSV lines wait in ``event_lines_pending`` until
    ``write_pending_lines`` (an import into an empty database)."""
    return store_together(session, [(events, principal)], lines_pending=lines_pending)[0]


def store_together(
    session: Session,
    writes: list[tuple[list[NewEvent], Principal]],
    *,
    lines_pending: bool = False,
) -> list[list[Served]]:
    """``store`` of several writes (each its events and who writes them) in one set of
    statements: a group commit stores the POSTs waiting together this way
    (``app.group_commit``). 409 if any ``external_id`` is taken, naming the item of the
    first write that has one."""
    events = [event for write_events, _ in writes for event in write_events]
    if not events:
        return [[] for _ in writes]
    connection = session.connection()
    external_ids = [e.row["external_id"] for e in events if e.row["external_id"] is not None]
    taken = existing_external_ids(connection, external_ids)
    if taken:
        _refuse_taken(writes, taken)
    # Stamped now, in this writer's turn, so that updated_at rises in commit order.
    now = datetime.now(UTC)
    _stamp(events, created_at=now, updated_at=now)
    try:
        with pipeline(connection) if len(events) < _PIPELINED_EVENTS else nullcontext():
            _insert(connection, writes, PendingLine if lines_pending else EventLine)
    except IntegrityError:
        # Another writer took one of these external ids since we looked.
        raise Conflict("an external_id in the request was taken by a concurrent write") from None
    return [[_served(e) for e in write_events] for write_events, _ in writes]


def _refuse_taken(writes: list[tuple[list[NewEvent], Principal]], taken: dict[str, str]) -> None:
    """409 naming the first item whose ``external_id`` is ``taken``."""
    for write_events, _ in writes:
        for index, event in enumerate(write_events):
            ext = event.row["external_id"]
            if ext in taken:
                where = f"item {index}: " if len(write_events) > 1 else ""
                raise Conflict(
                    f"{where}external_id {ext!r} already belongs to event {taken[ext]}",
                    existing_id=taken[ext],
                    index=index,
                )


def _insert(
    connection: Connection,
    writes: list[tuple[list[NewEvent], Principal]],
    lines: type[EventLine | PendingLine],
) -> None:
    """Insert the stamped events' rows, children, lines and revisions; add them to the rollup."""
    rows = _new_rows(writes, lines)
    for model, values in rows.items():
        insert_rows(connection, model, values)
    rollup.record(connection, added=rows[Event])


def _new_rows(
    writes: list[tuple[list[NewEvent], Principal]], lines: type[EventLine | PendingLine]
) -> dict[type[Base], list[dict[str, Any]]]:
    """The rows stamped events add, table by table in the order they go in."""
    events = [event for write_events, _ in writes for event in write_events]
    return {
        Event: [e.row for e in events],
        **{model: [r for e in events for r in e.children[model]] for model in _CHILD_TABLES},
        lines: [_line(e) for e in events],
        Revision: [
            _revision(e.row, action="created", principal=principal, changes={})
            for write_events, principal in writes
            for e in write_events
        ],
    }


def rows_stamped(
    events: list[NewEvent], principal: Principal, *, at: datetime
) -> dict[type[Base], list[dict[str, Any]]]:
    """Every row ``store`` would write for these events if it stamped them with ``at``, the
    rollup's changes included: an import's chunk file (``app.services.chunk_files``)."""
    _stamp(events, created_at=at, updated_at=at)
    rows = _new_rows([(events, principal)], EventLine)
    rows[EventRollup] = rollup.changes(added=rows[Event])
    return rows


_WRITE_PENDING_LINES = insert(EventLine).from_select(
    ("occurred_on", "id", "status", "csv_row"),
    select(
        PendingLine.occurred_on, PendingLine.id, PendingLine.status, PendingLine.csv_row
    ).order_by(PendingLine.occurred_on, PendingLine.id),
)


def lines_are_pending(connection: Connection) -> bool:
    """Whether any line waits in ``event_lines_pending`` (``store``)."""
    return connection.scalar(select(PendingLine.id).limit(1)) is not None


def write_pending_lines(connection: Connection) -> None:
    """Move the lines waiting in ``event_lines_pending`` into ``event_lines``, in one pass
    in the table's order. Run in the writers' turn, so that no line arrives between the
    copy and the delete."""
    connection.execute(_WRITE_PENDING_LINES)
    connection.execute(delete(PendingLine))


def create(
    session: Session,
    *,
    events: list[EventCreate],
    principal: Principal,
    gazetteer: Gazetteer,
    batch: bool = False,
) -> list[Served]:
    """Prepare and store events (see ``prepare`` and ``store`` for the errors)."""
    return store(session, prepare(events, gazetteer=gazetteer, batch=batch), principal)


_R = TypeVar("_R", Event, Served)


def _visible(row: _R | None, principal: Principal) -> _R:
    if row is None or (row.status != Status.PUBLISHED and not principal.sees_unpublished):
        raise NotFound("No such event.")
    return row


def get(session: Session, *, event_id: str, principal: Principal) -> Event:
    """The event (for a change to it); 404 if it is not visible."""
    return _visible(session.get(Event, event_id), principal)


_SERVED = select(Event.id, Event.version, Event.status, Event.document).where(
    Event.id == bindparam("event_id")
)


def get_served(engine: Engine, *, event_id: str, principal: Principal) -> Served:
    """The event's id, version, status and ``document`` (the response); 404 if it is not
    visible."""
    rows = fetch_rows(engine, _SERVED, {"event_id": event_id})
    return _visible(Served(*rows[0]) if rows else None, principal)


def get_as_of(session: Session, *, event_id: str, as_of: datetime, principal: Principal) -> str:
    """The event's document as it stood at ``as_of``."""
    get(session, event_id=event_id, principal=principal)
    document = session.scalar(
        select(Revision.document)
        .where(Revision.event_id == event_id, Revision.changed_at <= as_of)
        .order_by(Revision.version.desc())
        .limit(1)
    )
    if document is None:
        raise NotFound(f"Event {event_id} did not exist at {rfc3339(as_of)}.")
    if not principal.sees_unpublished and orjson.loads(document)["status"] != Status.PUBLISHED:
        raise NotFound(f"Event {event_id} was not published at {rfc3339(as_of)}.")
    return document


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# A PATCH's statements, built once and run on the connection: building them per request
# with their values, and the session's ORM updates and deletes (which compare each object
# the session holds with their criteria), were over half of ``update_event``
# (docs/performance-log.md). Executed with a row's values, an UPDATE sets those columns.
_UPDATE_EVENT = (
    update(Event)
    .where(Event.id == bindparam("where_id"), Event.version == bindparam("where_version"))
    .returning(Event.id)
)
_UPDATE_LINE = update(EventLine).where(
    EventLine.id == bindparam("where_id"), EventLine.occurred_on == bindparam("where_day")
)
# An import into an empty database may not have written the line yet (``store``).
_UPDATE_PENDING_LINE = update(PendingLine).where(PendingLine.id == bindparam("where_id"))
_DELETE_CHILDREN = [
    delete(model).where(model.event_id == bindparam("where_id")) for model in _CHILD_TABLES
]


def update_event(
    session: Session,
    *,
    event_id: str,
    patch: dict[str, Any],
    principal: Principal,
    gazetteer: Gazetteer,
    if_match: int | None,
    action: str = "updated",
) -> tuple[Served, bool]:
    """Apply a merge patch; returns the event as served and whether anything changed.

    The row is updated only if its version is still the one read, so of two racing
    writers exactly one wins and the other gets 412.
    """
    row = get(session, event_id=event_id, principal=principal)
    if if_match is not None and if_match != row.version:
        asked = f"version {if_match}" if if_match >= 0 else "no version of this event"
        raise PreconditionFailed(
            f"The event is at version {row.version}; If-Match names {asked}.",
            current_version=row.version,
        )
    current_doc = orjson.loads(row.document)
    current = {field: current_doc[field] for field in WRITABLE_FIELDS}
    try:
        event = EventCreate.model_validate(merge_patch(current, patch))
    except ValidationError as exc:
        raise invalid_input(exc.errors(), loc=["body"]) from None
    new, placed = _placed(gazetteer, event, ["body"])
    changes = {
        f: {"before": current[f], "after": new[f]} for f in WRITABLE_FIELDS if current[f] != new[f]
    }
    if not changes:
        return Served(row.id, row.version, row.status, row.document), False
    if (
        current["status"] == Status.RETRACTED
        and "status" in changes
        and not principal.has(Scope.ADMIN)
    ):
        raise Forbidden("Only an admin key can restore a retracted event.")
    if "external_id" in changes and event.external_id is not None:
        taken = existing_external_ids(session.connection(), [event.external_id])
        if taken:
            raise Conflict(
                f"external_id {event.external_id!r} already belongs to event "
                f"{taken[event.external_id]}",
                existing_id=taken[event.external_id],
            )

    changed = _built(_document(new, event_id=event_id, version=row.version + 1), event, placed)
    _stamp([changed], created_at=row.created_at, updated_at=datetime.now(UTC))
    values = dict(changed.row)
    del values["id"], values["created_at"]
    before = {name: getattr(row, name) for name in rollup.SOURCE_COLUMNS}
    # ``row`` leaves the session, as the statements below change its row behind it (a
    # later read in this transaction loads it again).
    session.expunge(row)
    connection = session.connection()
    updated = connection.scalar(
        _UPDATE_EVENT, {**values, "where_id": event_id, "where_version": row.version}
    )
    if updated is None:
        raise PreconditionFailed("The event was changed by another request; fetch it again.")
    with pipeline(connection):
        line = _line(changed)
        connection.execute(
            _UPDATE_LINE, {**line, "where_id": event_id, "where_day": row.occurred_on}
        )
        connection.execute(_UPDATE_PENDING_LINE, {**line, "where_id": event_id})
        for statement in _DELETE_CHILDREN:
            connection.execute(statement, {"where_id": event_id})
        rollup.record(connection, added=[values], removed=[before])
        _insert_children(connection, changed.children)
        insert_rows(
            connection,
            Revision,
            [_revision(changed.row, action=action, principal=principal, changes=changes)],
        )
    return _served(changed), True


def history(session: Session, *, event_id: str, principal: Principal) -> list[Revision]:
    """Revisions of the event, oldest first."""
    get(session, event_id=event_id, principal=principal)
    return list(
        session.scalars(
            select(Revision).where(Revision.event_id == event_id).order_by(Revision.version)
        )
    )

"""The event list: filters, sort orders and opaque keyset cursors."""

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, and_, exists, or_, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction
from app.errors import BadRequest, ValidationFailed
from app.geo.distance import box_around, cells_in_box, distance_sql, lon_ranges
from app.models import Actor, Event, EventLine, EventTag, Source
from app.models.event import FATALITIES_SORT_KEY
from app.schemas.vocabulary import Status
from app.services.events import rfc3339


class Sort(StrEnum):
    OCCURRED_DESC = "-occurred_on"
    OCCURRED_ASC = "occurred_on"
    FATALITIES_DESC = "-fatalities"
    UPDATED_DESC = "-updated_at"
    UPDATED_ASC = "updated_at"
    DISTANCE = "distance"


# Each sort: the key column, whether it descends, and how cursor values round-trip.
_SORTS: dict[Sort, tuple[Any, bool, Any]] = {
    Sort.OCCURRED_DESC: (Event.occurred_on, True, date.fromisoformat),
    Sort.OCCURRED_ASC: (Event.occurred_on, False, date.fromisoformat),
    Sort.FATALITIES_DESC: (FATALITIES_SORT_KEY, True, int),
    Sort.UPDATED_DESC: (Event.updated_at, True, datetime.fromisoformat),
    Sort.UPDATED_ASC: (Event.updated_at, False, datetime.fromisoformat),
}


class Box(NamedTuple):
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


class Circle(NamedTuple):
    lat: float
    lon: float
    radius_km: float
    place: dict[str, Any] | None

    def box(self) -> Box:
        """The smallest box holding the circle."""
        return Box(*box_around(self.lat, self.lon, self.radius_km))

    def distance(self) -> ColumnElement[float]:
        """Each event's distance from the centre, in km."""
        return distance_sql(Event.latitude, Event.longitude, self.lat, self.lon)


@dataclass
class EventFilters:
    """Validated filters; list values mean "any of"."""

    date_from: date | None = None
    date_to: date | None = None
    updated_since: datetime | None = None
    countries: list[str] = field(default_factory=list)
    admin1: list[str] = field(default_factory=list)
    admin1_codes: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    place_ids: list[int] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    bbox: Box | None = None
    near: Circle | None = None
    event_types: list[str] = field(default_factory=list)
    sub_event_types: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    min_fatalities: int | None = None
    q: str | None = None


@dataclass
class Page:
    rows: Sequence[Any]
    next_cursor: str | None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_clauses(filters: EventFilters) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters (shared by the list and the stats)."""
    f, clauses = filters, []
    if f.date_from:
        clauses.append(Event.occurred_on >= f.date_from)
    if f.date_to:
        clauses.append(Event.occurred_on <= f.date_to)
    if f.updated_since:
        clauses.append(Event.updated_at > f.updated_since)
    if f.countries:
        clauses.append(Event.country.in_(f.countries))
    if f.admin1:
        clauses.append(or_(Event.admin1_code.in_(f.admin1_codes), Event.admin1_key.in_(f.admin1)))
    if f.places:
        clauses.append(or_(Event.place_id.in_(f.place_ids), Event.location_key.in_(f.places)))
    if f.bbox:
        clauses.append(_in_box(f.bbox))
    if f.near:
        clauses.append(_in_box(f.near.box()))
        clauses.append(f.near.distance() <= f.near.radius_km)
    if f.event_types:
        clauses.append(Event.event_type.in_(f.event_types))
    if f.sub_event_types:
        clauses.append(Event.sub_event_type.in_(f.sub_event_types))
    if f.actors:
        clauses.append(exists().where(Actor.event_id == Event.id, Actor.name_key.in_(f.actors)))
    if f.sources:
        clauses.append(exists().where(Source.event_id == Event.id, Source.name_key.in_(f.sources)))
    if f.tags:
        clauses.append(exists().where(EventTag.event_id == Event.id, EventTag.tag.in_(f.tags)))
    if f.statuses:
        clauses.append(Event.status.in_([s.value for s in f.statuses]))
    if f.min_fatalities is not None:
        clauses.append(Event.fatalities_best >= f.min_fatalities)
    if f.q:
        pattern = _like_pattern(f.q)
        clauses.append(
            or_(
                Event.title.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
            )
        )
    return clauses


def _in_box(box: Box) -> ColumnElement[bool]:
    """Inside the box, found through the ``geo_cell`` index when the box is small."""
    clauses = [
        Event.latitude.between(box.min_lat, box.max_lat),
        or_(
            *(
                Event.longitude.between(west, east)
                for west, east in lon_ranges(box.min_lon, box.max_lon)
            )
        ),
    ]
    cells = cells_in_box(*box)
    if cells is not None:
        clauses.append(Event.geo_cell.in_(cells))
    return and_(*clauses)


def _by_cells(filters: EventFilters) -> bool:
    """Whether a box or radius finds its events through their cells, unsorted."""
    boxes = [filters.bbox, filters.near.box() if filters.near else None]
    return any(box is not None and cells_in_box(*box) is not None for box in boxes)


def encode_cursor(sort: Sort, value: Any, event_id: str) -> str:
    if isinstance(value, datetime):
        value = rfc3339(value)
    elif isinstance(value, date):
        value = value.isoformat()
    raw = orjson.dumps([sort.value, value, event_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, str]:
    bad = BadRequest(
        "The cursor is not valid for this query; start again without it.",
        errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}],
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, event_id = orjson.loads(raw)
        if cursor_sort != sort.value or not isinstance(event_id, str) or "\x00" in event_id:
            raise bad
        decoded = float(value) if sort == Sort.DISTANCE else _SORTS[sort][2](value)
        if isinstance(decoded, int) and not -(2**31) <= decoded < 2**31:
            raise bad  # a forged cursor; the column is a 32-bit integer
        return decoded, event_id
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise bad from None


def list_events(
    session: Session,
    *,
    filters: EventFilters,
    sort: Sort,
    limit: int,
    cursor: str | None,
    columns: tuple[Any, ...] = (Event.document,),
) -> Page:
    """One page of matching events, ``columns`` selected, in ``sort`` order."""
    if sort == Sort.DISTANCE:
        if filters.near is None:
            raise ValidationFailed(
                "sort=distance needs near", errors=[{"loc": ["query", "sort"], "msg": "needs near"}]
            )
        key: Any = filters.near.distance()
        descending = False
    else:
        key, descending, _ = _SORTS[sort]
    lines = any(column.class_ is EventLine for column in columns)
    if lines and _lines_alone(filters, sort):
        # A whole export in date order reads the narrow table in its own order.
        key, row_id = EventLine.occurred_on, EventLine.id
        clauses = _line_clauses(filters)
    else:
        row_id, clauses = Event.id, filter_clauses(filters)
    if cursor:
        value, after_id = decode_cursor(cursor, sort)
        position, bound = tuple_(key, row_id), tuple_(value, after_id)
        clauses.append(position < bound if descending else position > bound)
    order = (key.desc(), row_id.desc()) if descending else (key.asc(), row_id.asc())
    if sort != Sort.DISTANCE and not _by_cells(filters):
        # The sort walks an index (testing a large box on its entries, on the date index):
        # one query reads each row of the page once.
        query = select(key.label("sort_key"), row_id, *columns).where(and_(*clauses))
        query = query.order_by(*order).limit(limit + 1)
    else:
        # A box or a radius may find rows on the geo_cell index, unsorted: find the page's
        # ids first, then fetch their columns, so a sort orders small keys, not documents.
        page = select(key.label("sort_key"), Event.id.label("page_id")).where(and_(*clauses))
        ids = page.order_by(*order).limit(limit + 1).subquery()
        query = select(ids.c.sort_key, Event.id, *columns).join(ids, Event.id == ids.c.page_id)
        query = query.order_by(
            *(
                (ids.c.sort_key.desc(), Event.id.desc())
                if descending
                else (ids.c.sort_key.asc(), Event.id.asc())
            )
        )
    if lines and row_id is Event.id:
        query = query.join(
            EventLine, and_(EventLine.occurred_on == Event.occurred_on, EventLine.id == Event.id)
        )
    # Core execution: the rows are plain columns, so the ORM has nothing to add but cost.
    rows = session.connection().execute(query).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(sort, rows[-1].sort_key, rows[-1].id)
    return Page(rows=rows, next_cursor=next_cursor)


def stored_columns(*, csv: bool) -> tuple[Any, ...]:
    """What an event list or export reads per event: the flat CSV joins each event's stored
    line, every other format starts from its document; both with its status."""
    return (EventLine.csv_row, EventLine.status) if csv else (Event.document, Event.status)


def filters_in_use(filters: EventFilters) -> set[str]:
    """The names of the filters given (None and an empty list are no filter)."""
    return {name for name, value in vars(filters).items() if value is not None and value != []}


def _lines_alone(filters: EventFilters, sort: Sort) -> bool:
    """Whether ``event_lines`` holds every filter and the sort (dates and status)."""
    return sort in (Sort.OCCURRED_DESC, Sort.OCCURRED_ASC) and filters_in_use(filters) <= {
        "date_from",
        "date_to",
        "statuses",
    }


def _line_clauses(filters: EventFilters) -> list[ColumnElement[bool]]:
    clauses = []
    if filters.date_from:
        clauses.append(EventLine.occurred_on >= filters.date_from)
    if filters.date_to:
        clauses.append(EventLine.occurred_on <= filters.date_to)
    if filters.statuses:
        clauses.append(EventLine.status.in_([s.value for s in filters.statuses]))
    return clauses


def iter_rows(
    factory: sessionmaker[Session],
    *,
    filters: EventFilters,
    sort: Sort,
    columns: tuple[Any, ...],
    batch_size: int = 1000,
) -> Iterator[Any]:
    """Every matching row, fetched in keyset batches each in its own short transaction,
    so an export of a million events holds one batch in memory and no long transaction."""
    cursor = None
    while True:
        with transaction(factory) as session:
            page = list_events(
                session,
                filters=filters,
                sort=sort,
                limit=batch_size,
                cursor=cursor,
                columns=columns,
            )
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def default_statuses(*, sync: bool) -> list[Status]:
    """Published only, unless asked otherwise; a sync feed also carries retractions."""
    if sync:
        return [Status.PUBLISHED, Status.RETRACTED]
    return [Status.PUBLISHED]

"""The event list: filters, sort orders and opaque keyset cursors."""

import base64
import binascii
import math
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import orjson
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Engine,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from app.db import fetch_rows
from app.errors import BadRequest, ValidationFailed
from app.geo.distance import MAX_CELLS, box_around, cells_in_box, distance_sql, lon_ranges
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
    """Rows of ``(sort_key, id, *columns)`` as the driver gives them (``app.db.fetch_rows``)."""

    rows: Sequence[tuple[Any, ...]]
    next_cursor: str | None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_params(filters: EventFilters) -> dict[str, Any]:
    """The filters' values under the names their clauses bind (``_clauses``): which names
    are present shapes the query, and a list query is built once per shape."""
    f = filters
    values: dict[str, Any] = {
        "date_from": f.date_from,
        "date_to": f.date_to,
        "updated_since": f.updated_since,
        "countries": f.countries,
        "event_types": f.event_types,
        "sub_event_types": f.sub_event_types,
        "actors": f.actors,
        "sources": f.sources,
        "tags": f.tags,
        "statuses": [s.value for s in f.statuses],
        "min_fatalities": f.min_fatalities,
        "q": _like_pattern(f.q) if f.q else None,
    }
    params = {name: value for name, value in values.items() if value is not None and value != []}
    if f.admin1:
        params |= {"admin1": f.admin1, "admin1_codes": f.admin1_codes}
    if f.places:
        params |= {"places": f.places, "place_ids": f.place_ids}
    if f.bbox:
        params |= _box_params("bbox", f.bbox)
    if f.near:
        params |= _box_params("near", f.near.box())
        params |= {
            "near_phi": math.radians(f.near.lat),
            "near_lambda": math.radians(f.near.lon),
            "near_cos_phi": math.cos(math.radians(f.near.lat)),
            "radius_km": f.near.radius_km,
        }
    return params


def _box_params(prefix: str, box: Box) -> dict[str, Any]:
    params: dict[str, Any] = {f"{prefix}_south": box.min_lat, f"{prefix}_north": box.max_lat}
    for i, (west, east) in enumerate(lon_ranges(box.min_lon, box.max_lon)):
        params |= {f"{prefix}_west{i}": west, f"{prefix}_east{i}": east}
    for i, cell in enumerate(cells_in_box(*box) or []):
        params[f"{prefix}_cell{i}"] = cell  # one parameter each: see ``_page_query``
    return params


class Bind(Protocol):
    def __call__(self, name: str, *, type_: Any = None) -> BindParameter[Any]: ...


def filter_clauses(filters: EventFilters) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters, with their values (the stats, whose queries may
    hold the filters twice, each with its own dates)."""
    params = filter_params(filters)

    def bind(name: str, *, type_: Any = None) -> BindParameter[Any]:
        value = params[name]
        return bindparam(name, value, type_=type_, unique=True, expanding=isinstance(value, list))

    return _clauses(params, bind)


def _named(name: str, *, type_: Any = None) -> BindParameter[Any]:
    """A parameter whose value the execution gives (a list query, built once per shape)."""
    return bindparam(name, type_=type_, expanding=name in _LIST_PARAMS)


# The parameters holding lists: those named after a list of ``EventFilters``.
_LIST_PARAMS = {f.name for f in fields(EventFilters) if f.default_factory is list}


def _clauses(names: Container[str], bind: Bind) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters named (``filter_params``), each value from ``bind``."""
    clauses = _dates_and_statuses(Event, names, bind)
    if "updated_since" in names:
        clauses.append(Event.updated_at > bind("updated_since"))
    if "countries" in names:
        clauses.append(Event.country.in_(bind("countries")))
    if "admin1" in names:
        clauses.append(
            or_(Event.admin1_code.in_(bind("admin1_codes")), Event.admin1_key.in_(bind("admin1")))
        )
    if "places" in names:
        clauses.append(
            or_(Event.place_id.in_(bind("place_ids")), Event.location_key.in_(bind("places")))
        )
    if "bbox_south" in names:
        clauses.append(_in_box("bbox", names, bind))
    if "near_south" in names:
        clauses.append(_in_box("near", names, bind))
        clauses.append(_distance(bind) <= bind("radius_km", type_=Float()))
    if "event_types" in names:
        clauses.append(Event.event_type.in_(bind("event_types")))
    if "sub_event_types" in names:
        clauses.append(Event.sub_event_type.in_(bind("sub_event_types")))
    if "actors" in names:
        clauses.append(
            exists().where(Actor.event_id == Event.id, Actor.name_key.in_(bind("actors")))
        )
    if "sources" in names:
        clauses.append(
            exists().where(Source.event_id == Event.id, Source.name_key.in_(bind("sources")))
        )
    if "tags" in names:
        clauses.append(
            exists().where(EventTag.event_id == Event.id, EventTag.tag.in_(bind("tags")))
        )
    if "min_fatalities" in names:
        clauses.append(Event.fatalities_best >= bind("min_fatalities"))
    if "q" in names:
        clauses.append(
            or_(
                Event.title.ilike(bind("q"), escape="\\"),
                Event.description.ilike(bind("q"), escape="\\"),
            )
        )
    return clauses


def _distance(bind: Bind) -> ColumnElement[float]:
    """Each event's distance from the centre of ``near``, in km."""
    return distance_sql(
        Event.latitude,
        Event.longitude,
        bind("near_phi", type_=Float()),
        bind("near_lambda", type_=Float()),
        bind("near_cos_phi", type_=Float()),
    )


def _in_box(prefix: str, names: Container[str], bind: Bind) -> ColumnElement[bool]:
    """Inside the box, found through the ``geo_cell`` index when the box is small."""
    clauses = [
        Event.latitude.between(bind(f"{prefix}_south"), bind(f"{prefix}_north")),
        or_(
            *(
                Event.longitude.between(bind(f"{prefix}_west{i}"), bind(f"{prefix}_east{i}"))
                for i in (0, 1)
                if f"{prefix}_west{i}" in names
            )
        ),
    ]
    cells = _cell_names(prefix, names)
    if cells:
        clauses.append(Event.geo_cell.in_([bind(cell) for cell in cells]))
    return and_(*clauses)


def _cell_names(prefix: str, names: Container[str]) -> list[str]:
    """The parameters holding the cells of a box (``_box_params``)."""
    return [f"{prefix}_cell{i}" for i in range(MAX_CELLS) if f"{prefix}_cell{i}" in names]


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


def check_sort(filters: EventFilters, sort: Sort) -> None:
    """422 for a sort the filters cannot give (distance without ``near``)."""
    if sort == Sort.DISTANCE and filters.near is None:
        raise ValidationFailed(
            "sort=distance needs near", errors=[{"loc": ["query", "sort"], "msg": "needs near"}]
        )


def list_events(
    engine: Engine,
    *,
    filters: EventFilters,
    sort: Sort,
    limit: int,
    cursor: str | None,
    columns: tuple[Any, ...] = (Event.document,),
) -> Page:
    """One page of matching events, ``columns`` selected, in ``sort`` order."""
    check_sort(filters, sort)
    params = filter_params(filters) | {"page_size": limit + 1}
    if cursor:
        params["after_value"], params["after_id"] = decode_cursor(cursor, sort)
    query = _page_query(sort, frozenset(params), columns, engine.dialect.name)
    rows = fetch_rows(engine, query, params)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        sort_key, last_id, *_ = rows[-1]
        next_cursor = encode_cursor(sort, sort_key, last_id)
    return Page(rows=rows, next_cursor=next_cursor)


@lru_cache(maxsize=1024)
def _page_query(
    sort: Sort, names: frozenset[str], columns: tuple[Any, ...], dialect: str
) -> Select[Any] | CompoundSelect[Any]:
    """The query of a page, for filters of these ``names``, its values given when it runs.

    Built once per shape: building a query and its cache key took SQLAlchemy about half a
    list request's database time (docs/performance-log.md); a statement built before
    keeps its key, so SQLAlchemy finds its compiled form at once.
    """
    if sort == Sort.DISTANCE:
        key: Any = _distance(_named)
        descending = False
    else:
        key, descending, _ = _SORTS[sort]
    lines = columns[0].class_ is EventLine  # a stored line, not a document
    if lines and _lines_alone(names, sort):
        # A whole export in date order reads the narrow table in its own order.
        key, row_id = EventLine.occurred_on, EventLine.id
        clauses = _dates_and_statuses(EventLine, names, _named)
    else:
        row_id, clauses = Event.id, _clauses(names, _named)
    if "after_id" in names:
        after = (_named("after_value", type_=key.type), _named("after_id"))
        position, bound = tuple_(key, row_id), tuple_(*after)
        clauses.append(position < bound if descending else position > bound)
    order = _ordered(key, row_id, descending=descending)
    page_size = _named("page_size", type_=Integer())
    rows = select(key.label("sort_key"), row_id.label("row_id"), *columns)
    if lines and row_id is Event.id:
        rows = _with_lines(rows)
    # The cells of the radius, else of the box (each is a superset of the events sought).
    cells = _cell_names("near", names) or _cell_names("bbox", names)
    if sort != Sort.DISTANCE and not cells:
        # The sort walks an index (testing a large box on its entries, on the date index):
        # one query reads each row of the page once.
        return rows.where(and_(*clauses)).order_by(*order).limit(page_size)
    if cells and key is Event.occurred_on:
        # Each cell's events come off its date index in the page's order, and the database
        # merges the cells' streams and stops at the page's end (SQLite's MERGE (UNION
        # ALL), PostgreSQL's Merge Append): a cell is walked only as far as the page needs,
        # and only the page's rows are read. At 1M events C's SQL took 5.48 M instructions
        # on SQLite sorting a page per cell and joining the page back by id, 3.19 M merged;
        # on PostgreSQL 1.9-2.6 ms against 1.1-1.2 (docs/performance-log.md). PostgreSQL plans
        # the merge only over arms limited to a page each (unlimited, it sorted all 898 of
        # C's events), and SQLite would sort such arms before merging them.
        arms = [rows.where(and_(*clauses, Event.geo_cell == _named(cell))) for cell in cells]
        if dialect == "postgresql":
            arms = [select(arm.order_by(*order).limit(page_size).subquery()) for arm in arms]
        merged = union_all(*arms)
        keys = merged.selected_columns
        return merged.order_by(*_ordered(keys.sort_key, keys.row_id, descending=descending)).limit(
            page_size
        )
    # A sort by distance, or another sort inside a few cells: find the page's ids first,
    # then fetch their columns, so that the sort orders small keys, not documents.
    found = (
        select(key.label("sort_key"), Event.id.label("page_id"))
        .where(and_(*clauses))
        .order_by(*order)
        .limit(page_size)
        .subquery()
    )
    query = select(found.c.sort_key, Event.id, *columns).join(found, Event.id == found.c.page_id)
    if lines:
        query = _with_lines(query)
    return query.order_by(*_ordered(found.c.sort_key, Event.id, descending=descending))


def _with_lines(query: Select[Any]) -> Select[Any]:
    """``query`` joined to each of its events' stored CSV line."""
    return query.join(
        EventLine, and_(EventLine.occurred_on == Event.occurred_on, EventLine.id == Event.id)
    )


def _ordered(key: Any, row_id: Any, *, descending: bool) -> tuple[Any, Any]:
    """A sort on ``key`` then ``row_id``, both one way."""
    return (key.desc(), row_id.desc()) if descending else (key.asc(), row_id.asc())


# Read in place of the status where no row can be a retraction to hide: the driver returns
# NULL for nothing, a status as a new string (about a fortieth of a page's instructions).
_NO_STATUS = null().label("status")


def stored_columns(*, csv: bool, status: bool = True) -> tuple[Any, ...]:
    """What an event list or export reads per event: the flat CSV joins each event's stored
    line, every other format starts from its document; then its status, or NULL if
    ``status`` is false."""
    if csv:
        return EventLine.csv_row, EventLine.status if status else _NO_STATUS
    return Event.document, Event.status if status else _NO_STATUS


def filters_in_use(filters: EventFilters) -> set[str]:
    """The names of the filters given (None and an empty list are no filter)."""
    return {name for name, value in vars(filters).items() if value is not None and value != []}


def _lines_alone(names: frozenset[str], sort: Sort) -> bool:
    """Whether ``event_lines`` holds every filter and the sort (dates and status)."""
    filters = names - {"page_size", "after_value", "after_id"}
    return sort in (Sort.OCCURRED_DESC, Sort.OCCURRED_ASC) and filters <= {
        "date_from",
        "date_to",
        "statuses",
    }


def _dates_and_statuses(
    table: type[Event] | type[EventLine], names: Container[str], bind: Bind
) -> list[ColumnElement[bool]]:
    """The date and status clauses, on ``events`` or on ``event_lines`` (which hold both)."""
    clauses = []
    if "date_from" in names:
        clauses.append(table.occurred_on >= bind("date_from"))
    if "date_to" in names:
        clauses.append(table.occurred_on <= bind("date_to"))
    if "statuses" in names:
        clauses.append(table.status.in_(bind("statuses")))
    return clauses


def iter_rows(
    engine: Engine,
    *,
    filters: EventFilters,
    sort: Sort,
    columns: tuple[Any, ...],
    batch_size: int = 1000,
) -> Iterator[tuple[Any, ...]]:
    """Every matching row, fetched in keyset batches of one SELECT each, so an export of a
    million events holds one batch in memory and no long transaction.

    The sort is checked and the first batch read now, before the response begins: a
    streamed response has sent its 200 by the time a later batch is read, so an error there
    can only cut the stream short, while an error here (a database outage) gets its own
    status.
    """
    check_sort(filters, sort)

    def page(cursor: str | None) -> Page:
        return list_events(
            engine, filters=filters, sort=sort, limit=batch_size, cursor=cursor, columns=columns
        )

    def rows(first: Page) -> Iterator[tuple[Any, ...]]:
        batch = first
        yield from batch.rows
        while batch.next_cursor is not None:
            batch = page(batch.next_cursor)
            yield from batch.rows

    return rows(page(None))


def default_statuses(*, sync: bool) -> list[Status]:
    """Published only, unless asked otherwise; a sync feed also carries retractions."""
    if sync:
        return [Status.PUBLISHED, Status.RETRACTED]
    return [Status.PUBLISHED]

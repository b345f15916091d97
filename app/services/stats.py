"""Aggregates over events, computed by SQL ``GROUP BY`` on both databases: from the
rollup (``app.models.rollup``) where it holds every filter asked for, else from the events."""

from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models import Actor, Event, EventRollup
from app.services import rollup
from app.services.event_query import EventFilters, filter_clauses, filters_in_use
from app.services.periods import Interval, next_period, period_start

MAX_FILLED_BUCKETS = 100_000


class Dimension(StrEnum):
    COUNTRY = "country"
    ADMIN1 = "admin1"
    EVENT_TYPE = "event_type"
    SUB_EVENT_TYPE = "sub_event_type"
    ACTOR = "actor"


_COLUMNS: dict[Dimension, Any] = {
    Dimension.COUNTRY: Event.country,
    Dimension.ADMIN1: Event.admin1,
    Dimension.EVENT_TYPE: Event.event_type,
    Dimension.SUB_EVENT_TYPE: Event.sub_event_type,
}
# Stored with each event (see ``app.services.periods``), so grouping needs no date functions.
_PERIOD_COLUMNS: dict[Interval, Any] = {
    Interval.DAY: Event.occurred_on,
    Interval.WEEK: Event.week_start,
    Interval.MONTH: Event.month_start,
}


def aggregate(
    session: Session,
    *,
    filters: EventFilters,
    interval: Interval | None,
    group_by: list[Dimension],
    fill: bool,
) -> list[dict[str, Any]]:
    """Buckets ``{period, group, events, fatalities, injured}``, fatalities and injured
    being sums of the events' ``best`` figures; ordered by period, then group."""
    if _rollup_answers(filters, interval, group_by):
        query = _from_rollup(filters, interval, group_by)
    else:
        query = _from_events(filters, interval, group_by)
    # Rows are (period if interval, one value per dimension, events, fatalities, injured).
    names, first = [d.value for d in group_by], 1 if interval else 0
    buckets = [
        {
            "period": str(row[0])[:10] if interval else None,
            "group": dict(zip(names, row[first:-3], strict=True)),
            "events": int(row[-3]),
            "fatalities": int(row[-2]),
            "injured": int(row[-1]),
        }
        for row in session.connection().execute(query)
    ]
    if fill and interval:
        buckets = _filled(buckets, filters, interval)
    return buckets


def _from_events(
    filters: EventFilters, interval: Interval | None, group_by: list[Dimension]
) -> Select[Any]:
    keys: list[Any] = []
    if interval:
        keys.append(_PERIOD_COLUMNS[interval].label("period"))
    actors = None
    for dimension in group_by:
        if dimension == Dimension.ACTOR:
            # One row per event and actor name, however many roles the actor has in it.
            actors = select(Actor.event_id, Actor.name).distinct().subquery()
            keys.append(actors.c.name.label(dimension.value))
        else:
            keys.append(_COLUMNS[dimension].label(dimension.value))
    query = select(
        *keys,
        # With actors joined an event has one row per distinct actor name, so count(*)
        # is right in every case and cheaper than count(DISTINCT id).
        func.count().label("events"),
        func.coalesce(func.sum(Event.fatalities_best), 0).label("fatalities"),
        func.coalesce(func.sum(Event.injured_best), 0).label("injured"),
    ).where(and_(*filter_clauses(filters)))
    if actors is not None:
        query = query.join(actors, actors.c.event_id == Event.id)
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return query


# The filters the rollup holds; any other sends a query to the events.
_ROLLUP_FILTERS = {
    "date_from",
    "date_to",
    "countries",
    "admin1",
    "admin1_codes",
    "event_types",
    "sub_event_types",
    "statuses",
}


def _rollup_answers(
    filters: EventFilters, interval: Interval | None, group_by: list[Dimension]
) -> bool:
    """Whether the rollup holds every filter and dimension asked for."""
    if interval == Interval.DAY or Dimension.ACTOR in group_by:
        return False
    if any(day and day.year > 9998 for day in (filters.date_from, filters.date_to)):
        return False  # the bucket after such a day is past the last date Python has
    return filters_in_use(filters) <= _ROLLUP_FILTERS


def _from_rollup(
    filters: EventFilters, interval: Interval | None, group_by: list[Dimension]
) -> Select[Any]:
    """Whole buckets from the rollup, plus the events of the partial buckets at either
    end of the date range, summed together."""
    first, end = rollup.whole_buckets(filters.date_from, filters.date_to)
    if first is not None and end is not None and first >= end:
        return _from_events(filters, interval, group_by)  # the dates lie within one bucket
    parts = [
        select(
            *_keys(EventRollup, interval, group_by),
            EventRollup.events,
            EventRollup.fatalities,
            EventRollup.injured,
        ).where(*_rollup_clauses(filters, first, end))
    ]
    # Each partial end is a query of its own, so that its dates bound the index range.
    ends = []
    if filters.date_from and first and first > filters.date_from:
        ends.append(replace(filters, date_to=first - timedelta(days=1)))
    if filters.date_to and end and end <= filters.date_to:
        ends.append(replace(filters, date_from=end))
    for part in ends:
        parts.append(
            select(
                *_keys(Event, interval, group_by),
                literal(1).label("events"),
                func.coalesce(Event.fatalities_best, 0).label("fatalities"),
                func.coalesce(Event.injured_best, 0).label("injured"),
            ).where(*filter_clauses(part))
        )
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    keys = [rows.c.period] if interval else []
    keys += [rows.c[d.value] for d in group_by]
    query = select(
        *keys,
        func.sum(rows.c.events).label("events"),
        func.sum(rows.c.fatalities).label("fatalities"),
        func.sum(rows.c.injured).label("injured"),
    ).having(func.sum(rows.c.events) > 0)
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return query


def _keys(
    table: type[Event] | type[EventRollup], interval: Interval | None, group_by: list[Dimension]
) -> list[Any]:
    """The period and group columns of events or rollup rows (whose ``''`` means none)."""
    keys: list[Any] = []
    if interval:
        period = table.week_start if interval == Interval.WEEK else table.month_start
        keys.append(period.label("period"))
    for dimension in group_by:
        column = getattr(table, dimension.value)
        if table is EventRollup:
            column = func.nullif(column, "")
        keys.append(column.label(dimension.value))
    return keys


def _rollup_clauses(
    filters: EventFilters, first: date | None, end: date | None
) -> list[ColumnElement[bool]]:
    f, r = filters, EventRollup
    clauses: list[ColumnElement[bool]] = []
    if f.statuses:
        clauses.append(r.status.in_([s.value for s in f.statuses]))
    if first:
        clauses.append(r.first_day >= first)
    if end:
        clauses.append(r.first_day < end)
    if f.countries:
        clauses.append(r.country.in_(f.countries))
    if f.admin1:
        clauses.append(or_(r.admin1_code.in_(f.admin1_codes), r.admin1_key.in_(f.admin1)))
    if f.event_types:
        clauses.append(r.event_type.in_(f.event_types))
    if f.sub_event_types:
        clauses.append(r.sub_event_type.in_(f.sub_event_types))
    return clauses


def _filled(
    buckets: list[dict[str, Any]], filters: EventFilters, interval: Interval
) -> list[dict[str, Any]]:
    """Every period from the first to the last, for every group, zeros where empty."""
    days = [date.fromisoformat(b["period"]) for b in buckets]
    first = filters.date_from or (min(days) if days else None)
    last = filters.date_to or (max(days) if days else None)
    if first is None or last is None:
        return buckets
    periods, day = [], period_start(first, interval)
    while day <= last:
        periods.append(day.isoformat())
        day = next_period(day, interval)
    groups = list({tuple(b["group"].items()): b["group"] for b in buckets}.values()) or [{}]
    if len(periods) * len(groups) > MAX_FILLED_BUCKETS:
        raise ValidationFailed(
            "fill=true would give too many buckets; narrow the dates",
            errors=[{"loc": ["query", "fill"], "msg": "too many buckets"}],
        )
    found = {(b["period"], tuple(b["group"].items())): b for b in buckets}
    return [
        found.get(
            (period, tuple(group.items())),
            {"period": period, "group": group, "events": 0, "fatalities": 0, "injured": 0},
        )
        for period in periods
        for group in groups
    ]

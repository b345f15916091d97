"""Aggregates over events, computed by SQL ``GROUP BY`` on both databases."""

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, and_, cast, func, literal_column, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models import Actor, Event
from app.services.event_query import EventFilters, filter_clauses

MAX_FILLED_BUCKETS = 100_000


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


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
# SQLite has no date_trunc: the Monday on or before the date, by weekday arithmetic.
_SQLITE_WEEK = (
    "date(events.occurred_on, '-' || ((CAST(strftime('%w', events.occurred_on) AS INTEGER)"
    " + 6) % 7) || ' days')"
)


def _period(interval: Interval, dialect: str) -> Any:
    """The first day of each event's period (ISO weeks start on Monday)."""
    if interval == Interval.DAY:
        return Event.occurred_on
    if dialect == "postgresql":
        return cast(func.date_trunc(interval.value, Event.occurred_on), Date)
    if interval == Interval.MONTH:
        return func.strftime("%Y-%m-01", Event.occurred_on)
    return literal_column(_SQLITE_WEEK)


def _next(day: date, interval: Interval) -> date:
    if interval == Interval.DAY:
        return day + timedelta(days=1)
    if interval == Interval.WEEK:
        return day + timedelta(weeks=1)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _start(day: date, interval: Interval) -> date:
    if interval == Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval == Interval.MONTH:
        return day.replace(day=1)
    return day


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
    dialect = session.get_bind().dialect.name
    keys: list[Any] = []
    if interval:
        keys.append(_period(interval, dialect).label("period"))
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
    buckets = [
        {
            "period": str(row.period)[:10] if interval else None,
            "group": {d.value: getattr(row, d.value) for d in group_by},
            "events": row.events,
            "fatalities": int(row.fatalities),
            "injured": int(row.injured),
        }
        for row in session.execute(query)
    ]
    if fill and interval:
        buckets = _filled(buckets, filters, interval)
    return buckets


def _filled(
    buckets: list[dict[str, Any]], filters: EventFilters, interval: Interval
) -> list[dict[str, Any]]:
    """Every period from the first to the last, for every group, zeros where empty."""
    days = [date.fromisoformat(b["period"]) for b in buckets]
    first = filters.date_from or (min(days) if days else None)
    last = filters.date_to or (max(days) if days else None)
    if first is None or last is None:
        return buckets
    periods, day = [], _start(first, interval)
    while day <= last:
        periods.append(day.isoformat())
        day = _next(day, interval)
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

"""Aggregates over events, computed by SQL ``GROUP BY`` on both databases."""

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models import Actor, Event
from app.services.event_query import EventFilters, filter_clauses
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

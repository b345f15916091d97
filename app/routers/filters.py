"""Query parameters shared by ``GET /v1/events`` and ``GET /v1/stats``."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AwareDatetime

from app.errors import ValidationFailed
from app.schemas.vocabulary import SUB_EVENT_TYPES, EventType, Status, normalise_country
from app.services.event_query import EventFilters
from app.services.events import fold

_LIST = "Comma-separated for several."


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _invalid(param: str, msg: str) -> ValidationFailed:
    return ValidationFailed(f"{param}: {msg}", errors=[{"loc": ["query", param], "msg": msg}])


def _checked(param: str, values: list[str], allowed: set[str] | frozenset[str]) -> list[str]:
    for value in values:
        if value not in allowed:
            raise _invalid(param, f"unknown value {value!r}")
    return values


def event_filters(
    date_from: Annotated[
        date | None, Query(description="Inclusive lower bound on occurred_on.")
    ] = None,
    date_to: Annotated[
        date | None, Query(description="Inclusive upper bound on occurred_on.")
    ] = None,
    updated_since: Annotated[
        AwareDatetime | None,
        Query(
            description="Only events changed after this time (RFC 3339), retractions included as "
            "tombstones; the default sort becomes `updated_at`."
        ),
    ] = None,
    country: Annotated[
        str | None, Query(description=f"ISO 3166-1 alpha-2 code or English name. {_LIST}")
    ] = None,
    admin1: Annotated[
        str | None,
        Query(description=f"First-level region, e.g. `Kharkiv Oblast`; case-insensitive. {_LIST}"),
    ] = None,
    place: Annotated[
        str | None, Query(description=f"Place name, case-insensitive. {_LIST}")
    ] = None,
    event_type: Annotated[str | None, Query(description=f"ACLED event type. {_LIST}")] = None,
    sub_event_type: Annotated[
        str | None, Query(description=f"ACLED sub-event type. {_LIST}")
    ] = None,
    actor: Annotated[
        str | None, Query(description=f"Actor name, case-insensitive. {_LIST}")
    ] = None,
    source: Annotated[
        str | None, Query(description=f"Source name, case-insensitive. {_LIST}")
    ] = None,
    tag: Annotated[str | None, Query(description=f"Tag, case-insensitive. {_LIST}")] = None,
    status: Annotated[
        str | None,
        Query(
            description="published (default), draft, retracted; the last two need a write "
            f"key. {_LIST}"
        ),
    ] = None,
    min_fatalities: Annotated[int | None, Query(ge=0, description="On fatalities.best.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in the title or description.")
    ] = None,
) -> EventFilters:
    if date_from and date_to and date_from > date_to:
        raise _invalid("date_to", "date_to is before date_from")
    countries = []
    for name in _split(country):
        try:
            countries.append(normalise_country(name))
        except ValueError as exc:
            raise _invalid("country", str(exc)) from None
    statuses = _checked("status", _split(status), {s.value for s in Status})
    return EventFilters(
        date_from=date_from,
        date_to=date_to,
        updated_since=updated_since,
        countries=countries,
        admin1=[fold(v) for v in _split(admin1)],
        places=[fold(v) for v in _split(place)],
        event_types=_checked("event_type", _split(event_type), {t.value for t in EventType}),
        sub_event_types=_checked("sub_event_type", _split(sub_event_type), SUB_EVENT_TYPES),
        actors=[fold(v) for v in _split(actor)],
        sources=[fold(v) for v in _split(source)],
        tags=[fold(v) for v in _split(tag)],
        statuses=[Status(s) for s in statuses],
        min_fatalities=min_fatalities,
        q=q.strip() if q and q.strip() else None,
    )


EventFiltersDep = Annotated[EventFilters, Depends(event_filters)]

"""Query parameters shared by ``GET /v1/events`` and ``GET /v1/stats``."""

import asyncio
import inspect
import math
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AwareDatetime

from app.deps import GazetteerDep
from app.errors import ValidationFailed
from app.geo.gazetteer import Gazetteer, unknown_place
from app.geo.names import fold_name
from app.schemas.vocabulary import SUB_EVENT_TYPES, EventType, Status, normalise_country
from app.services.event_query import Box, Circle, EventFilters
from app.services.events import fold

_LIST = "Comma-separated for several."


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def invalid_query(param: str, msg: str) -> ValidationFailed:
    return ValidationFailed(f"{param}: {msg}", errors=[{"loc": ["query", param], "msg": msg}])


def _checked(param: str, values: list[str], allowed: set[str] | frozenset[str]) -> list[str]:
    for value in values:
        if value not in allowed:
            raise invalid_query(param, f"unknown value {value!r}")
    return values


def _numbers(text: str, count: int) -> list[float] | None:
    parts = text.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers


def _bbox(text: str | None) -> Box | None:
    if text is None:
        return None
    numbers = _numbers(text, 4)
    if numbers is None:
        raise invalid_query("bbox", "expected min_lon,min_lat,max_lon,max_lat as four numbers")
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise invalid_query("bbox", "longitudes must lie between -180 and 180")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise invalid_query("bbox", "latitudes must lie between -90 and 90, min_lat <= max_lat")
    return Box(min_lon, min_lat, max_lon, max_lat)


def _near(
    text: str | None, radius_km: float | None, gazetteer: Gazetteer, countries: list[str]
) -> Circle | None:
    if text is None:
        if radius_km is not None:
            raise invalid_query("near", "radius_km needs near=lat,lon or near=<place>")
        return None
    if radius_km is None:
        raise invalid_query("radius_km", "near needs radius_km")
    numbers = _numbers(text, 2)
    if numbers is not None:
        lat, lon = numbers
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise invalid_query(
                "near", "latitude must lie in [-90, 90] and longitude in [-180, 180]"
            )
        return Circle(lat, lon, radius_km, place=None)
    place = gazetteer.resolve(text, countries=countries or None)
    if place is None:
        suggestions = gazetteer.suggest(text, countries=countries or None)
        raise invalid_query("near", unknown_place(text, suggestions))
    return Circle(
        place.latitude, place.longitude, radius_km, place={"query": text, **place.as_dict()}
    )


async def event_filters(
    gazetteer: GazetteerDep,
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
        str | None,
        Query(
            description="Place name in any spelling or script (`Kharkiv`, `Kharkov`, `Харків`); "
            "an ambiguous name means the most populous place of that name in `country` if "
            f"given, else anywhere. The response names the places chosen. {_LIST}"
        ),
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            description="`min_lon,min_lat,max_lon,max_lat`; min_lon > max_lon crosses the "
            "antimeridian."
        ),
    ] = None,
    near: Annotated[
        str | None,
        Query(description="`lat,lon` or a place name; needs `radius_km`."),
    ] = None,
    radius_km: Annotated[
        float | None,
        Query(gt=0, le=20_016, description="Great-circle distance from `near`, in km."),
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
    min_fatalities: Annotated[
        int | None, Query(ge=0, le=100_000_000, description="On fatalities.best.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in the title or description.")
    ] = None,
) -> EventFilters:
    if date_from and date_to and date_from > date_to:
        raise invalid_query("date_to", "date_to is before date_from")
    countries = []
    for name in _split(country):
        try:
            countries.append(normalise_country(name))
        except ValueError as exc:
            raise invalid_query("country", str(exc)) from None
    statuses = _checked("status", _split(status), {s.value for s in Status})
    places = [(name, gazetteer.resolve(name, countries=countries)) for name in _split(place)]
    return EventFilters(
        date_from=date_from,
        date_to=date_to,
        updated_since=updated_since,
        countries=countries,
        admin1=[fold_name(v) for v in _split(admin1)],
        admin1_codes=[code for v in _split(admin1) for code in gazetteer.admin1_codes(v)],
        places=[fold_name(name) for name, _ in places],
        place_ids=[found.id for _, found in places if found],
        resolved=[{"query": name, **found.as_dict()} for name, found in places if found],
        bbox=_bbox(bbox),
        near=_near(near, radius_km, gazetteer, countries),
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


def filters_from_query(params: dict[str, str], gazetteer: Gazetteer) -> EventFilters:
    """The filters of a query string outside a request (``sitrep export``)."""
    known = set(inspect.signature(event_filters).parameters) - {"gazetteer"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"unknown filter {', '.join(unknown)}; filters: {', '.join(sorted(known))}"
        )
    converters: dict[str, Any] = {
        "date_from": date.fromisoformat,
        "date_to": date.fromisoformat,
        "updated_since": datetime.fromisoformat,
        "min_fatalities": int,
        "radius_km": float,
    }
    values = {name: converters.get(name, str)(value) for name, value in params.items()}
    return asyncio.run(event_filters(gazetteer=gazetteer, **values))

"""Query parameters shared by ``GET /v1/events`` and ``GET /v1/stats``."""

import math
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.auth import Principal, Scope
from app.deps import require
from app.errors import ValidationFailed, invalid_input
from app.geo.gazetteer import Gazetteer, unknown_place
from app.geo.names import fold_name
from app.schemas.moment import CalendarDate, UTCMoment
from app.schemas.vocabulary import SUB_EVENT_TYPES, EventType, Status, normalise_country
from app.services.event_query import Box, Circle, EventFilters, default_statuses
from app.services.events import fold

_LIST = "Comma-separated for several."


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def invalid_query(param: str, msg: str) -> ValidationFailed:
    return ValidationFailed(f"{param}: {msg}", errors=[{"loc": ["query", param], "msg": msg}])


# The values these filters take, made once rather than from their enums on every list
# request.
_STATUSES = frozenset(s.value for s in Status)
_EVENT_TYPES = frozenset(t.value for t in EventType)


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


class FilterParams(BaseModel):
    """The filter parameters, validated together: FastAPI extracts and validates each
    declared query parameter on its own, which for seventeen of them halved the rate of a
    minimal endpoint (docs/performance-log.md)."""

    model_config = ConfigDict(extra="ignore")

    date_from: CalendarDate | None = Field(
        None, description="Inclusive lower bound on occurred_on."
    )
    date_to: CalendarDate | None = Field(None, description="Inclusive upper bound on occurred_on.")
    updated_since: UTCMoment | None = Field(
        None,
        description="Only events changed after this time (RFC 3339), retractions included as "
        "tombstones; the default sort becomes `updated_at`.",
    )
    country: str | None = Field(
        None, description=f"ISO 3166-1 alpha-2 code or English name. {_LIST}"
    )
    admin1: str | None = Field(
        None, description=f"First-level region, e.g. `Kharkiv Oblast`; case-insensitive. {_LIST}"
    )
    place: str | None = Field(
        None,
        description="Place name in any spelling or script (`Kharkiv`, `Kharkov`, `Харків`); "
        "an ambiguous name means the place `GET /v1/places` ranks first, in `country` if "
        "given: a place's own name before the old name or alias of one up to about five "
        "times as populous (`Pokrovsk` is Ukraine's, not Engels, once so called), then the "
        f"most populous. The response names the places chosen. {_LIST}",
    )
    bbox: str | None = Field(
        None,
        description="`min_lon,min_lat,max_lon,max_lat`; min_lon > max_lon crosses the "
        "antimeridian.",
    )
    near: str | None = Field(None, description="`lat,lon` or a place name; needs `radius_km`.")
    radius_km: float | None = Field(
        None, gt=0, le=20_016, description="Great-circle distance from `near`, in km."
    )
    event_type: str | None = Field(None, description=f"ACLED event type. {_LIST}")
    sub_event_type: str | None = Field(None, description=f"ACLED sub-event type. {_LIST}")
    actor: str | None = Field(None, description=f"Actor name, case-insensitive. {_LIST}")
    source: str | None = Field(None, description=f"Source name, case-insensitive. {_LIST}")
    tag: str | None = Field(None, description=f"Tag, case-insensitive. {_LIST}")
    status: str | None = Field(
        None,
        description="published (default), draft, retracted; the last two need a write "
        f"key. {_LIST}",
    )
    min_fatalities: int | None = Field(
        None, ge=0, le=100_000_000, description="On fatalities.best."
    )
    q: str | None = Field(None, max_length=200, description="Words in the title or description.")


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters, for routes that validate them
    themselves (``openapi_extra``; see ``validated_query``)."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})

    def inlined(node: Any) -> Any:
        """The schema with each reference to a definition (an enum's) replaced by it."""
        if isinstance(node, dict):
            if "$ref" in node:
                return inlined(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inlined(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inlined(value) for value in node]
        return node

    parameters = []
    for name, field_schema in inlined(schema["properties"]).items():
        description = field_schema.pop("description", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": field_schema,
            }
        )
    return parameters


# For a route that takes the filters: their documentation (see ``FilterParams``).
FILTERS_OPENAPI: dict[str, Any] = {"parameters": openapi_parameters(FilterParams)}


def build_filters(params: FilterParams, gazetteer: Gazetteer) -> EventFilters:
    """Checked, normalised filters, places resolved in the gazetteer."""
    p = params
    if p.date_from and p.date_to and p.date_from > p.date_to:
        raise invalid_query("date_to", "date_to is before date_from")
    countries = []
    for name in _split(p.country):
        try:
            countries.append(normalise_country(name))
        except ValueError as exc:
            raise invalid_query("country", str(exc)) from None
    statuses = _checked("status", _split(p.status), _STATUSES)
    places = [(name, gazetteer.resolve(name, countries=countries)) for name in _split(p.place)]
    return EventFilters(
        date_from=p.date_from,
        date_to=p.date_to,
        updated_since=p.updated_since,
        countries=countries,
        admin1=[fold_name(v) for v in _split(p.admin1)],
        admin1_codes=[code for v in _split(p.admin1) for code in gazetteer.admin1_codes(v)],
        places=[fold_name(name) for name, _ in places],
        place_ids=[found.id for _, found in places if found],
        resolved=[{"query": name, **found.as_dict()} for name, found in places if found],
        bbox=_bbox(p.bbox),
        near=_near(p.near, p.radius_km, gazetteer, countries),
        event_types=_checked("event_type", _split(p.event_type), _EVENT_TYPES),
        sub_event_types=_checked("sub_event_type", _split(p.sub_event_type), SUB_EVENT_TYPES),
        actors=[fold(v) for v in _split(p.actor)],
        sources=[fold(v) for v in _split(p.source)],
        tags=[fold(v) for v in _split(p.tag)],
        statuses=[Status(s) for s in statuses],
        min_fatalities=p.min_fatalities,
        q=p.q.strip() if p.q and p.q.strip() else None,
    )


Params = TypeVar("Params", bound=BaseModel)


def validated_query(model: type[Params], request: Request) -> Params:
    """The request's query parameters as ``model``; 422 naming any that are not valid."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise invalid_input(exc.errors(), loc=["query"]) from None


def request_filters(request: Request) -> EventFilters:
    """The request's filters; 422 naming any that is not valid."""
    return build_filters(validated_query(FilterParams, request), request.app.state.gazetteer)


async def event_filters(request: Request) -> EventFilters:
    return request_filters(request)


def scope_statuses(filters: EventFilters, principal: Principal, *, sync: bool) -> None:
    """Unpublished statuses need a write key; without a status filter, the defaults (a
    sync feed also carries retractions)."""
    if any(s != Status.PUBLISHED for s in filters.statuses):
        require(principal, Scope.WRITE)
    filters.statuses = filters.statuses or default_statuses(sync=sync)


EventFiltersDep = Annotated[EventFilters, Depends(event_filters)]


def filters_from_query(params: dict[str, str], gazetteer: Gazetteer) -> EventFilters:
    """The filters of a query string outside a request (``sitrep export``)."""
    known = set(FilterParams.model_fields)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"unknown filter {', '.join(unknown)}; filters: {', '.join(sorted(known))}"
        )
    try:
        valid = FilterParams.model_validate(params)
    except ValidationError as exc:
        raise invalid_input(exc.errors(), loc=[]) from None
    return build_filters(valid, gazetteer)

"""Request and response shapes of the event resource (see ``shared/API.md``)."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.schemas.example import EXAMPLE_EVENT, EXAMPLE_EVENT_INPUT
from app.schemas.moment import CalendarDate, UTCMoment
from app.schemas.vocabulary import (
    ACLED_TAXONOMY,
    ActorRole,
    Attribution,
    CasualtyGroup,
    CasualtyKind,
    Damage,
    DatePrecision,
    EventType,
    LocationPrecision,
    Qualifier,
    SourceKind,
    Status,
    normalise_country,
)

Name = Annotated[str, Field(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0, le=100_000_000)]
# Events are dated in local time; clocks run from 12 hours behind UTC to 14 ahead.
_LATEST_UTC_OFFSET = timedelta(hours=14)
_EARLIEST_UTC_OFFSET = timedelta(hours=12)


def _on_day(moment: datetime, day: date) -> bool:
    """Whether ``moment`` falls on ``day`` by some clock (UTC-12 to UTC+14)."""
    try:
        return (moment - _EARLIEST_UTC_OFFSET).date() <= day <= (moment + _LATEST_UTC_OFFSET).date()
    except OverflowError:  # within hours of the first moment Python holds (year 1)
        return abs((moment.date() - day).days) <= 1


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Location(_Input):
    name: Name
    admin1: Name | None = None
    admin2: Name | None = None
    admin3: Name | None = None
    country: str | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2; an English name "
        "or alpha-3 code is accepted and normalised on write.",
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    precision: LocationPrecision | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else normalise_country(value)

    @field_validator("longitude")
    @classmethod
    def _pair(cls, value: float | None, info: ValidationInfo) -> float | None:
        if "latitude" in info.data and (value is None) != (info.data["latitude"] is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        return value


class ActorRef(_Input):
    name: Name
    role: ActorRole
    attribution: Attribution | None = Field(
        default=None,
        description="How responsibility is known: claimed by the actor, alleged "
        "by another party, denied by the actor, or confirmed by an independent party.",
    )
    attributed_by: Name | None = Field(default=None, description="Who made that attribution.")


class CasualtyClaim(_Input):
    kind: CasualtyKind
    group: CasualtyGroup = CasualtyGroup.ALL
    count: Count
    qualifier: Qualifier = Qualifier.EXACT
    claimed_by: Name | None = None


class MunitionClaim(_Input):
    type: str = Field(min_length=1, max_length=60, examples=["drone", "ballistic missile"])
    launched: Count | None = None
    intercepted: Count | None = None
    claimed_by: Name | None = None

    @field_validator("intercepted")
    @classmethod
    def _not_more_than_launched(cls, value: int | None, info: ValidationInfo) -> int | None:
        launched = info.data.get("launched")
        if value is not None and launched is not None and value > launched:
            raise ValueError(f"intercepted ({value}) cannot exceed launched ({launched})")
        return value


class SourceRef(_Input):
    name: Name
    kind: SourceKind | None = None
    url: str | None = Field(default=None, max_length=2000)
    published_on: CalendarDate | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be an absolute http or https URL")
        return value


class EventCreate(_Input):
    """An event as a client writes it; the server adds id, version, figures and times."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EVENT_INPUT]})

    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The client's own id; unique. A second POST with it gives 409.",
    )
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    event_type: EventType
    sub_event_type: str | None = Field(
        default=None, description="ACLED sub-event type; must belong to `event_type`."
    )
    occurred_on: CalendarDate = Field(description="Local date of the event; not after today.")
    occurred_at: UTCMoment | None = Field(
        default=None, description="The moment, if known; it falls on `occurred_on` locally."
    )
    date_precision: DatePrecision = DatePrecision.DAY
    location: Location
    actors: list[ActorRef] = Field(default_factory=list, max_length=50)
    casualties: list[CasualtyClaim] = Field(default_factory=list, max_length=200)
    munitions: list[MunitionClaim] = Field(default_factory=list, max_length=50)
    damage: list[Damage] = Field(default_factory=list, max_length=len(Damage))
    sources: list[SourceRef] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )
    status: Status = Status.PUBLISHED

    @field_validator("sub_event_type")
    @classmethod
    def _sub_type_belongs(cls, value: str | None, info: ValidationInfo) -> str | None:
        event_type = info.data.get("event_type")
        if value is None or event_type is None:
            return value
        allowed = ACLED_TAXONOMY[event_type]
        if value not in allowed:
            raise ValueError(
                f"{value!r} is not a sub-event type of {event_type.value!r}; "
                f"expected one of: {', '.join(allowed)}"
            )
        return value

    @field_validator("occurred_on")
    @classmethod
    def _not_future_date(cls, value: date) -> date:
        latest = (datetime.now(UTC) + _LATEST_UTC_OFFSET).date()
        if value > latest:
            raise ValueError(f"{value.isoformat()} is in the future")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _on_its_day(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """Not in the future, and on ``occurred_on`` by some clock (UTC-12 to UTC+14)."""
        if value is None:
            return value
        if value > datetime.now(UTC) + timedelta(minutes=5):
            raise ValueError("occurred_at is in the future")
        day = info.data.get("occurred_on")
        if day is not None and not _on_day(value, day):
            raise ValueError(f"{value.isoformat()} is not on {day.isoformat()} in any time zone")
        return value

    @field_validator("damage", "tags")
    @classmethod
    def _dedupe(cls, values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(values))


class Figures(BaseModel):
    low: int | None = None
    best: int | None = None
    high: int | None = None


FIGURES_RULE = (
    "Derived, read-only. Computed from the casualty claims of this kind with `group: all`. "
    "Each claim counts as its `count`, except `more_than` N which counts as N+1. `low` is the "
    "smallest and `high` the largest of those values; `best` is their median (the lower of the "
    "two middle values when there is an even number, so it is always a figure someone claimed). "
    "Two sources saying 24 and 25 killed give low 24, best 24, high 25. With no `group: all` "
    "claim of the kind, all three are null."
)


class EventRead(BaseModel):
    """An event as the API serves it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EVENT]})

    id: str = Field(description="Server-assigned opaque id.")
    external_id: str | None
    title: str
    description: str | None
    event_type: EventType
    sub_event_type: str | None
    occurred_on: date
    occurred_at: datetime | None
    date_precision: DatePrecision
    location: Location
    actors: list[ActorRef]
    casualties: list[CasualtyClaim]
    munitions: list[MunitionClaim]
    damage: list[Damage]
    sources: list[SourceRef]
    tags: list[str]
    status: Status
    fatalities: Figures = Field(description=FIGURES_RULE)
    injured: Figures = Field(description=FIGURES_RULE)
    version: int
    created_at: datetime
    updated_at: datetime


class ResolvedPlace(BaseModel):
    """Which gazetteer place a name in the query was taken to mean."""

    query: str
    id: int = Field(description="GeoNames id")
    name: str
    admin1: str | None
    country: str
    latitude: float
    longitude: float
    population: int
    matched: str = Field(description="The alias that matched the query.")


class EventList(BaseModel):
    items: list[EventRead]
    places: list[ResolvedPlace] | None = Field(
        default=None, description="Places that `place` or a named `near` resolved to."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class EventBatch(_Input):
    events: list[EventCreate] = Field(min_length=1, max_length=1000)


class BatchCreated(BaseModel):
    items: list[EventRead]


class FieldChange(BaseModel):
    before: Any
    after: Any


class RevisionRead(BaseModel):
    version: int
    action: str = Field(description="created | updated | retracted")
    changed_at: datetime
    key_name: str | None = Field(description="Name of the API key that made the change.")
    changed_fields: list[str]
    changes: dict[str, FieldChange] = Field(description="Field-level before and after.")


class History(BaseModel):
    items: list[RevisionRead]

"""``/v1/extract``: draft events, with evidence, from the text of a news report."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.auth import Principal, Scope
from app.db import transaction
from app.deps import GazetteerDep, Reader, require, require_json_body
from app.errors import ValidationFailed, field_errors
from app.extract.reader import ReportReader
from app.geo.gazetteer import Gazetteer
from app.json_body import StrictJSONRoute
from app.schemas.event import EventCreate, SourceRef
from app.schemas.moment import CalendarDate
from app.schemas.problem import PROBLEM_RESPONSES
from app.services import events

router = APIRouter(
    prefix="/v1/extract", tags=["extract"], route_class=StrictJSONRoute, responses=PROBLEM_RESPONSES
)


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=50_000, description="The report, in English.")
    published_on: CalendarDate = Field(description='Relative dates ("on Tuesday") count from here.')
    source: SourceRef | None = None


class Evidence(BaseModel):
    start: int = Field(description="Offset of the first character in `text`.")
    end: int = Field(description="Offset after the last character.")
    text: str
    field: str = Field(description="What the words support, e.g. `casualties[0]`.")


class DraftEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = Field(default=None, description="Set when saved (`save=true`).")
    evidence: list[Evidence]


class Extraction(BaseModel):
    events: list[DraftEvent]


@router.post(
    "",
    response_model=Extraction,
    summary="Extract events from a report",
    dependencies=[Depends(require_json_body)],
)
def extract(
    report: Report,
    request: Request,
    principal: Reader,
    gazetteer: GazetteerDep,
    save: Annotated[
        bool, Query(description="Store the events as drafts (needs a write key).")
    ] = False,
) -> Extraction:
    """Casualty figures (with who claimed them), munitions, places, dates, attribution,
    event type and damage, each with the character spans of the words it came from.
    Deterministic and offline; counts are never made up."""
    if save:
        require(principal, Scope.WRITE)
    drafts = ReportReader(gazetteer).read(report.text, report.published_on)
    if report.source:
        for draft in drafts:
            draft["sources"] = [report.source.model_dump(mode="json")]
    if save and drafts:
        _save(request, principal, gazetteer, drafts)
    return Extraction(events=[DraftEvent.model_validate(d) for d in drafts])


def _save(
    request: Request, principal: Principal, gazetteer: Gazetteer, drafts: list[dict[str, Any]]
) -> None:
    try:
        bodies = [
            EventCreate.model_validate({k: v for k, v in d.items() if k != "evidence"})
            for d in drafts
        ]
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        raise ValidationFailed(
            "An extracted event is not valid; review it by hand.", errors=errors
        ) from None
    with transaction(request.app.state.session_factory, write=True) as session:
        stored = events.create(
            session, events=bodies, principal=principal, gazetteer=gazetteer, batch=True
        )
    for draft, event in zip(drafts, stored, strict=True):
        draft["id"] = event.id

"""``/v1/stats``: counts and tolls by period and group, over the event filters."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.deps import Reader, reading
from app.reads import run_read
from app.routers.filters import FILTERS_OPENAPI, EventFiltersDep, invalid_query, scope_statuses
from app.schemas.problem import PROBLEM_RESPONSES
from app.services import stats
from app.services.answers import Answers, last_write
from app.services.periods import Interval
from app.services.stats import Dimension

router = APIRouter(prefix="/v1/stats", tags=["stats"], responses=PROBLEM_RESPONSES)


class Bucket(BaseModel):
    period: str | None = Field(description="First day of the period (ISO weeks start Monday).")
    group: dict[str, str | None] = Field(description="Value of each `group_by` dimension.")
    events: int
    fatalities: int = Field(description="Sum of the events' `fatalities.best`.")
    injured: int = Field(description="Sum of the events' `injured.best`.")


class Stats(BaseModel):
    interval: Interval | None
    group_by: list[Dimension]
    buckets: list[Bucket]


@router.get("", response_model=Stats, summary="Aggregate events", openapi_extra=FILTERS_OPENAPI)
async def get_stats(
    request: Request,
    principal: Reader,
    filters: EventFiltersDep,
    interval: Annotated[Interval | None, Query(description="Bucket by period.")] = None,
    group_by: Annotated[
        str | None,
        Query(
            description="One or two of country, admin1, event_type, sub_event_type, actor, "
            "comma-separated."
        ),
    ] = None,
    fill: Annotated[bool, Query(description="Emit zero buckets for empty periods.")] = False,
) -> Response:
    """Events, fatalities and injured per period and group, with every filter of
    `GET /v1/events`. An event with several actors counts once for each actor."""
    dimensions = []
    for name in [part.strip() for part in (group_by or "").split(",") if part.strip()]:
        if name not in Dimension.__members__.values():
            raise invalid_query("group_by", f"unknown dimension {name!r}")
        dimensions.append(Dimension(name))
    if len(dimensions) > 2 or len(set(dimensions)) != len(dimensions):
        raise invalid_query("group_by", "give one or two different dimensions")
    if fill and interval is None:
        raise invalid_query("fill", "fill needs an interval")
    scope_statuses(filters, principal, sync=False)
    # The filters as validated, with the statuses this caller may see, are the question.
    key = repr((filters, interval, dimensions, fill))
    answers: Answers = request.app.state.stats_answers

    def answer(session: Session) -> bytes:
        buckets = stats.aggregate(
            session, filters=filters, interval=interval, group_by=dimensions, fill=fill
        )
        # Plain ints and strings already: written as they are, not revalidated.
        return orjson.dumps({"interval": interval, "group_by": dimensions, "buckets": buckets})

    def computed() -> bytes:
        with reading(request) as session:
            return answers.get(session, key, answer)

    # A dashboard asks the same question until the next write: whether its answer is kept
    # is read on the event loop (``app.reads``), and only a new answer is computed in a
    # thread, as an aggregation may read many rows.
    body = answers.kept(key, await run_read(request, last_write))
    if body is None:
        body = await run_in_threadpool(computed)
    return Response(body, media_type="application/json")

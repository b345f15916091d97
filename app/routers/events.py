"""``/v1/events``: create, read, list, patch, retract, history."""

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any, NamedTuple
from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth import Principal
from app.deps import (
    GazetteerDep,
    Reader,
    Writer,
    WriteSession,
    get_reader,
    reading,
    require_json_body,
)
from app.group_commit import GroupCommit
from app.interchange import export, flat, geojson
from app.interchange.export import ExportFormat
from app.json_body import StrictJSONRoute
from app.reads import run_read
from app.routers.filters import (
    FILTERS_OPENAPI,
    openapi_parameters,
    request_filters,
    scope_statuses,
    validated_query,
)
from app.schemas.event import (
    BatchCreated,
    EventBatch,
    EventCreate,
    EventList,
    EventRead,
    History,
    RevisionRead,
)
from app.schemas.moment import UTCMoment
from app.schemas.problem import PROBLEM_RESPONSES
from app.schemas.vocabulary import Status
from app.services import event_query, events, idempotency
from app.services.event_query import EventFilters, Sort

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=StrictJSONRoute)


JSON = "application/json"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description=(
            "Replays the first response for the same body, for "
            f"{idempotency.KEPT_FOR // timedelta(hours=1)} hours; another body gives 422."
        ),
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag last read; a stale one gives 412 and changes nothing.",
    ),
]


def etag(event_id: str, version: int) -> str:
    return f'"{event_id}.{version}"'


def _if_match_version(header: str | None, event_id: str) -> int | None:
    """The version an If-Match header names; -1 (never current) if it names none."""
    if header is None or header.strip() == "*":
        return None
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        ident, _, version = tag.rpartition(".")
        if ident == event_id and version.isdigit():
            return int(version)
    return -1


def _json(
    body: bytes | str, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)


def _array_items(documents: Iterable[str]) -> bytes:
    """Stored JSON documents as the items of a JSON array. Each is encoded alone and the
    bytes joined once: a str joined from them is wide if one document is not ASCII, and
    encoding a wide page cost more than its query (docs/performance-log.md)."""
    return b",".join([document.encode() for document in documents])


def _event_response(event: events.Served, status_code: int = 200) -> Response:
    headers = {"ETag": etag(event.id, event.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/events/{event.id}"
    return _json(event.document, status_code, headers)


def _idempotent(
    session: Session,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    handler: Callable[[], Response],
) -> Response:
    """Run ``handler`` once per (API key, Idempotency-Key); replay its response after (a
    different ``body`` with the same key is refused)."""
    if key is None:
        return handler()
    assert principal.name is not None
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    stored = idempotency.replay(
        session, key_name=principal.name, idempotency_key=key, body_hash=body_hash
    )
    if stored is None:
        response = handler()
        stored = idempotency.StoredResponse(
            response.status_code, bytes(response.body).decode(), response.headers.get("location")
        )
        idempotency.store(
            session,
            key_name=principal.name,
            idempotency_key=key,
            body_hash=body_hash,
            response=stored,
        )
        return response
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
        first = orjson.loads(stored.body)  # a single event: replay its ETag too
        headers["ETag"] = etag(first["id"], first["version"])
    return _json(stored.body, stored.status_code, headers)


@router.post(
    "",
    status_code=201,
    response_model=EventRead,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(require_json_body)],
    summary="Create an event",
)
async def create_event(
    event: EventCreate,
    request: Request,
    principal: Writer,
    gazetteer: GazetteerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create one event. A repeated `external_id` gives 409 naming the existing event."""
    prepared = events.prepare([event], gazetteer=gazetteer)
    return await _store(
        request,
        principal,
        idempotency_key,
        event,
        prepared,
        lambda stored: _event_response(stored[0], 201),
    )


@router.post(
    "/batch",
    status_code=201,
    response_model=BatchCreated,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(require_json_body)],
    summary="Create up to 1000 events",
)
async def create_batch(
    batch: EventBatch,
    request: Request,
    principal: Writer,
    gazetteer: GazetteerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """All or nothing: one bad item rejects the batch, and the error names its index."""
    # Up to a thousand events: prepared in a thread, not on the event loop.
    prepared = await run_in_threadpool(
        events.prepare, batch.events, gazetteer=gazetteer, batch=True
    )
    return await _store(
        request,
        principal,
        idempotency_key,
        batch,
        prepared,
        lambda stored: _json(b'{"items":[' + _array_items(e.document for e in stored) + b"]}", 201),
    )


async def _store(
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    prepared: list[events.NewEvent],
    respond: Callable[[list[events.Served]], Response],
) -> Response:
    """Store events prepared before this request's turn to write, committed with the other
    writes waiting for it (``app.group_commit``), once per Idempotency-Key. Without a key,
    the waiting writes are stored together, and the response is built after the turn."""
    group_commit: GroupCommit = request.app.state.group_commit
    if key is None:
        return respond(
            await group_commit.run_together(events.store_together, (prepared, principal))
        )
    return await group_commit.run(
        lambda session: _idempotent(
            session,
            principal,
            key,
            body,
            lambda: respond(events.store(session, prepared, principal)),
        )
    )


# What the public sees of a retracted event (in a sync feed).
TOMBSTONE_FIELDS = ("id", "external_id", "status", "version", "updated_at")


def _tombstoned(status: str, principal: Principal) -> bool:
    return status == Status.RETRACTED and not principal.sees_unpublished


def _served(document: str, status: str, principal: Principal) -> str:
    """The event as this caller may see it: a retraction is a tombstone to the public."""
    if _tombstoned(status, principal):
        event = orjson.loads(document)
        return orjson.dumps({key: event[key] for key in TOMBSTONE_FIELDS}).decode()
    return document


def _served_csv(line: str, status: str, principal: Principal) -> str:
    """The event's stored CSV line as this caller may see it."""
    if _tombstoned(status, principal):
        return flat.keep_cells(line, TOMBSTONE_FIELDS)
    return line


def _documents(rows: Iterable[tuple[Any, ...]], principal: Principal) -> Iterator[str]:
    """The documents of a list's rows (``event_query.Page``) as this caller may see them.
    A status of None was not read, as no row could be a tombstone (``list_events``): those
    rows are served as stored, without two calls each (a page of 100 took 24 us, now 11)."""
    return (
        document if status is None else _served(document, status, principal)
        for _, _, document, status in rows
    )


def _lines(rows: Iterable[tuple[Any, ...]], principal: Principal) -> Iterator[str]:
    """The stored CSV lines of a list's rows as this caller may see them (as ``_documents``)."""
    return (
        line if status is None else _served_csv(line, status, principal)
        for _, _, line, status in rows
    )


_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {"content": {media_type.split(";")[0]: {} for media_type in export.MEDIA_TYPES.values()}}
}


class PageParams(BaseModel):
    """The list's own query parameters, validated together like ``FilterParams``."""

    model_config = ConfigDict(extra="ignore")

    sort: Sort | None = Field(
        None, description="Default `-occurred_on`; `updated_at` with `updated_since`."
    )
    limit: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Page size (default 50). CSV, NDJSON and ACLED exports without `limit` "
        "stream every matching event.",
    )
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")
    format: ExportFormat | None = Field(
        None,
        description="json (default), geojson, csv, ndjson or acled; also chosen by `Accept` "
        "(application/geo+json, text/csv, application/x-ndjson).",
    )


def _next_page_url(request: Request, cursor: str) -> str:
    """This page's URL with the next page's ``cursor``, the other parameters as the client
    sent them. (Starlette's ``include_query_params`` decodes and encodes them all anew,
    which was a twentieth of a page's instructions, docs/performance-log.md.)"""
    url, _, query = str(request.url).partition("?")
    kept = [p for p in query.split("&") if p and unquote_plus(p.partition("=")[0]) != "cursor"]
    return f"{url}?{'&'.join([*kept, f'cursor={cursor}'])}"  # a cursor is URL-safe base64


@router.get(
    "",
    response_model=EventList,
    responses={**PROBLEM_RESPONSES, **_EXPORTS},
    summary="Query events",
    openapi_extra={"parameters": FILTERS_OPENAPI["parameters"] + openapi_parameters(PageParams)},
)
async def list_events(request: Request) -> Response:
    """Events matching every filter, newest first, in pages linked by opaque keyset cursors.

    `sort=distance` (with `near`) orders by great-circle distance. When `place` or a named
    `near` was resolved in the gazetteer, `places` in the response says which place each
    name was taken to mean.
    """
    # The caller and the filters as ``Reader`` and ``EventFiltersDep`` give them elsewhere,
    # taken here: the list is the most requested endpoint, and FastAPI solving two
    # dependencies cost about a thirtieth of a page's instructions (docs/performance-log.md).
    principal = await get_reader(request)
    filters = request_filters(request)
    asked = validated_query(PageParams, request)
    fmt = asked.format or export.from_accept(request.headers.get("accept", ""))
    sync = filters.updated_since is not None
    scope_statuses(filters, principal, sync=sync)
    sort = asked.sort or (Sort.UPDATED_ASC if sync else Sort.OCCURRED_DESC)
    columns = event_query.stored_columns(
        csv=fmt == ExportFormat.CSV,
        # The status is read only where a row may be served as a tombstone.
        status=any(_tombstoned(status, principal) for status in filters.statuses),
    )
    query = _ListQuery(request, principal, filters, sort, asked, fmt, columns)
    if fmt in export.STREAMED and asked.limit is None:
        # An export reads for as long as it streams, in threads (as Starlette iterates it).
        return await run_in_threadpool(_export, query, request.app.state.engine)
    return await run_read(request, partial(_page, query))


class _ListQuery(NamedTuple):
    """What the list was asked for, as ``list_events`` read it from the request."""

    request: Request
    principal: Principal
    filters: EventFilters
    sort: Sort
    asked: PageParams
    fmt: ExportFormat
    columns: tuple[Any, ...]


def _export(query: _ListQuery, engine: Engine) -> Response:
    rows = event_query.iter_rows(
        engine, filters=query.filters, sort=query.sort, columns=query.columns
    )
    if query.fmt == ExportFormat.CSV:
        chunks = export.flat_csv(_lines(rows, query.principal))
    else:
        chunks = export.render(query.fmt, _documents(rows, query.principal))
    return StreamingResponse(chunks, media_type=export.MEDIA_TYPES[query.fmt])


def _page(query: _ListQuery, engine: Engine) -> Response:
    request, principal, filters, fmt = query.request, query.principal, query.filters, query.fmt
    page = event_query.list_events(
        engine,
        filters=filters,
        sort=query.sort,
        limit=query.asked.limit or 50,
        cursor=query.asked.cursor,
        columns=query.columns,
    )
    headers, next_url = {}, None
    if page.next_cursor:
        next_url = _next_page_url(request, page.next_cursor)
        headers["Link"] = f'<{next_url}>; rel="next"'
    if fmt == ExportFormat.CSV:
        body = b"".join(export.flat_csv(_lines(page.rows, principal)))
        return Response(body, media_type=export.MEDIA_TYPES[fmt], headers=headers)
    items = list(_documents(page.rows, principal))
    places = filters.resolved + (
        [filters.near.place] if filters.near and filters.near.place else []
    )
    extra = {"places": places} if places else {}
    if fmt == ExportFormat.GEOJSON:
        body = geojson.feature_collection(
            items, next_cursor=page.next_cursor, next_url=next_url, extra=extra
        )
        return Response(body, media_type=geojson.MEDIA_TYPE, headers=headers)
    if fmt != ExportFormat.JSON:
        body = b"".join(export.render(fmt, items))
        return Response(body, media_type=export.MEDIA_TYPES[fmt], headers=headers)
    body = b"".join(
        [
            b'{"items":[',
            _array_items(items),
            b'],"next_cursor":',
            orjson.dumps(page.next_cursor),
            b',"places":' + orjson.dumps(places) if places else b"",
            b"}",
        ]
    )
    return _json(body, headers=headers)


@router.get(
    "/{event_id}",
    response_model=EventRead,
    responses={**PROBLEM_RESPONSES, 304: {}},
    summary="Get one event",
)
async def get_event(
    event_id: str,
    request: Request,
    principal: Reader,
    as_of: Annotated[
        UTCMoment | None,
        Query(description="Return the event as it stood at this time (RFC 3339)."),
    ] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    if as_of is not None:
        return await run_in_threadpool(_as_of, request, event_id, as_of, principal)
    row = await run_read(
        request, partial(events.get_served, event_id=event_id, principal=principal)
    )
    tag = etag(row.id, row.version)
    if if_none_match and (if_none_match.strip() == "*" or tag in if_none_match):
        return Response(status_code=304, headers={"ETag": tag})
    return _json(row.document, headers={"ETag": tag})


def _as_of(request: Request, event_id: str, as_of: datetime, principal: Principal) -> Response:
    with reading(request) as session:
        document = events.get_as_of(session, event_id=event_id, as_of=as_of, principal=principal)
    return _json(document)


@router.patch(
    "/{event_id}",
    response_model=EventRead,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(require_json_body)],
    summary="Change an event",
)
def patch_event(
    event_id: str,
    patch: Annotated[
        dict[str, Any],
        Body(
            description="JSON merge patch (RFC 7396): fields to change; null removes a field; "
            "lists are replaced whole.",
            # The server refuses any other field (422), so the schema names them.
            json_schema_extra={
                "properties": {field: {} for field in events.WRITABLE_FIELDS},
                "additionalProperties": False,
            },
            examples=[
                {"casualties": [{"kind": "killed", "count": 25, "claimed_by": "Regional governor"}]}
            ],
        ),
    ],
    session: WriteSession,
    principal: Writer,
    gazetteer: GazetteerDep,
    if_match: IfMatch = None,
) -> Response:
    """Apply a merge patch. Bumps `version` and keeps a revision when anything changed."""
    event, _ = events.update_event(
        session,
        event_id=event_id,
        patch=patch,
        principal=principal,
        gazetteer=gazetteer,
        if_match=_if_match_version(if_match, event_id),
    )
    return _event_response(event)


@router.delete(
    "/{event_id}", status_code=204, responses=PROBLEM_RESPONSES, summary="Retract an event"
)
def retract_event(
    event_id: str,
    session: WriteSession,
    principal: Writer,
    gazetteer: GazetteerDep,
    if_match: IfMatch = None,
) -> Response:
    """Soft delete: the event's status becomes `retracted`; the record and history stay."""
    event, _ = events.update_event(
        session,
        event_id=event_id,
        patch={"status": Status.RETRACTED.value},
        principal=principal,
        gazetteer=gazetteer,
        if_match=_if_match_version(if_match, event_id),
        action="retracted",
    )
    return Response(status_code=204, headers={"ETag": etag(event.id, event.version)})


@router.get(
    "/{event_id}/history",
    response_model=History,
    responses=PROBLEM_RESPONSES,
    summary="Revisions of an event",
)
def event_history(event_id: str, request: Request, principal: Reader) -> History:
    """Every write to the event, oldest first: version, time, key name, changed fields."""
    with reading(request) as session:
        revisions = events.history(session, event_id=event_id, principal=principal)
    return History(
        items=[
            RevisionRead(
                version=r.version,
                action=r.action,
                changed_at=r.changed_at,
                key_name=r.key_name,
                changed_fields=list(r.changes),
                changes=r.changes,
            )
            for r in revisions
        ]
    )

"""Request dependencies: the database session, the caller, and request checks."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session, sessionmaker

from app.auth import ANONYMOUS, Principal, Scope
from app.config import Settings
from app.db import transaction
from app.errors import BadRequest, Forbidden, Unauthorized, UnsupportedMediaType
from app.geo.gazetteer import Gazetteer
from app.reads import run_read
from app.services import keys


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


async def get_gazetteer(request: Request) -> Gazetteer:
    gazetteer: Gazetteer = request.app.state.gazetteer
    return gazetteer


GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
        return token.strip()
    return request.headers.get("x-api-key")


async def get_principal(request: Request) -> Principal:
    """The caller: anonymous without a key, 401 for a key that is not valid.

    The key is looked up on the event loop, as the most requested reads are
    (``app.reads``): in a thread, its hop cost more than the lookup. Recording its last
    use, a write, runs in a thread.
    """
    key = _presented_key(request)
    if key is None:
        return ANONYMOUS
    principal, stale = await run_read(request, lambda engine: keys.authenticate(engine, key=key))
    if stale:
        await run_in_threadpool(_touch, request, principal)
    return principal


def _touch(request: Request, principal: Principal) -> None:
    assert principal.name is not None
    with transaction(_factory(request), write=True) as session:
        keys.touch(session, name=principal.name)


def require(principal: Principal, scope: Scope) -> Principal:
    if principal.name is None:
        raise Unauthorized(f"This needs an API key with the {scope.value!r} scope.")
    if not principal.has(scope):
        raise Forbidden(f"The key {principal.name!r} lacks the {scope.value!r} scope.")
    return principal


async def get_reader(request: Request) -> Principal:
    # Called, not declared as a sub-dependency: one level less for FastAPI to solve.
    return _may_read(request, await get_principal(request))


def _may_read(request: Request, principal: Principal) -> Principal:
    settings: Settings = request.app.state.settings
    return principal if settings.public_read else require(principal, Scope.READ)


async def get_writer(request: Request) -> Principal:
    return require(await get_principal(request), Scope.WRITE)


Reader = Annotated[Principal, Depends(get_reader)]
Writer = Annotated[Principal, Depends(get_writer)]


def reading(request: Request) -> Session:
    """A session for an endpoint's reads: ``with reading(request) as session:`` in its body
    closes it as the block ends. The endpoint checks the caller itself (``Reader``).

    Not a dependency: FastAPI's handling of a dependency that yields was about a tenth of a
    read's time. Closing in the endpoint's thread is cheap: a read-only transaction ends in
    memory on SQLite, and on PostgreSQL reads run without one
    (``app.db.make_read_session_factory``).
    """
    session: Session = request.app.state.read_session_factory()
    return session


def get_write_session(request: Request, _writer: Writer) -> Iterator[Session]:
    """A session that holds the write lock from the start (SQLite), committed before responding.

    It depends on the writer so that the key is checked (and its last use recorded, in a
    transaction of its own) before this session takes the lock.
    """
    with transaction(_factory(request), write=True) as session:
        yield session


WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]


async def require_json_body(request: Request) -> None:
    """415 unless the body is declared as JSON (``application/json`` or ``*+json``)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(
            f"Send the body as JSON with 'Content-Type: application/json' "
            f"(got {media_type or 'none'!r})."
        )


async def check_request_params(request: Request) -> None:
    """400 naming any query parameter the route does not take (catches typos like ``contry``),
    or any parameter holding a NUL character (no database stores one)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _KNOWN_QUERY_PARAMS.get(id(dependant))
    if known is None:
        # Declared parameters, and those a route validates itself and documents.
        documented = (getattr(route, "openapi_extra", None) or {}).get("parameters", [])
        known = _query_param_names(dependant) | {p["name"] for p in documented}
        _KNOWN_QUERY_PARAMS[id(dependant)] = known
    unknown = sorted(set(request.query_params) - known)
    nul = sorted(
        name
        for name, value in [*request.query_params.multi_items(), *request.path_params.items()]
        if "\x00" in value
    )
    if nul:
        raise BadRequest(
            "NUL characters are not accepted.",
            errors=[{"loc": ["query", name], "msg": "contains NUL"} for name in nul],
        )
    if unknown:
        raise BadRequest(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            errors=[{"loc": ["query", name], "msg": "unknown query parameter"} for name in unknown],
        )


# Routes live as long as the process, so their dependants' ids are stable keys.
_KNOWN_QUERY_PARAMS: dict[int, frozenset[str]] = {}


def _query_param_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_param_names(sub)
    return frozenset(names)

"""API key records: create, list, revoke, and authenticate a presented key."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Engine, bindparam, select, update
from sqlalchemy.orm import Session

from app.auth import Principal, Scope, expand_scopes, generate_key, hash_key
from app.db import fetch_rows
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.models import ApiKey
from app.models.base import UTCDateTime

MAX_NAME_LENGTH = 100
# Recording every use would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def check_name(name: str) -> str:
    """A key name as stored: without surrounding spaces, 1 to 100 characters, and none of
    them a control character (the name goes into logs and every revision's history)."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ValueError(f"a key name has 1 to {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise ValueError("a key name has no control characters (tabs, line breaks)")
    return name


def create(
    session: Session, *, name: str, scopes: set[Scope], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Store a new key's hash; returns the record and the key, which is shown only once."""
    try:
        name = check_name(name)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"a key named {name!r} already exists")
    secret = generate_key()
    record = ApiKey(
        name=name,
        key_hash=hash_key(secret),
        scopes=",".join(sorted(scopes)),
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return record, secret


def get_all(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke(session: Session, *, name: str) -> ApiKey:
    record = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None:
        raise NotFound(f"no key named {name!r}")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.flush()
    return record


_BY_HASH = select(
    ApiKey.name, ApiKey.scopes, ApiKey.revoked_at, ApiKey.expires_at, ApiKey.last_used_at
).where(ApiKey.key_hash == bindparam("key_hash"))


@cache
def _moment(dialect: Dialect) -> Callable[[Any], datetime | None]:
    """The driver's value of a ``UTCDateTime`` column as SQLAlchemy would return it."""
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    return process


def authenticate(engine: Engine, *, key: str) -> tuple[Principal, bool]:
    """The principal for a presented key (401 if unknown, revoked or expired), and whether
    its last-used time is stale enough to record with ``touch``.

    Every keyed request starts here, so the key is read on the driver (``fetch_rows``): an
    ORM session and its transaction around the lookup were a fifth of a POST's work.
    """
    rows = fetch_rows(engine, _BY_HASH, {"key_hash": hash_key(key)})
    if not rows or rows[0][2] is not None:  # unknown, or revoked
        raise Unauthorized("The API key is not valid.")
    name, scopes, _, expires_at, last_used_at = rows[0]
    moment = _moment(engine.dialect)  # SQLite gives its text; both give UTC datetimes here
    expires_at, last_used_at = moment(expires_at), moment(last_used_at)
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise Unauthorized("The API key has expired.")
    stale = last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION
    return Principal(name=name, scopes=expand_scopes({Scope(s) for s in scopes.split(",")})), stale


def touch(session: Session, *, name: str) -> None:
    """Record that the key was used now."""
    session.execute(
        update(ApiKey).where(ApiKey.name == name).values(last_used_at=datetime.now(UTC))
    )

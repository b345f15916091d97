"""API key records: create, list, revoke, and authenticate a presented key."""

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Engine, bindparam, event, select, update
from sqlalchemy.orm import Session

from app.auth import Principal, Scope, expand_scopes, generate_key, hash_key
from app.db import fetch_rows, sqlite_path
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.models import ApiKey
from app.models.base import UTCDateTime

MAX_NAME_LENGTH = 100
# Recording every use would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def check_name(name: str) -> str:
    """A key name as stored: without surrounding spaces, 1 to 100 characters, and none of
    them a control character (the name goes into logs and every revision's history). It
    is revoked at ``/v1/keys/{name}``, so it holds no ``/`` and is not ``.`` or ``..``,
    which no URL path segment can carry."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ValueError(f"a key name has 1 to {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise ValueError("a key name has no control characters (tabs, line breaks)")
    if "/" in name or name in {".", ".."}:
        raise ValueError("a key name has no '/' and is not '.' or '..' (it goes in a URL path)")
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
    """Mark the key revoked; once the session commits, every process sharing an SQLite
    database forgets the keys it found (``_mark_revocation``)."""
    record = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None:
        raise NotFound(f"no key named {name!r}")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.flush()
    path = sqlite_path(session.get_bind().engine)
    if path is not None:  # marked again if already revoked: a retry after a failed mark
        event.listen(session, "after_commit", lambda _: _mark_revocation(path), once=True)
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
    found = _found(engine, hash_key(key))
    if found is None or found.revoked:
        raise Unauthorized("The API key is not valid.")
    now = datetime.now(UTC)
    if found.expires_at is not None and found.expires_at <= now:
        raise Unauthorized("The API key has expired.")
    stale = found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION
    if stale:
        found.last_used_at = now  # the caller records it
    return found.principal, stale


@dataclass
class _Found:
    """A stored key as ``authenticate`` found it."""

    principal: Principal
    revoked: bool
    expires_at: datetime | None
    last_used_at: datetime | None


# Keys found in SQLite databases, by database file and key hash, each with the database's
# ``_marks`` when it was read (``_found``).
_FOUND: dict[tuple[str, str], tuple[tuple[int, ...], _Found]] = {}


def _found(engine: Engine, key_hash: str) -> _Found | None:
    """The stored key with ``key_hash``, or None.

    On SQLite a key found is kept until a revocation marks the database (``revoke``):
    under POSTs the lookup, on the event loop, took 83-118 us of CPU at the median and up
    to 2.7 ms of the loop's time, and keeping found keys served 16% more POSTs at 15% less
    CPU a POST (docs/performance-log.md). Each lookup checks the marks with two ``stat``
    calls, so a revoked key stops working at once in every process; a database file
    replaced by another is noticed too, one overwritten in place while servers run is
    not. PostgreSQL keeps nothing: its servers may share no file.
    """
    path = sqlite_path(engine)
    marks = _marks(path) if path is not None else None
    if path is None or marks is None:  # nothing is kept
        return _read(engine, key_hash)
    kept = _FOUND.get((path, key_hash))
    if kept is not None and kept[0] == marks:
        return kept[1]
    found = _read(engine, key_hash)  # after reading the marks: a later revocation changes them
    if found is not None:
        _FOUND[(path, key_hash)] = (marks, found)
    return found


def _read(engine: Engine, key_hash: str) -> _Found | None:
    rows = fetch_rows(engine, _BY_HASH, {"key_hash": key_hash})
    if not rows:
        return None
    name, scopes, revoked_at, expires_at, last_used_at = rows[0]
    moment = _moment(engine.dialect)  # SQLite gives its text; both give UTC datetimes here
    return _Found(
        Principal(name=name, scopes=expand_scopes({Scope(s) for s in scopes.split(",")})),
        revoked=revoked_at is not None,
        expires_at=moment(expires_at),
        last_used_at=moment(last_used_at),
    )


def _marks(path: str) -> tuple[int, ...] | None:
    """What identifies the database file and its last revocation mark; None if they cannot
    be read (then nothing is kept). A mark replaces its file, so its inode changes."""
    try:
        database = os.stat(path)
        try:
            mark = os.stat(f"{path}-revocations")
        except FileNotFoundError:
            return (database.st_ino, 0, 0)
        return (database.st_ino, mark.st_ino, mark.st_mtime_ns)
    except OSError:
        return None


def _mark_revocation(path: str) -> None:
    """Tell every process sharing the SQLite database at ``path`` that a key was revoked."""
    handle, written = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".revocation-")
    os.close(handle)
    now = time.time_ns()  # the file system's own clock may not tick between two marks
    os.utime(written, ns=(now, now))
    os.replace(written, f"{path}-revocations")


def touch(session: Session, *, name: str) -> None:
    """Record that the key was used now."""
    session.execute(
        update(ApiKey).where(ApiKey.name == name).values(last_used_at=datetime.now(UTC))
    )

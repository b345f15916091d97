"""API key records: create, list, revoke, and authenticate a presented key."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth import Principal, Scope, expand_scopes, generate_key, hash_key
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.models import ApiKey

MAX_NAME_LENGTH = 100
# Recording every use would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create(
    session: Session, *, name: str, scopes: set[Scope], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Store a new key's hash; returns the record and the key, which is shown only once."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ValidationFailed(f"a key name has 1 to {MAX_NAME_LENGTH} characters")
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


def authenticate(session: Session, *, key: str) -> tuple[Principal, bool]:
    """The principal for a presented key (401 if unknown, revoked or expired), and whether
    its last-used time is stale enough to record with ``touch``."""
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    now = datetime.now(UTC)
    if record is None or record.revoked_at is not None:
        raise Unauthorized("The API key is not valid.")
    if record.expires_at is not None and record.expires_at <= now:
        raise Unauthorized("The API key has expired.")
    scopes = {Scope(s) for s in record.scopes.split(",")}
    stale = record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION
    return Principal(name=record.name, scopes=expand_scopes(scopes)), stale


def touch(session: Session, *, name: str) -> None:
    """Record that the key was used now."""
    session.execute(
        update(ApiKey).where(ApiKey.name == name).values(last_used_at=datetime.now(UTC))
    )

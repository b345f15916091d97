"""``Idempotency-Key``: the first response to a key is stored and replayed for the same body.

Stored responses are kept for ``KEPT_FOR``, time for a client to retry through an outage,
then forgotten: each holds a whole response body (a batch's runs to megabytes), and a tool
that sends a key with every report would otherwise keep a copy of each for ever. An
event's ``external_id`` is the lasting guard against storing a report twice.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import insert_rows
from app.errors import ValidationFailed
from app.models import IdempotencyRecord

KEPT_FOR = timedelta(hours=24)


@dataclass
class StoredResponse:
    status_code: int
    body: str
    location: str | None


def request_hash(payload: Any) -> str:
    """Hash of the validated body, so key order and spacing do not matter."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def replay(
    session: Session, *, key_name: str, idempotency_key: str, body_hash: str
) -> StoredResponse | None:
    """The stored response for this key, or None if it is new or expired; 422 if the body
    differs. Forgets every expired response first.

    Writers run one at a time (``app.db.begin_write``), so a concurrent replay waits for
    the first request to commit and then finds its response here.
    """
    expired = IdempotencyRecord.created_at < datetime.now(UTC) - KEPT_FOR
    session.connection().execute(delete(IdempotencyRecord).where(expired))
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.key_name == key_name,
            IdempotencyRecord.idempotency_key == idempotency_key,
        )
    )
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different body.",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with another body"}],
        )
    return StoredResponse(record.status_code, record.response_body, record.location)


def store(
    session: Session,
    *,
    key_name: str,
    idempotency_key: str,
    body_hash: str,
    response: StoredResponse,
) -> None:
    insert_rows(
        session.connection(),
        IdempotencyRecord,
        [
            {
                "key_name": key_name,
                "idempotency_key": idempotency_key,
                "request_hash": body_hash,
                "status_code": response.status_code,
                "response_body": response.body,
                "location": response.location,
                "created_at": datetime.now(UTC),
            }
        ],
    )

"""All tables, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.event import (
    Actor,
    Event,
    EventLine,
    EventTag,
    PendingLine,
    Revision,
    Source,
)
from app.models.idempotency import IdempotencyRecord
from app.models.rollup import EventRollup

__all__ = [
    "Actor",
    "ApiKey",
    "Base",
    "Event",
    "EventLine",
    "EventRollup",
    "EventTag",
    "IdempotencyRecord",
    "PendingLine",
    "Revision",
    "Source",
]

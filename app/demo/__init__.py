"""Sample events for ``sitrep serve --demo``: real, widely reported events across conflicts."""

import json
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.geo.gazetteer import Gazetteer
from app.models import Event
from app.schemas.event import EventCreate
from app.services import events

DEMO_FILE = Path(__file__).with_name("events.json")


def demo_events() -> list[EventCreate]:
    return [EventCreate.model_validate(item) for item in json.loads(DEMO_FILE.read_text())]


def load_if_empty(session: Session, gazetteer: Gazetteer) -> int:
    """Insert the demo events unless the database already holds events; returns how many."""
    if session.scalar(select(exists().where(Event.id.is_not(None)))):
        return 0
    items = demo_events()
    demo = Principal(name="demo", scopes=frozenset())
    events.create(session, events=items, principal=demo, gazetteer=gazetteer, batch=True)
    return len(items)

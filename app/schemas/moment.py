"""Dates and moments a client gives: written out in ISO 8601, a moment with its offset
(RFC 3339) and held in UTC.

Pydantic would also read a number, or text holding only a number, as seconds since 1970:
an event sent with ``"occurred_on": 0`` was stored as having happened on 1970-01-01. Here
either is refused, naming the field.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

_WRITTEN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WRITTEN_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _written_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _WRITTEN_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date written as YYYY-MM-DD")


def _written_moment(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _WRITTEN_MOMENT.match(value)):
        return value
    raise ValueError("expected a time written as RFC 3339, like 2024-05-25T14:30:00Z")


def _in_utc(value: datetime) -> datetime:
    """The same moment in UTC, as the database stores it. One that an offset carries past
    the first or last second Python can hold (years 1 and 9999) is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("in UTC this lies outside the years 1 to 9999") from None


CalendarDate = Annotated[date, BeforeValidator(_written_date)]
UTCMoment = Annotated[AwareDatetime, BeforeValidator(_written_moment), AfterValidator(_in_utc)]

"""A moment a client gives: an RFC 3339 time with its offset, held in UTC."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _in_utc(value: datetime) -> datetime:
    """The same moment in UTC, as the database stores it. One that an offset carries past
    the first or last second Python can hold (years 1 and 9999) is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("in UTC this lies outside the years 1 to 9999") from None


UTCMoment = Annotated[AwareDatetime, AfterValidator(_in_utc)]

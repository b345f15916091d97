"""Event counts and tolls summed per bucket and group, kept in step with every write.

A bucket is the run of days shared by one ISO week and one calendar month (a week that
crosses a month's end is two buckets), so weekly and monthly stats both add whole buckets.
``GET /v1/stats`` reads these rows instead of every event where its filters allow
(``app.services.rollup``). The key columns hold ``''`` for a missing value, because a
unique key treats NULLs as all different.
"""

from datetime import date

from sqlalchemy import BigInteger, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class EventRollup(Base):
    __tablename__ = "event_rollups"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    admin1: Mapped[str] = mapped_column(String(200), primary_key=True)
    admin1_key: Mapped[str] = mapped_column(Text, primary_key=True)
    admin1_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60), primary_key=True)
    sub_event_type: Mapped[str] = mapped_column(String(80), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    month_start: Mapped[date] = mapped_column(Date)
    # 64-bit: a bucket may add up many tolls of up to 100 million each.
    events: Mapped[int] = mapped_column(BigInteger)
    fatalities: Mapped[int] = mapped_column(BigInteger, doc="sum of the events' fatalities_best")
    injured: Mapped[int] = mapped_column(BigInteger, doc="sum of the events' injured_best")

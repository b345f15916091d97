"""``GET /v1/stats``: aggregates by period and group, in the database."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.schemas.example import EXAMPLE_EVENT_INPUT
from tests.factories import event_payload, wire_report_night


@pytest.fixture
def stored(client: TestClient, writer: dict[str, str]) -> None:
    events = [*wire_report_night(), EXAMPLE_EVENT_INPUT]
    response = client.post("/v1/events/batch", json={"events": events}, headers=writer)
    assert response.status_code == 201, response.text


def _stats(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/stats", params=params)
    assert response.status_code == 200, response.text
    buckets: list[dict[str, Any]] = response.json()["buckets"]
    return buckets


def test_by_day_and_country(client: TestClient, stored: None) -> None:
    buckets = _stats(client, interval="day", group_by="country")

    belgorod_day = next(
        b for b in buckets if b["period"] == "2023-12-30" and b["group"] == {"country": "RU"}
    )
    assert belgorod_day == {
        "period": "2023-12-30",
        "group": {"country": "RU"},
        "events": 1,
        "fatalities": 24,
        "injured": 108,
    }
    ua_25 = next(b for b in buckets if b["period"] == "2024-05-25")
    assert (ua_25["events"], ua_25["fatalities"], ua_25["injured"]) == (1, 11, 17)


def test_totals_without_interval_or_group(client: TestClient, stored: None) -> None:
    assert _stats(client) == [
        {
            "period": None,
            "group": {},
            "events": 4,
            "fatalities": 11 + 24 + 24,
            "injured": 17 + 2 + 108,
        }
    ]


def test_iso_weeks_start_on_monday(client: TestClient, stored: None) -> None:
    buckets = _stats(client, interval="week", date_from="2024-05-01")

    # 24 May 2024 was a Friday, 26 May a Sunday: one ISO week starting Monday 20 May.
    assert buckets == [
        {"period": "2024-05-20", "group": {}, "events": 3, "fatalities": 35, "injured": 19}
    ]


def test_by_month_and_two_dimensions(client: TestClient, stored: None) -> None:
    buckets = _stats(client, interval="month", group_by="country,sub_event_type")

    assert {
        (b["period"], b["group"]["country"], b["group"]["sub_event_type"], b["events"])
        for b in buckets
    } == {
        ("2023-12-01", "RU", "Shelling/artillery/missile attack", 1),
        ("2024-05-01", "RU", "Shelling/artillery/missile attack", 1),
        ("2024-05-01", "UA", "Shelling/artillery/missile attack", 1),
        ("2024-05-01", "UA", "Air/drone strike", 1),
    }


def test_by_actor_counts_an_event_once_per_actor(
    client: TestClient, writer: dict[str, str]
) -> None:
    actors = [
        {"name": "A", "role": "perpetrator", "attribution": "alleged"},
        {"name": "A", "role": "perpetrator", "attribution": "denied"},
        {"name": "B", "role": "target"},
    ]
    client.post("/v1/events", json=event_payload(actors=actors), headers=writer)

    buckets = _stats(client, group_by="actor")

    assert [(b["group"]["actor"], b["events"], b["fatalities"]) for b in buckets] == [
        ("A", 1, 3),
        ("B", 1, 3),
    ]


def test_fill_gives_zero_buckets_for_empty_periods(client: TestClient, stored: None) -> None:
    buckets = _stats(
        client, interval="day", date_from="2024-05-23", date_to="2024-05-27", fill="true"
    )

    assert [(b["period"], b["events"]) for b in buckets] == [
        ("2024-05-23", 0),
        ("2024-05-24", 1),
        ("2024-05-25", 1),
        ("2024-05-26", 1),
        ("2024-05-27", 0),
    ]


def test_stats_take_the_event_filters(client: TestClient, stored: None) -> None:
    assert _stats(client, country="Russia")[0]["events"] == 2
    assert _stats(client, near="Kharkiv", radius_km=100)[0]["events"] == 3  # 2 in Belgorod


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "country,admin1,actor"}, "group_by"),
        ({"fill": "true"}, "fill"),
        ({"interval": "year"}, "interval"),
        ({"limit": 5}, "limit"),
    ],
)
def test_bad_stats_parameter_is_named(
    client: TestClient, params: dict[str, Any], name: str
) -> None:
    response = client.get("/v1/stats", params=params)

    assert response.status_code in (400, 422)
    assert response.json()["errors"][0]["loc"] == ["query", name]


# Days either side of week and month ends: Sun 28 Apr, Mon 29 Apr, Tue 30 Apr, Wed 1 May,
# Sun 5 May, Mon 6 May, Fri 31 May, Sat 1 Jun 2024.
_EDGE_DAYS = ["2024-04-28", "2024-04-29", "2024-04-30", "2024-05-01", "2024-05-05",
              "2024-05-06", "2024-05-31", "2024-06-01"]  # fmt: skip
_PLACES = [
    {"name": "Kharkiv", "admin1": "Kharkiv Oblast", "country": "UA"},
    {"name": "Kyiv", "admin1": "Kyiv City", "country": "UA"},
    {"name": "Belgorod", "admin1": "Belgorod Oblast", "country": "RU"},
]


def _expected(
    documents: list[dict[str, Any]], interval: str | None, group_by: list[str]
) -> list[tuple[Any, ...]]:
    """Buckets summed from the events themselves, as sortable tuples."""
    totals: dict[tuple[Any, ...], list[int]] = {}
    for doc in documents:
        day = date.fromisoformat(doc["occurred_on"])
        period = None
        if interval == "week":
            period = (day - timedelta(days=day.weekday())).isoformat()
        elif interval == "month":
            period = day.replace(day=1).isoformat()
        values = {
            "country": doc["location"]["country"],
            "admin1": doc["location"]["admin1"],
            "event_type": doc["event_type"],
            "sub_event_type": doc["sub_event_type"],
        }
        key = (period, *(str(values[name]) for name in group_by))
        figures = totals.setdefault(key, [0, 0, 0])
        figures[0] += 1
        figures[1] += doc["fatalities"]["best"] or 0
        figures[2] += doc["injured"]["best"] or 0
    return sorted((*key, *figures) for key, figures in totals.items())


def _as_tuples(buckets: list[dict[str, Any]], group_by: list[str]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            b["period"],
            *(str(b["group"][name]) for name in group_by),
            b["events"],
            b["fatalities"],
            b["injured"],
        )
        for b in buckets
    )


def test_stats_equal_the_sums_of_the_events_after_every_kind_of_change(
    client: TestClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    """Weekly and monthly stats come from running totals kept on write; whatever the
    events went through, they equal what the events themselves add up to."""
    bodies = [
        event_payload(
            occurred_on=day,
            location=_PLACES[index % 3],
            sub_event_type=None if index % 4 == 3 else "Air/drone strike",
            casualties=(
                [{"kind": "killed", "count": index + 1, "claimed_by": "Governor"}]
                if index % 3
                else [{"kind": "injured", "count": 2 * index, "claimed_by": "Mayor"}]
            ),
        )
        for index, day in enumerate(_EDGE_DAYS * 2)
    ]
    response = client.post("/v1/events/batch", json={"events": bodies}, headers=writer)
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["items"]]
    changes: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (ids[0], {"occurred_on": "2024-05-02"}, writer),  # to another bucket
        (ids[1], {"location": _PLACES[2]}, writer),  # to another country
        (ids[2], {"casualties": []}, writer),  # tolls gone
        (ids[3], {"status": "retracted"}, writer),
        (ids[4], {"title": "A new title only"}, writer),
        (ids[5], {"status": "retracted"}, writer),
        (ids[5], {"status": "published"}, admin),  # and back
        (ids[6], {"event_type": "Battles", "sub_event_type": "Armed clash"}, writer),
    ]
    for event_id, patch, key in changes:
        response = client.patch(f"/v1/events/{event_id}", json=patch, headers=key)
        assert response.status_code == 200, response.text

    for date_from, date_to in [
        (None, None),
        ("2024-04-29", "2024-05-31"),  # whole buckets only
        ("2024-04-30", "2024-05-05"),  # partial at both ends
        ("2024-05-01", None),
        (None, "2024-04-30"),
        ("2024-05-02", "2024-05-03"),  # within one bucket
    ]:
        dates = {k: v for k, v in (("date_from", date_from), ("date_to", date_to)) if v}
        listed = client.get("/v1/events", params={**dates, "limit": 1000}).json()["items"]
        for interval in ("week", "month", None):
            for group_by in ([], ["country"], ["admin1", "sub_event_type"], ["event_type"]):
                params = {**dates, "group_by": ",".join(group_by)}
                if interval:
                    params["interval"] = interval
                answered = _as_tuples(_stats(client, **params), group_by)
                assert answered == _expected(listed, interval, group_by), params
        ua = [doc for doc in listed if doc["location"]["country"] == "UA"]
        answered = _as_tuples(_stats(client, **dates, interval="week", country="UA"), [])
        assert answered == _expected(ua, "week", [])
        kharkiv = [doc for doc in listed if doc["location"]["admin1"] == "Kharkiv Oblast"]
        answered = _as_tuples(
            _stats(client, **dates, interval="month", admin1="kharkiv oblast"), []
        )
        assert answered == _expected(kharkiv, "month", [])


def test_sums_past_32_bits(client: TestClient, writer: dict[str, str]) -> None:
    """Tolls of up to 100 million each are accepted, so a bucket's sum outgrows 32 bits."""
    huge = [{"kind": "killed", "count": 100_000_000, "claimed_by": "A hostile client"}]
    events = [event_payload(casualties=huge) for _ in range(25)]
    response = client.post("/v1/events/batch", json={"events": events}, headers=writer)
    assert response.status_code == 201, response.text

    [bucket] = _stats(client, interval="month")
    assert (bucket["events"], bucket["fatalities"]) == (25, 2_500_000_000)


def test_a_repeated_question_is_answered_afresh_after_each_write(
    client: TestClient, writer: dict[str, str]
) -> None:
    """Answers are kept until the next write: each write shows in the next answer."""

    def month_in_ukraine() -> tuple[int, int]:
        [bucket] = _stats(client, interval="month", country="UA")
        return bucket["events"], bucket["fatalities"]

    def killed(count: int) -> list[dict[str, Any]]:
        return [{"kind": "killed", "count": count, "claimed_by": "Governor"}]

    first = client.post("/v1/events", json=event_payload(casualties=killed(3)), headers=writer)
    assert month_in_ukraine() == (1, 3)
    assert month_in_ukraine() == (1, 3)
    second = client.post("/v1/events", json=event_payload(casualties=killed(4)), headers=writer)
    assert month_in_ukraine() == (2, 7)
    client.patch(
        f"/v1/events/{first.json()['id']}", json={"casualties": killed(10)}, headers=writer
    )
    assert month_in_ukraine() == (2, 14)
    client.delete(f"/v1/events/{second.json()['id']}", headers=writer)
    assert month_in_ukraine() == (1, 10)
    drafts = {"interval": "month", "country": "UA", "status": "draft"}
    assert client.get("/v1/stats", params=drafts, headers=writer).json()["buckets"] == []
    client.post("/v1/events", json=event_payload(status="draft"), headers=writer)
    assert month_in_ukraine() == (1, 10)
    [draft] = client.get("/v1/stats", params=drafts, headers=writer).json()["buckets"]
    assert draft["events"] == 1


def test_the_same_question_asked_at_once_is_computed_once(client: TestClient, stored: None) -> None:
    """Clients asking what is being computed wait for that answer: the aggregating query
    runs once. It is slowed here (on the real engine, by 0.3 s) so that the requests meet."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    aggregations = []

    def slow_aggregation(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "GROUP BY" in statement:
            aggregations.append(statement)
            time.sleep(0.3)

    params = {"interval": "week", "group_by": "admin1", "country": "UA"}
    barrier = threading.Barrier(6)

    def ask(_: int) -> tuple[int, bytes]:
        barrier.wait()
        response = client.get("/v1/stats", params=params)
        return response.status_code, response.content

    event.listen(engine, "before_cursor_execute", slow_aggregation)
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(ask, range(6)))
    finally:
        event.remove(engine, "before_cursor_execute", slow_aggregation)

    assert len(aggregations) == 1
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert orjson.loads(answers[0][1])["buckets"]

"""``GET /v1/stats``: aggregates by period and group, in the database."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

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

"""Bad event bodies get a 422 problem naming the field, and nothing is stored."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import event_payload


def _location(**changes: Any) -> dict[str, Any]:
    return {**event_payload()["location"], **changes}


BAD_BODIES = [
    pytest.param({"sub_event_type": "Armed clash"}, ["body", "sub_event_type"], id="sub-type"),
    pytest.param({"event_type": "Skirmish"}, ["body", "event_type"], id="event-type"),
    pytest.param({"title": ""}, ["body", "title"], id="empty-title"),
    pytest.param(
        {"occurred_on": (date.today() + timedelta(days=3)).isoformat()},
        ["body", "occurred_on"],
        id="future-date",
    ),
    pytest.param({"occurred_on": "2024-02-30"}, ["body", "occurred_on"], id="impossible-date"),
    # Pydantic alone reads a number as seconds since 1970: 0 was stored as 1970-01-01.
    pytest.param({"occurred_on": 0}, ["body", "occurred_on"], id="date-as-number"),
    pytest.param({"occurred_on": "86400"}, ["body", "occurred_on"], id="date-as-number-text"),
    pytest.param({"occurred_at": 1716640000}, ["body", "occurred_at"], id="time-as-number"),
    pytest.param(
        {"occurred_at": "2024-07-01T12:00:00Z"}, ["body", "occurred_at"], id="time-off-its-day"
    ),
    pytest.param(  # hours from the first moment Python holds: 500 before
        {"occurred_at": "0001-01-01T00:00:00Z"}, ["body", "occurred_at"], id="time-in-year-1"
    ),
    pytest.param(
        {"sources": [{"name": "X", "published_on": 0}]},
        ["body", "sources", 0, "published_on"],
        id="published-as-number",
    ),
    pytest.param(
        {"location": _location(country="Narnia")},
        ["body", "location", "country"],
        id="unknown-country",
    ),
    pytest.param(
        {"location": _location(latitude=91)}, ["body", "location", "latitude"], id="latitude-range"
    ),
    pytest.param(
        {"location": _location(longitude=None)},
        ["body", "location", "longitude"],
        id="half-a-coordinate",
    ),
    pytest.param(
        {"casualties": [{"kind": "killed", "count": -1}]},
        ["body", "casualties", 0, "count"],
        id="negative-count",
    ),
    pytest.param(
        {"casualties": [{"kind": "wounded", "count": 1}]},
        ["body", "casualties", 0, "kind"],
        id="casualty-kind",
    ),
    pytest.param(
        {"munitions": [{"type": "drone", "launched": 40, "intercepted": 41}]},
        ["body", "munitions", 0, "intercepted"],
        id="intercepted-over-launched",
    ),
    pytest.param(
        {"actors": [{"name": "X", "role": "perpetrator", "attribution": "rumoured"}]},
        ["body", "actors", 0, "attribution"],
        id="attribution",
    ),
    pytest.param(
        {"sources": [{"name": "X", "url": "javascript:alert(1)"}]},
        ["body", "sources", 0, "url"],
        id="source-url",
    ),
    pytest.param({"damage": ["moon"]}, ["body", "damage", 0], id="damage"),
    pytest.param({"fatalities": {"best": 3}}, ["body", "fatalities"], id="read-only-field"),
    pytest.param({"status": "archived"}, ["body", "status"], id="status"),
]


@pytest.mark.parametrize(("changes", "loc"), BAD_BODIES)
def test_bad_field_is_a_422_naming_it(
    client: TestClient, writer: dict[str, str], changes: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/v1/events", json=event_payload(**changes), headers=writer)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert client.get("/v1/events").json()["items"] == []


def test_sub_type_error_lists_the_allowed_sub_types(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post(
        "/v1/events", json=event_payload(sub_event_type="Armed clash"), headers=writer
    )

    msg = response.json()["errors"][0]["msg"]
    assert msg.startswith(
        "'Armed clash' is not a sub-event type of 'Explosions/Remote violence'; expected one of: "
    )
    assert "Air/drone strike" in msg


def test_missing_required_field_is_named(client: TestClient, writer: dict[str, str]) -> None:
    body = event_payload()
    del body["occurred_on"]

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body", "occurred_on"], "msg": "Field required"}]


@pytest.mark.parametrize(
    ("moment", "in_utc"),
    [
        ("2024-05-24T13:00:00Z", "2024-05-24T13:00:00Z"),  # the 25th at 03:00 in UTC+14
        ("2024-05-25T23:00:00-12:00", "2024-05-26T11:00:00Z"),  # the 25th in UTC-12
    ],
)
def test_a_time_on_its_date_by_any_clock_is_kept_in_utc(
    client: TestClient, writer: dict[str, str], moment: str, in_utc: str
) -> None:
    response = client.post(
        "/v1/events",
        json=event_payload(occurred_on="2024-05-25", occurred_at=moment),
        headers=writer,
    )

    assert response.status_code == 201, response.text
    assert response.json()["occurred_at"] == in_utc


def test_a_patch_moving_the_date_away_from_its_time_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = event_payload(occurred_on="2024-05-25", occurred_at="2024-05-25T10:00:00Z")
    event = client.post("/v1/events", json=body, headers=writer).json()

    moved = client.patch(
        f"/v1/events/{event['id']}", json={"occurred_on": "2024-05-20"}, headers=writer
    )
    both = client.patch(
        f"/v1/events/{event['id']}",
        json={"occurred_on": "2024-05-20", "occurred_at": "2024-05-20T08:00:00Z"},
        headers=writer,
    )

    assert moved.status_code == 422
    assert moved.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    assert both.status_code == 200, both.text
    assert both.json()["version"] == event["version"] + 1


def test_a_time_in_the_first_hours_python_holds_is_kept(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = event_payload(occurred_on="0001-01-01", occurred_at="0001-01-01T00:00:00Z")

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 201, response.text
    assert response.json()["occurred_at"] == "0001-01-01T00:00:00Z"

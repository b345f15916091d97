"""Hostile input gets a 4xx problem; nothing is stored and nothing leaks."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import event_payload

NASTY = ["'; DROP TABLE events; --", '" OR 1=1 --', "%_\\", "x" * 5000, "\u0000", "Харків'"]
QUERY_PARAMS = [
    "country",
    "admin1",
    "place",
    "event_type",
    "sub_event_type",
    "actor",
    "source",
    "tag",
    "status",
    "q",
    "sort",
    "cursor",
    "bbox",
    "near",
    "date_from",
    "updated_since",
    "min_fatalities",
    "format",
]


@pytest.mark.parametrize("param", QUERY_PARAMS)
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_nasty_query_values_never_fail_the_server(
    client: TestClient, param: str, value: str
) -> None:
    response = client.get("/v1/events", params={param: value})

    assert response.status_code in (200, 400, 422), response.text
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"title": "a", "title": "b"}', "duplicate key"),
        (b'{"title": "\xff\xfe"}', "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"location": {"latitude": NaN}}', None),
        (b"", None),
    ],
)
def test_malformed_bodies_are_400_or_422_and_store_nothing(
    client: TestClient, writer: dict[str, str], body: bytes, reason: str | None
) -> None:
    response = client.post(
        "/v1/events", content=body, headers={**writer, "Content-Type": "application/json"}
    )

    assert response.status_code in (400, 422), response.text
    if reason:
        assert reason in response.text
    assert client.get("/v1/events").json()["items"] == []


@pytest.mark.parametrize(
    "location",
    [
        {"name": "X", "latitude": -91, "longitude": 0},
        {"name": "X", "latitude": 0, "longitude": 180.5},
        {"name": "X", "latitude": "NaN", "longitude": 0},
        {"name": "X", "latitude": "Infinity", "longitude": 0},
    ],
)
def test_impossible_coordinates_are_422(
    client: TestClient, writer: dict[str, str], location: dict[str, Any]
) -> None:
    response = client.post("/v1/events", json=event_payload(location=location), headers=writer)

    assert response.status_code == 422


def test_wrong_types_everywhere_are_422(client: TestClient, writer: dict[str, str]) -> None:
    body = {
        "title": ["x"],
        "event_type": 5,
        "occurred_on": True,
        "location": "Kyiv",
        "casualties": {"kind": "killed"},
        "tags": "a,b",
    }

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 422
    named = {tuple(e["loc"][1:2]) for e in response.json()["errors"]}
    assert {
        ("title",),
        ("event_type",),
        ("occurred_on",),
        ("location",),
        ("casualties",),
        ("tags",),
    } <= named


def test_huge_numbers_are_refused_before_the_database(client: TestClient) -> None:
    import base64

    forged = base64.urlsafe_b64encode(b'["-fatalities", 9999999999999, "x"]').decode()

    too_many = client.get("/v1/events", params={"min_fatalities": 2**51})
    bad_cursor = client.get("/v1/events", params={"sort": "-fatalities", "cursor": forged})

    assert too_many.status_code == 422
    assert bad_cursor.status_code == 400


# Offsets that carry a moment past the first or last second Python can hold in UTC.
EDGE_MOMENTS = ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"]


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_moments_beyond_the_years_utc_can_hold_are_422_naming_the_field(
    client: TestClient, writer: dict[str, str], admin: dict[str, str], moment: str
) -> None:
    event = client.post("/v1/events", json=event_payload(), headers=writer).json()
    responses = {
        ("body", "occurred_at"): client.post(
            "/v1/events", json=event_payload(occurred_at=moment), headers=writer
        ),
        ("query", "updated_since"): client.get("/v1/events", params={"updated_since": moment}),
        ("query", "as_of"): client.get(f"/v1/events/{event['id']}", params={"as_of": moment}),
        ("body", "expires_at"): client.post(
            "/v1/keys",
            json={"name": "edge", "scopes": ["read"], "expires_at": moment},
            headers=admin,
        ),
    }

    for loc, response in responses.items():
        assert response.status_code == 422, (loc, response.text)
        assert response.json()["errors"][0]["loc"][:2] == list(loc), response.text
    assert len(client.get("/v1/events").json()["items"]) == 1


def test_numbers_are_not_read_as_dates_anywhere(
    client: TestClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    event = client.post("/v1/events", json=event_payload(), headers=writer).json()
    report = "Eleven people were killed in Kharkiv when a missile hit an apartment block."
    responses = {
        ("query", "date_from"): client.get("/v1/events", params={"date_from": "0"}),
        ("query", "updated_since"): client.get(
            "/v1/events", params={"updated_since": "1700000000"}
        ),
        ("query", "as_of"): client.get(f"/v1/events/{event['id']}", params={"as_of": "0"}),
        ("body", "published_on"): client.post(
            "/v1/extract?save=true", json={"text": report, "published_on": 0}, headers=writer
        ),
        ("body", "expires_at"): client.post(
            "/v1/keys",
            json={"name": "numeric", "scopes": ["read"], "expires_at": 4102444800},
            headers=admin,
        ),
    }

    for loc, response in responses.items():
        assert response.status_code == 422, (loc, response.text)
        assert response.json()["errors"][0]["loc"][:2] == list(loc), response.text
    assert len(client.get("/v1/events").json()["items"]) == 1
    assert "numeric" not in [
        key["name"] for key in client.get("/v1/keys", headers=admin).json()["items"]
    ]

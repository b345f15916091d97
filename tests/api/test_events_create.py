"""Creating events: single, batch, idempotency, validation, keys."""

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app import group_commit
from app.db import create_db_engine
from app.models import IdempotencyRecord
from tests.factories import event_payload, wire_report_night


def _all_events(client: TestClient, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        "/v1/events", params={"limit": 1000}, headers=headers
    ).json()["items"]
    return items


def test_create_returns_the_event_with_location_etag_and_derived_figures(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post("/v1/events", json=wire_report_night()[0], headers=writer)

    assert response.status_code == 201
    event = response.json()
    assert response.headers["location"] == f"/v1/events/{event['id']}"
    assert response.headers["etag"]
    assert event["version"] == 1
    assert event["status"] == "published"
    assert event["fatalities"] == {"low": 11, "best": 11, "high": 11}
    assert event["injured"] == {"low": 17, "best": 17, "high": 17}
    assert event["casualties"][1] == {
        "kind": "killed",
        "group": "children",
        "count": 4,
        "qualifier": "exact",
        "claimed_by": "Kharkiv governor",
    }
    fetched = client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == event
    assert fetched.headers["etag"] == response.headers["etag"]


def test_two_claims_give_a_range_of_fatalities(client: TestClient, writer: dict[str, str]) -> None:
    belgorod = wire_report_night()[2]

    event = client.post("/v1/events", json=belgorod, headers=writer).json()

    assert event["fatalities"] == {"low": 24, "best": 24, "high": 25}
    assert event["injured"] == {"low": None, "best": None, "high": None}


def test_more_than_counts_one_above_its_figure(client: TestClient, writer: dict[str, str]) -> None:
    body = event_payload(
        casualties=[
            {"kind": "killed", "count": 100, "qualifier": "more_than"},
            {"kind": "killed", "group": "children", "count": 35},
        ]
    )

    event = client.post("/v1/events", json=body, headers=writer).json()

    assert event["fatalities"] == {"low": 101, "best": 101, "high": 101}


def test_country_name_is_normalised_to_its_iso_code(
    client: TestClient, writer: dict[str, str]
) -> None:
    kyiv = wire_report_night()[1]

    event = client.post("/v1/events", json=kyiv, headers=writer).json()

    assert event["location"]["country"] == "UA"
    assert event["munitions"] == [
        {"type": "drone", "launched": 40, "intercepted": 31, "claimed_by": "Ukrainian Air Force"}
    ]


def test_repeated_external_id_is_a_conflict_naming_the_existing_event(
    client: TestClient, writer: dict[str, str]
) -> None:
    first = client.post("/v1/events", json=event_payload(external_id="afp-123"), headers=writer)

    second = client.post(
        "/v1/events", json=event_payload(external_id="afp-123", title="Other"), headers=writer
    )

    assert second.status_code == 409
    assert second.json()["existing_id"] == first.json()["id"]
    assert first.json()["id"] in second.json()["detail"]
    assert len(_all_events(client)) == 1


def test_a_post_after_the_writer_thread_ended_idle_is_stored(
    client: TestClient, writer: dict[str, str]
) -> None:
    """A process's writer thread ends when idle (``app.group_commit``); the next write
    starts another."""
    first = client.post("/v1/events", json=event_payload(external_id="before"), headers=writer)
    time.sleep(group_commit.IDLE_S + 0.3)  # every writer thread, this app's and others', ends
    assert [t for t in threading.enumerate() if t.name == "sitrep-writer"] == []

    second = client.post("/v1/events", json=event_payload(external_id="after"), headers=writer)

    assert [first.status_code, second.status_code] == [201, 201]
    assert sorted(e["external_id"] for e in _all_events(client)) == ["after", "before"]


def test_batch_creates_every_event(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post("/v1/events/batch", json={"events": wire_report_night()}, headers=writer)

    assert response.status_code == 201
    assert [e["external_id"] for e in response.json()["items"]] == [
        "wire-kharkiv",
        "wire-kyiv",
        "wire-belgorod",
    ]
    assert len(_all_events(client)) == 3


def test_a_large_batch_is_stored_and_served_field_for_field(
    client: TestClient, writer: dict[str, str]
) -> None:
    # Enough events that their rows are bound a column at a time, sharing dates.
    items = [
        event_payload(
            external_id=f"batch-{i}",
            occurred_on=f"2024-05-{20 + i % 3}",
            actors=[
                {
                    "name": "Military Forces of Russia",
                    "role": "perpetrator",
                    "attribution": "alleged",
                    "attributed_by": "Ukrainian Air Force",
                }
            ],
            munitions=[{"type": "drone", "launched": 40 + i, "intercepted": 31}],
            sources=[
                {
                    "name": "Reuters",
                    "kind": "media",
                    "url": f"https://example.org/{i}",
                    "published_on": f"2024-05-{21 + i % 3}" if i % 2 else None,
                }
            ],
            damage=["residential", "energy"] if i % 2 else [],
            tags=["night-attack", "Night-Attack"],
        )
        for i in range(12)
    ]

    response = client.post("/v1/events/batch", json={"events": items}, headers=writer)

    assert response.status_code == 201
    stored = response.json()["items"]
    for sent, event in zip(items, stored, strict=True):
        assert client.get(f"/v1/events/{event['id']}").json() == event
        for field in ("occurred_on", "actors", "damage"):
            assert event[field] == sent[field]
        assert event["munitions"][0]["launched"] == sent["munitions"][0]["launched"]
        assert event["sources"][0]["published_on"] == sent["sources"][0]["published_on"]
        assert event["tags"] == ["night-attack", "Night-Attack"]
    by_children = client.get(
        "/v1/events",
        params={"actor": "military forces of russia", "source": "REUTERS", "tag": "night-attack"},
    ).json()["items"]
    assert len(by_children) == 12
    by_row = client.get(
        "/v1/events", params={"country": "UA", "date_from": "2024-05-21", "date_to": "2024-05-21"}
    ).json()["items"]
    assert sorted(e["external_id"] for e in by_row) == ["batch-1", "batch-10", "batch-4", "batch-7"]


def test_batch_with_one_bad_item_names_its_index_and_stores_nothing(
    client: TestClient, writer: dict[str, str]
) -> None:
    events = wire_report_night()
    events[2]["location"]["latitude"] = 95

    response = client.post("/v1/events/batch", json={"events": events}, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "events", 2, "location", "latitude"]
    assert _all_events(client) == []


def test_batch_with_a_taken_external_id_stores_nothing(
    client: TestClient, writer: dict[str, str]
) -> None:
    client.post("/v1/events", json=event_payload(external_id="wire-kyiv"), headers=writer)

    response = client.post("/v1/events/batch", json={"events": wire_report_night()}, headers=writer)

    assert response.status_code == 409
    assert response.json()["index"] == 1
    assert len(_all_events(client)) == 1


def test_batch_over_1000_events_is_rejected(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post(
        "/v1/events/batch", json={"events": [event_payload()] * 1001}, headers=writer
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "events"]


def test_idempotency_key_replays_the_first_response_and_creates_one_event(
    client: TestClient, writer: dict[str, str]
) -> None:
    headers = {**writer, "Idempotency-Key": "report-42"}
    first = client.post("/v1/events", json=event_payload(), headers=headers)

    replay = client.post("/v1/events", json=event_payload(), headers=headers)

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert replay.headers["etag"] == first.headers["etag"]
    assert len(_all_events(client)) == 1


def test_idempotency_key_with_another_body_is_rejected(
    client: TestClient, writer: dict[str, str]
) -> None:
    headers = {**writer, "Idempotency-Key": "report-42"}
    client.post("/v1/events", json=event_payload(), headers=headers)

    other = client.post("/v1/events", json=event_payload(title="Another"), headers=headers)

    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert len(_all_events(client)) == 1


def _date_stored_responses_back(database_url: str, hours: float) -> None:
    """A test's setup: every stored idempotent response as if stored ``hours`` ago."""
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        moment = datetime.now(UTC) - timedelta(hours=hours)
        connection.execute(update(IdempotencyRecord).values(created_at=moment))
    engine.dispose()


def _stored_responses(database_url: str) -> int:
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(IdempotencyRecord))
    engine.dispose()
    return count or 0


def test_idempotency_key_is_kept_for_24_hours_then_forgotten(
    client: TestClient, writer: dict[str, str], database_url: str
) -> None:
    headers = {**writer, "Idempotency-Key": "report-42"}
    client.post("/v1/events", json=event_payload(), headers=headers)
    _date_stored_responses_back(database_url, hours=23)
    within = client.post("/v1/events", json=event_payload(title="Another"), headers=headers)
    _date_stored_responses_back(database_url, hours=25)

    after = client.post("/v1/events", json=event_payload(title="Another"), headers=headers)
    replay = client.post("/v1/events", json=event_payload(title="Another"), headers=headers)

    assert within.status_code == 422
    assert after.status_code == 201
    assert after.json()["title"] == "Another"
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == after.json()
    assert len(_all_events(client)) == 2
    assert _stored_responses(database_url) == 1  # the expired response is gone


def test_write_without_a_key_is_unauthorized(client: TestClient) -> None:
    response = client.post("/v1/events", json=event_payload())

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert _all_events(client) == []


def test_read_key_cannot_write(client: TestClient, reader: dict[str, str]) -> None:
    response = client.post("/v1/events", json=event_payload(), headers=reader)

    assert response.status_code == 403


def test_unknown_key_is_unauthorized_even_for_reads(client: TestClient) -> None:
    headers = {"Authorization": "Bearer sitrep_not-a-real-key"}

    assert client.post("/v1/events", json=event_payload(), headers=headers).status_code == 401
    assert client.get("/v1/events", headers=headers).status_code == 401


def test_key_is_accepted_in_the_x_api_key_header(
    client: TestClient, writer: dict[str, str]
) -> None:
    secret = writer["Authorization"].removeprefix("Bearer ")

    response = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": secret})

    assert response.status_code == 201


def test_expired_key_is_unauthorized(client: TestClient, make_key: Any) -> None:
    from datetime import UTC, datetime, timedelta

    headers = make_key("old", "write", expires_at=datetime.now(UTC) - timedelta(days=1))

    assert client.post("/v1/events", json=event_payload(), headers=headers).status_code == 401


def test_longest_accepted_values_are_stored(client: TestClient, writer: dict[str, str]) -> None:
    name = "ß" * 200  # folds to 400 characters for lookups
    body = event_payload(
        external_id="x" * 200,
        title="t" * 300,
        location={
            "name": name,
            "admin1": name,
            "country": "DE",
            "latitude": 52.5,
            "longitude": 13.4,
        },
        actors=[
            {"name": name, "role": "participant", "attribution": "confirmed", "attributed_by": name}
        ],
        casualties=[
            {
                "kind": "captured",
                "group": "civilians",
                "count": 100_000_000,
                "qualifier": "more_than",
                "claimed_by": name,
            }
        ],
        munitions=[{"type": "m" * 60, "launched": 1, "claimed_by": name}],
        sources=[
            {
                "name": name,
                "kind": "international_organisation",
                "url": "https://example.org/" + "p" * 1970,
            }
        ],
        tags=["ß" * 50],
    )

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 201, response.text
    assert client.get("/v1/events", params={"place": name.upper()}).json()["items"]
    assert client.get("/v1/events", params={"tag": "SS" * 50}).json()["items"]

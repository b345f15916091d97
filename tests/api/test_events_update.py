"""Changing events: merge patch, If-Match, retraction, history and as-of reads."""

import csv
import io
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import event_payload


def _create(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/events", json=event_payload(**changes), headers=headers)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


def _toll(count: int) -> dict[str, Any]:
    return {"casualties": [{"kind": "killed", "count": count, "claimed_by": "Belgorod governor"}]}


def test_patch_changes_the_fields_bumps_the_version_and_the_etag(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)
    before = client.get(f"/v1/events/{event['id']}")

    response = client.patch(
        f"/v1/events/{event['id']}",
        json={**_toll(25), "description": "Hit"},
        headers={**writer, "If-Match": before.headers["etag"]},
    )

    assert response.status_code == 200
    patched = response.json()
    assert patched["version"] == 2
    assert patched["fatalities"]["best"] == 25
    assert patched["description"] == "Hit"
    assert patched["title"] == event["title"]
    assert patched["created_at"] == event["created_at"]
    assert response.headers["etag"] != before.headers["etag"]
    assert client.get(f"/v1/events/{event['id']}").json() == patched


def test_merge_patch_null_removes_a_field_and_nested_objects_merge(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer, description="Initial report")

    patched = client.patch(
        f"/v1/events/{event['id']}",
        headers=writer,
        json={"description": None, "location": {"admin1": "Kharkivska"}},
    ).json()

    assert patched["description"] is None
    assert patched["location"]["admin1"] == "Kharkivska"
    assert patched["location"]["name"] == "Kharkiv"


def test_merge_patch_content_type_is_accepted(client: TestClient, writer: dict[str, str]) -> None:
    event = _create(client, writer)

    response = client.patch(
        f"/v1/events/{event['id']}",
        content=b'{"title": "Renamed"}',
        headers={**writer, "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)
    stale = client.get(f"/v1/events/{event['id']}").headers["etag"]
    client.patch(f"/v1/events/{event['id']}", json=_toll(25), headers=writer)

    response = client.patch(
        f"/v1/events/{event['id']}", json=_toll(30), headers={**writer, "If-Match": stale}
    )

    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The event is at version 2; If-Match names version 1."
    current = client.get(f"/v1/events/{event['id']}").json()
    assert current["version"] == 2
    assert current["fatalities"]["best"] == 25


@pytest.mark.parametrize("if_match", ["null", '"another-event.1"', "W/"])
def test_an_if_match_naming_no_version_of_the_event_is_412_saying_so(
    client: TestClient, writer: dict[str, str], if_match: str
) -> None:
    event = _create(client, writer)

    response = client.patch(
        f"/v1/events/{event['id']}", json=_toll(30), headers={**writer, "If-Match": if_match}
    )

    assert response.status_code == 412
    assert response.json() == {
        "type": "urn:sitrep:problem:precondition-failed",
        "title": "Precondition failed",
        "status": 412,
        "detail": "The event is at version 1; If-Match names no version of this event.",
        "current_version": 1,
    }
    assert client.get(f"/v1/events/{event['id']}").json()["version"] == 1


def test_patch_that_changes_nothing_keeps_the_version(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)

    response = client.patch(
        f"/v1/events/{event['id']}", json={"title": event["title"]}, headers=writer
    )

    assert response.json()["version"] == 1
    assert len(client.get(f"/v1/events/{event['id']}/history").json()["items"]) == 1


def test_invalid_patch_is_422_naming_the_field_and_changes_nothing(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)

    response = client.patch(
        f"/v1/events/{event['id']}", json={"sub_event_type": "Armed clash"}, headers=writer
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "sub_event_type"]
    assert client.get(f"/v1/events/{event['id']}").json()["version"] == 1


def test_invalid_patch_describes_its_errors_as_a_post_does(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)

    response = client.patch(
        f"/v1/events/{event['id']}", json={"title": "", "occurred_on": "nope"}, headers=writer
    )

    assert response.status_code == 422
    body = response.json()
    assert [e["loc"] for e in body["errors"]] == [["body", "title"], ["body", "occurred_on"]]
    assert body["detail"].startswith("body.title: ")
    assert body["detail"].endswith(" (and 1 more)")


def test_patch_of_read_only_field_is_rejected(client: TestClient, writer: dict[str, str]) -> None:
    event = _create(client, writer)

    response = client.patch(f"/v1/events/{event['id']}", json={"version": 9}, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "version"]


def test_the_documented_patch_body_names_just_the_fields_a_patch_may_change(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/events/{event_id}"]["patch"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    writable = schema["components"]["schemas"]["EventCreate"]["properties"]

    assert set(body["properties"]) == set(writable)
    assert "version" not in body["properties"]
    assert body["additionalProperties"] is False


def test_patch_body_must_be_an_object(client: TestClient, writer: dict[str, str]) -> None:
    event = _create(client, writer)

    response = client.patch(f"/v1/events/{event['id']}", json=[1, 2], headers=writer)

    assert response.status_code == 422


def test_patch_to_a_taken_external_id_is_a_conflict(
    client: TestClient, writer: dict[str, str]
) -> None:
    first = _create(client, writer, external_id="a")
    second = _create(client, writer, external_id="b")

    response = client.patch(f"/v1/events/{second['id']}", json={"external_id": "a"}, headers=writer)

    assert response.status_code == 409
    assert response.json()["existing_id"] == first["id"]


def test_history_lists_each_revision_with_key_name_and_changed_fields(
    client: TestClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    event = _create(client, writer, **_toll(24))
    client.patch(f"/v1/events/{event['id']}", json=_toll(25), headers=admin)

    history = client.get(f"/v1/events/{event['id']}/history").json()["items"]

    assert [(r["version"], r["action"], r["key_name"]) for r in history] == [
        (1, "created", "newsdesk"),
        (2, "updated", "editor-in-chief"),
    ]
    assert history[1]["changed_fields"] == ["casualties"]
    change = history[1]["changes"]["casualties"]
    assert change["before"][0]["count"] == 24
    assert change["after"][0]["count"] == 25


def test_as_of_returns_the_toll_known_at_that_time(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer, **_toll(24))
    time.sleep(0.05)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    client.patch(f"/v1/events/{event['id']}", json=_toll(25), headers=writer)

    earlier = client.get(f"/v1/events/{event['id']}", params={"as_of": between})
    now = client.get(f"/v1/events/{event['id']}")

    assert earlier.status_code == 200
    assert earlier.json()["fatalities"]["best"] == 24
    assert earlier.json()["version"] == 1
    assert now.json()["fatalities"]["best"] == 25


def test_as_of_before_the_event_existed_is_404(client: TestClient, writer: dict[str, str]) -> None:
    event = _create(client, writer)

    response = client.get(f"/v1/events/{event['id']}", params={"as_of": "2000-01-01T00:00:00Z"})

    assert response.status_code == 404


def test_retracted_event_vanishes_from_public_reads_but_stays_for_key_holders(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)

    response = client.delete(f"/v1/events/{event['id']}", headers=writer)

    assert response.status_code == 204
    assert client.get(f"/v1/events/{event['id']}").status_code == 404
    assert client.get("/v1/events").json()["items"] == []
    kept = client.get(f"/v1/events/{event['id']}", headers=writer).json()
    assert (kept["status"], kept["version"], kept["title"]) == ("retracted", 2, event["title"])
    listed = client.get("/v1/events", params={"status": "retracted"}, headers=writer).json()
    assert [e["id"] for e in listed["items"]] == [event["id"]]
    history = client.get(f"/v1/events/{event['id']}/history", headers=writer).json()["items"]
    assert history[-1]["action"] == "retracted"
    assert history[-1]["changes"]["status"] == {"before": "published", "after": "retracted"}


def test_sync_feed_carries_a_retraction_as_a_tombstone(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)
    since = "2000-01-01T00:00:00Z"
    client.delete(f"/v1/events/{event['id']}", headers=writer)

    items = client.get("/v1/events", params={"updated_since": since}).json()["items"]

    assert items == [
        {
            "id": event["id"],
            "external_id": None,
            "status": "retracted",
            "version": 2,
            "updated_at": items[0]["updated_at"],
        }
    ]


def test_sync_feed_as_csv_carries_a_retraction_as_a_tombstone_row(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer, external_id="wire-1")
    client.delete(f"/v1/events/{event['id']}", headers=writer)
    params = {"updated_since": "2000-01-01T00:00:00Z", "format": "csv"}

    public = list(csv.DictReader(io.StringIO(client.get("/v1/events", params=params).text)))
    editor = list(
        csv.DictReader(io.StringIO(client.get("/v1/events", params=params, headers=writer).text))
    )

    assert len(public) == 1
    filled = {column: value for column, value in public[0].items() if value}
    assert filled == {
        "id": event["id"],
        "external_id": "wire-1",
        "status": "retracted",
        "version": "2",
        "updated_at": filled["updated_at"],
    }
    assert editor[0]["title"] == event["title"]
    assert editor[0]["status"] == "retracted"


def test_only_an_admin_can_restore_a_retracted_event(
    client: TestClient, writer: dict[str, str], admin: dict[str, str]
) -> None:
    event = _create(client, writer)
    client.delete(f"/v1/events/{event['id']}", headers=writer)

    by_writer = client.patch(
        f"/v1/events/{event['id']}", json={"status": "published"}, headers=writer
    )
    by_admin = client.patch(
        f"/v1/events/{event['id']}", json={"status": "published"}, headers=admin
    )

    assert by_writer.status_code == 403
    assert by_admin.status_code == 200
    assert client.get(f"/v1/events/{event['id']}").json()["status"] == "published"


def test_stale_if_match_on_delete_is_412_and_keeps_the_event(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)

    response = client.delete(
        f"/v1/events/{event['id']}", headers={**writer, "If-Match": f'"{event["id"]}.7"'}
    )

    assert response.status_code == 412
    assert client.get(f"/v1/events/{event['id']}").json()["status"] == "published"


def test_if_none_match_with_the_current_etag_is_304(
    client: TestClient, writer: dict[str, str]
) -> None:
    event = _create(client, writer)
    etag = client.get(f"/v1/events/{event['id']}").headers["etag"]

    response = client.get(f"/v1/events/{event['id']}", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_unknown_event_is_404(client: TestClient, writer: dict[str, str]) -> None:
    assert client.get("/v1/events/nope").status_code == 404
    assert client.patch("/v1/events/nope", json={}, headers=writer).status_code == 404
    assert client.delete("/v1/events/nope", headers=writer).status_code == 404
    assert client.get("/v1/events/nope/history").status_code == 404


def test_sync_feed_pages_through_concurrent_writes_without_missing_or_repeating_a_change(
    client: TestClient, writer: dict[str, str]
) -> None:
    ids = [_create(client, writer, title=f"Event {i}")["id"] for i in range(5)]
    seen: list[tuple[str, int]] = []
    params: dict[str, Any] = {"updated_since": "2000-01-01T00:00:00Z", "limit": 2}
    late: list[str] = []
    while True:
        body = client.get("/v1/events", params=params).json()
        seen += [(e["id"], e["version"]) for e in body["items"]]
        if len(seen) == 2:  # writes land while the client is paging
            client.patch(f"/v1/events/{ids[0]}", json={"title": "Corrected"}, headers=writer)
            late.append(_create(client, writer, title="Late")["id"])
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]

    assert len(seen) == len(set(seen))
    latest = {event_id: version for event_id, version in seen}
    assert latest == {**dict.fromkeys(ids, 1), ids[0]: 2, late[0]: 1}

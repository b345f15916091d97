"""Request ids, JSON access logs and Prometheus metrics."""

import json

import pytest
from fastapi.testclient import TestClient


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/v1/events", headers={"X-Request-ID": "newsroom-42"})
    generated = client.get("/v1/events")
    hostile = client.get("/v1/events", headers={"X-Request-ID": "bad id <script>"})

    assert given.headers["x-request-id"] == "newsroom-42"
    assert len(generated.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "bad id <script>"


def test_each_request_is_logged_as_json_with_its_id(
    client: TestClient, writer: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    client.get("/v1/events/missing", headers={"X-Request-ID": "trace-1", **writer})

    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    entry = next(e for e in lines if e.get("request_id") == "trace-1")
    assert (entry["status"], entry["route"], entry["method"]) == (
        404,
        "/v1/events/{event_id}",
        "GET",
    )
    assert writer["Authorization"].split()[1] not in json.dumps(lines)


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/v1/events")
    client.get("/v1/events/nope")
    client.head("/v1/events")

    text = client.get("/metrics").text

    assert 'sitrep_requests_total{method="GET",route="/v1/events",status="200"}' in text
    assert 'sitrep_requests_total{method="HEAD",route="/v1/events",status="200"}' in text
    assert 'route="/v1/events/{event_id}",status="404"' in text
    assert "sitrep_request_duration_seconds_bucket" in text
    assert "sitrep_db_pool_checked_out" in text

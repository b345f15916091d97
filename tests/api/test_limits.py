"""Limits and headers for a service exposed to the public internet."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.factories import event_payload


def test_anonymous_request_over_the_limit_gets_429_with_retry_after(
    make_client: ClientFactory, writer: dict[str, str]
) -> None:
    client = make_client(rate_limit_anon="120/minute")

    statuses = [client.get("/v1/events").status_code for _ in range(120)]
    refused = client.get("/v1/events")

    assert statuses == [200] * 120
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert client.get("/v1/events", headers=writer).status_code == 200


def test_responses_carry_ratelimit_headers(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_anon="5/minute")

    response = client.get("/v1/events")

    assert response.headers["ratelimit-limit"] == "5"
    assert response.headers["ratelimit-remaining"] == "4"
    assert int(response.headers["ratelimit-reset"]) <= 60


def test_keyed_clients_have_their_own_limit(
    make_client: ClientFactory, writer: dict[str, str], reader: dict[str, str]
) -> None:
    client = make_client(rate_limit_key="2/minute")

    assert [client.get("/v1/events", headers=writer).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/v1/events", headers=reader).status_code == 200
    assert client.get("/v1/events").status_code == 200


def test_probes_and_the_explorers_files_are_never_limited(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_anon="1/minute")

    assert [client.get("/healthz").status_code for _ in range(3)] == [200] * 3
    script = "/static/explorer/explorer.js"
    assert [client.get(script).status_code for _ in range(3)] == [200] * 3
    assert [client.get("/v1/events").status_code for _ in range(2)] == [200, 429]


def test_a_3_mb_body_gets_413_and_nothing_is_stored(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = event_payload(description="x" * 3_000_000)

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 413
    assert client.get("/v1/events").json()["items"] == []


def test_streamed_body_over_the_limit_gets_413(
    make_client: ClientFactory, writer: dict[str, str]
) -> None:
    client = make_client(max_body_bytes=1000)

    def chunks() -> Any:
        yield b'{"title": "'
        yield b"x" * 2000
        yield b'"}'

    response = client.post(
        "/v1/events", content=chunks(), headers={**writer, "Content-Type": "application/json"}
    )

    assert response.status_code == 413


def test_security_headers_on_every_response(client: TestClient) -> None:
    for response in (
        client.get("/v1/events"),
        client.get("/v1/events/missing"),
        client.get("/docs"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in client.get("/v1/events").headers["content-security-policy"]


def test_cors_origins_are_configurable(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://newsroom.example"])

    allowed = client.get("/v1/events", headers={"Origin": "https://newsroom.example"})
    other = client.get("/v1/events", headers={"Origin": "https://elsewhere.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://newsroom.example"
    assert "access-control-allow-origin" not in other.headers


def test_made_up_keys_do_not_escape_the_anonymous_limit(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_anon="3/minute")

    statuses = [
        client.get("/v1/events", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(4)
    ]
    anonymous = client.get("/v1/events")

    assert statuses == [401, 401, 401, 429]
    assert anonymous.status_code == 200  # failed keys have their own count

"""Every failure is an RFC 9457 problem document of one shape, with no internals leaked."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import event_payload

Keys = dict[str, dict[str, str]]
Call = Callable[[TestClient, Keys], Any]


def _created(client: TestClient, writer: dict[str, str]) -> str:
    return str(
        client.post("/v1/events", json=event_payload(external_id="x"), headers=writer).json()["id"]
    )


FAILURES: list[Any] = [
    pytest.param(400, lambda c, k: c.get("/v1/events?contry=UA"), id="unknown-query-param"),
    pytest.param(
        400,
        lambda c, k: c.post(
            "/v1/events",
            content=b'{"title": ',
            headers={**k["write"], "Content-Type": "application/json"},
        ),
        id="malformed-json",
    ),
    pytest.param(401, lambda c, k: c.post("/v1/events", json=event_payload()), id="no-key"),
    pytest.param(
        401,
        lambda c, k: c.get("/v1/events", headers={"Authorization": "Basic x"}),
        id="wrong-scheme",
    ),
    pytest.param(403, lambda c, k: c.get("/v1/events?status=draft", headers=k["read"]), id="scope"),
    pytest.param(404, lambda c, k: c.get("/v1/events/missing"), id="no-event"),
    pytest.param(404, lambda c, k: c.get("/v2/nothing"), id="no-route"),
    pytest.param(405, lambda c, k: c.put("/v1/events", json={}), id="method"),
    pytest.param(
        409,
        lambda c, k: (
            _created(c, k["write"]),
            c.post("/v1/events", json=event_payload(external_id="x"), headers=k["write"]),
        )[1],
        id="conflict",
    ),
    pytest.param(
        412,
        lambda c, k: c.patch(
            "/v1/events/" + _created(c, k["write"]),
            json={},
            headers={**k["write"], "If-Match": '"stale"'},
        ),
        id="precondition",
    ),
    pytest.param(
        413,
        lambda c, k: c.post(
            "/v1/events",
            content=b"x" * (1024 * 1024 + 1),
            headers={**k["write"], "Content-Type": "application/json"},
        ),
        id="too-large",
    ),
    pytest.param(
        415,
        lambda c, k: c.post(
            "/v1/events", content=b"title=x", headers={**k["write"], "Content-Type": "text/plain"}
        ),
        id="media-type",
    ),
    pytest.param(
        422,
        lambda c, k: c.post("/v1/events", json={"title": 3}, headers=k["write"]),
        id="validation",
    ),
]


@pytest.mark.parametrize(("status", "call"), FAILURES)
def test_every_error_is_a_problem_document(
    client: TestClient, writer: dict[str, str], reader: dict[str, str], status: int, call: Call
) -> None:
    response = call(client, {"write": writer, "read": reader})

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:sitrep:problem:")
    assert problem["title"] and problem["detail"]
    for error in problem.get("errors", []):
        assert set(error) == {"loc", "msg"}
    text = response.text.lower()
    assert "traceback" not in text and "select " not in text and "/work/" not in text


def test_validation_problem_does_not_echo_the_input(
    client: TestClient, writer: dict[str, str]
) -> None:
    secret = "<script>alert('x')</script>" * 3

    response = client.post("/v1/events", json=event_payload(event_type=secret), headers=writer)

    assert response.status_code == 422
    assert secret not in response.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/events", "GET, HEAD, POST"),
        ("OPTIONS", "/v1/events/some-id", "GET, HEAD, PATCH, DELETE"),
        ("POST", "/v1/stats", "GET, HEAD"),
    ],
)
def test_a_method_not_allowed_names_every_method_the_path_takes(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert (
        response.json()["detail"]
        == f"{method} is not allowed here; use {allowed.replace(', ', ' or ')}."
    )


@pytest.mark.parametrize(
    "path",
    ["/v1/events?country=UA", "/v1/events/{id}", "/v1/stats?interval=month", "/healthz", "/docs"],
)
def test_head_answers_as_get_without_a_body(
    client: TestClient, writer: dict[str, str], path: str
) -> None:
    path = path.format(id=_created(client, writer))
    get = client.get(path)

    head = client.head(path)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    for header in ("content-type", "content-length", "etag"):
        assert head.headers.get(header) == get.headers.get(header)


def test_head_of_a_missing_event_is_a_404(client: TestClient) -> None:
    response = client.head("/v1/events/no-such-event")

    assert response.status_code == 404
    assert response.content == b""

"""``/v1/keys``: admin-only key management over HTTP."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories import event_payload


def test_admin_creates_a_key_that_works_and_is_listed_without_its_secret(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/v1/keys", json={"name": "wire-desk", "scopes": ["write"]}, headers=admin
    )

    assert created.status_code == 201
    secret = created.json()["key"]
    posted = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": secret})
    assert posted.status_code == 201
    listing = client.get("/v1/keys", headers=admin)
    assert secret not in listing.text
    desk = next(k for k in listing.json()["items"] if k["name"] == "wire-desk")
    assert desk["scopes"] == ["write"]
    assert desk["last_used_at"] is not None


def test_revoked_key_gets_401(client: TestClient, admin: dict[str, str]) -> None:
    secret = client.post(
        "/v1/keys", json={"name": "temp", "scopes": ["write"]}, headers=admin
    ).json()["key"]
    used = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": secret})
    assert used.status_code == 201  # found once, it is kept (``app.services.keys``)

    assert client.delete("/v1/keys/temp", headers=admin).status_code == 204

    response = client.post("/v1/events", json=event_payload(), headers={"X-API-Key": secret})
    assert response.status_code == 401
    revoked = next(
        k for k in client.get("/v1/keys", headers=admin).json()["items"] if k["name"] == "temp"
    )
    assert revoked["revoked_at"] is not None


def test_key_with_an_expiry_works_until_then(client: TestClient, admin: dict[str, str]) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    secret = client.post(
        "/v1/keys",
        json={"name": "day-pass", "scopes": ["read"], "expires_at": tomorrow},
        headers=admin,
    ).json()["key"]

    assert client.get("/v1/events", headers={"X-API-Key": secret}).status_code == 200


def test_key_management_needs_an_admin_key(client: TestClient, writer: dict[str, str]) -> None:
    assert client.get("/v1/keys").status_code == 401
    assert client.get("/v1/keys", headers=writer).status_code == 403
    response = client.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=writer)
    assert response.status_code == 403


def test_duplicate_key_name_is_409_and_bad_scope_is_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post("/v1/keys", json={"name": "desk", "scopes": ["read"]}, headers=admin)

    again = client.post("/v1/keys", json={"name": "desk", "scopes": ["read"]}, headers=admin)
    bad = client.post("/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin)

    assert again.status_code == 409
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "scopes", 0]


@pytest.mark.parametrize(
    "name", ["", "   ", "desk\nfake log line", "tab\there", "x" * 101, "night/desk", "/", ".", ".."]
)
def test_a_blank_unprintable_or_unaddressable_key_name_is_422_naming_it(
    client: TestClient, admin: dict[str, str], name: str
) -> None:
    response = client.post("/v1/keys", json={"name": name, "scopes": ["read"]}, headers=admin)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    listed = client.get("/v1/keys", headers=admin).json()["items"]
    assert name not in [key["name"] for key in listed]


def test_a_key_named_with_spaces_and_url_characters_is_revoked_by_its_name(
    client: TestClient, admin: dict[str, str]
) -> None:
    name = "Kyiv desk #2? 100% ok"
    created = client.post("/v1/keys", json={"name": name, "scopes": ["read"]}, headers=admin)

    revoked = client.delete(f"/v1/keys/{quote(name, safe='')}", headers=admin)

    assert created.status_code == 201
    assert revoked.status_code == 204
    listed = {key["name"]: key for key in client.get("/v1/keys", headers=admin).json()["items"]}
    assert listed[name]["revoked_at"] is not None


def test_revoking_an_unknown_key_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert client.delete("/v1/keys/nobody", headers=admin).status_code == 404

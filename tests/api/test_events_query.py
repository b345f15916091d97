"""Querying events: filters, sorts, keyset paging, draft visibility."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import every_page
from tests.factories import event_payload, wire_report_night


@pytest.fixture
def night(client: TestClient, writer: dict[str, str]) -> dict[str, str]:
    """The wire-report events, stored; maps external_id to id."""
    response = client.post("/v1/events/batch", json={"events": wire_report_night()}, headers=writer)
    assert response.status_code == 201
    return {e["external_id"]: e["id"] for e in response.json()["items"]}


def _ids(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> list[str]:
    response = client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [e["external_id"] for e in response.json()["items"]]


def test_default_order_is_newest_first(client: TestClient, night: dict[str, str]) -> None:
    assert _ids(client) == ["wire-kyiv", "wire-kharkiv", "wire-belgorod"]


def test_sorts(client: TestClient, night: dict[str, str]) -> None:
    assert _ids(client, sort="occurred_on") == ["wire-belgorod", "wire-kharkiv", "wire-kyiv"]
    assert _ids(client, sort="-fatalities") == ["wire-belgorod", "wire-kharkiv", "wire-kyiv"]


def test_date_range_is_inclusive(client: TestClient, night: dict[str, str]) -> None:
    assert _ids(client, date_from="2024-05-24", date_to="2024-05-25") == [
        "wire-kharkiv",
        "wire-belgorod",
    ]
    assert _ids(client, date_from="2024-05-26") == ["wire-kyiv"]


@pytest.mark.parametrize("country", ["RU", "ru", "Russia", "RUS", "Russian Federation"])
def test_country_by_code_or_english_name(
    client: TestClient, night: dict[str, str], country: str
) -> None:
    assert _ids(client, country=country) == ["wire-belgorod"]


def test_several_countries_comma_separated(client: TestClient, night: dict[str, str]) -> None:
    assert len(_ids(client, country="Ukraine,RU")) == 3


def test_lists_of_each_length_in_turn_each_get_their_own_events(
    client: TestClient, writer: dict[str, str], night: dict[str, str]
) -> None:
    """A list query's SQL is kept by how long its lists are: the same filters with one
    value, then two, then one again, each find their own events."""
    everything = ["wire-kyiv", "wire-kharkiv", "wire-belgorod"]
    assert _ids(client, country="UA") == ["wire-kyiv", "wire-kharkiv"]
    assert _ids(client, country="UA,RU") == everything
    assert _ids(client, country="RU") == ["wire-belgorod"]
    assert _ids(client, writer, country="UA,RU", status="published,draft") == everything
    assert _ids(client, writer, country="RU,UA", status="published") == everything


def test_unknown_country_filter_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/v1/events", params={"country": "Atlantis"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "country"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"place": "kharkiv"}, ["wire-kharkiv"]),
        ({"admin1": "Belgorod oblast"}, ["wire-belgorod"]),
        ({"sub_event_type": "Air/drone strike"}, ["wire-kyiv"]),
        ({"event_type": "Battles"}, []),
        ({"actor": "military forces of ukraine"}, ["wire-belgorod"]),
        ({"source": "Ukrainian Air Force"}, ["wire-kyiv"]),
        ({"tag": "Cross-Border"}, ["wire-belgorod"]),
        ({"min_fatalities": 11}, ["wire-kharkiv", "wire-belgorod"]),
        ({"q": "apartment"}, ["wire-kharkiv"]),
        ({"q": "100%"}, []),
    ],
)
def test_filters(
    client: TestClient, night: dict[str, str], params: dict[str, Any], expected: list[str]
) -> None:
    assert _ids(client, **params) == expected


def test_paging_serves_every_event_exactly_once_with_link_headers(
    client: TestClient, night: dict[str, str]
) -> None:
    seen, url = [], "/v1/events?limit=1&country=UA%2CRU"
    while url:
        response = client.get(url)
        body = response.json()
        seen += [e["external_id"] for e in body["items"]]
        link = response.headers.get("link")
        assert (link is None) == (body["next_cursor"] is None)
        url = link.split(">")[0].lstrip("<") if link else ""
        if url:  # the other parameters as sent, and only the next page's cursor
            assert url.endswith(f"?limit=1&country=UA%2CRU&cursor={body['next_cursor']}")

    assert seen == ["wire-kyiv", "wire-kharkiv", "wire-belgorod"]


def test_paging_is_stable_while_events_are_inserted(
    client: TestClient, writer: dict[str, str], night: dict[str, str]
) -> None:
    first = client.get("/v1/events", params={"limit": 2}).json()
    client.post(
        "/v1/events",
        json=event_payload(external_id="late", occurred_on="2024-05-30"),
        headers=writer,
    )

    rest = client.get("/v1/events", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    pages = [e["external_id"] for e in first["items"] + rest["items"]]
    assert pages == ["wire-kyiv", "wire-kharkiv", "wire-belgorod"]


def test_cursor_paging_by_fatalities_covers_unknown_tolls(
    client: TestClient, writer: dict[str, str], night: dict[str, str]
) -> None:
    client.post(
        "/v1/events", json=event_payload(external_id="no-toll", casualties=[]), headers=writer
    )
    pages = every_page(client, {"limit": 1, "sort": "-fatalities"})
    seen = [e["external_id"] for e in pages]

    # Kyiv and "no-toll" have no killed figure: they come last, newest first.
    assert seen == ["wire-belgorod", "wire-kharkiv", "no-toll", "wire-kyiv"]


def test_bad_cursor_is_400_naming_it(client: TestClient) -> None:
    response = client.get("/v1/events", params={"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_cursor_from_another_sort_is_rejected(client: TestClient, night: dict[str, str]) -> None:
    cursor = client.get("/v1/events", params={"limit": 1}).json()["next_cursor"]

    response = client.get("/v1/events", params={"cursor": cursor, "sort": "-fatalities"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 1001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"sort": "title"}, "sort"),
        ({"status": "hidden"}, "status"),
        ({"min_fatalities": -1}, "min_fatalities"),
        ({"updated_since": "2024-01-01T00:00:00"}, "updated_since"),
        ({"date_from": "2024-05-02", "date_to": "2024-05-01"}, "date_to"),
    ],
)
def test_bad_query_value_is_422_naming_the_parameter(
    client: TestClient, params: dict[str, Any], name: str
) -> None:
    response = client.get("/v1/events", params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", name]


def test_unknown_query_parameter_is_400(client: TestClient) -> None:
    response = client.get("/v1/events", params={"contry": "UA"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"loc": ["query", "contry"], "msg": "unknown query parameter"}
    ]


def test_drafts_are_hidden_from_the_public_and_listed_for_writers(
    client: TestClient, writer: dict[str, str], reader: dict[str, str]
) -> None:
    draft = client.post("/v1/events", json=event_payload(status="draft"), headers=writer).json()

    assert client.get("/v1/events").json()["items"] == []
    assert client.get(f"/v1/events/{draft['id']}").status_code == 404
    assert client.get("/v1/events", params={"status": "draft"}).status_code == 401
    assert client.get("/v1/events", params={"status": "draft"}, headers=reader).status_code == 403
    queue = client.get("/v1/events", params={"status": "draft"}, headers=writer).json()["items"]
    assert [e["id"] for e in queue] == [draft["id"]]


def test_publishing_a_draft_shows_in_history(client: TestClient, writer: dict[str, str]) -> None:
    draft = client.post("/v1/events", json=event_payload(status="draft"), headers=writer).json()

    client.patch(f"/v1/events/{draft['id']}", json={"status": "published"}, headers=writer)

    assert client.get(f"/v1/events/{draft['id']}").status_code == 200
    history = client.get(f"/v1/events/{draft['id']}/history").json()["items"]
    assert history[-1]["key_name"] == "newsdesk"
    assert history[-1]["changes"]["status"] == {"before": "draft", "after": "published"}


def test_private_server_needs_a_read_key(make_client: Any, reader: dict[str, str]) -> None:
    private = make_client(public_read=False)

    assert private.get("/v1/events").status_code == 401
    assert private.get("/v1/events", headers=reader).status_code == 200

"""Place intelligence: aliases, regions, boxes, radii, geocoding, autocomplete, GeoJSON."""

import csv
import io
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.geo.distance import haversine_km
from tests.conftest import every_page
from tests.factories import event_payload, wire_report_night

KHARKIV = (49.9935, 36.2304)


@pytest.fixture
def night(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post("/v1/events/batch", json={"events": wire_report_night()}, headers=writer)
    assert response.status_code == 201, response.text


def _ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    return [e["external_id"] for e in response.json()["items"]]


@pytest.mark.parametrize("spelling", ["Kharkiv", "Kharkov", "Харків", "Charkiw", "KHARKIV"])
def test_place_matches_any_spelling(client: TestClient, night: None, spelling: str) -> None:
    assert _ids(client, place=spelling) == ["wire-kharkiv"]


def test_place_response_says_which_place_was_chosen(client: TestClient, night: None) -> None:
    body = client.get("/v1/events", params={"place": "Kharkov"}).json()

    assert body["places"][0]["name"] == "Kharkiv"
    assert body["places"][0]["country"] == "UA"
    assert body["places"][0]["query"] == "Kharkov"


def test_admin1_by_name_finds_events_in_the_region(client: TestClient, night: None) -> None:
    assert _ids(client, admin1="Kharkiv Oblast") == ["wire-kharkiv"]
    assert _ids(client, admin1="Kharkivska oblast") == ["wire-kharkiv"]


def test_radius_around_a_named_place(client: TestClient, night: None) -> None:
    assert _ids(client, near="Kharkiv", radius_km=50) == ["wire-kharkiv"]
    assert sorted(_ids(client, near="Kharkiv", radius_km=100)) == ["wire-belgorod", "wire-kharkiv"]


def test_radius_around_coordinates_sorted_by_distance(client: TestClient, night: None) -> None:
    ids = _ids(client, near=f"{KHARKIV[0]},{KHARKIV[1]}", radius_km=1000, sort="distance")

    assert ids == ["wire-kharkiv", "wire-belgorod", "wire-kyiv"]


def test_paging_by_distance(client: TestClient, night: None) -> None:
    params: dict[str, Any] = {"near": "Kharkiv", "radius_km": 1000, "sort": "distance", "limit": 1}
    seen = [e["external_id"] for e in every_page(client, params)]

    assert seen == ["wire-kharkiv", "wire-belgorod", "wire-kyiv"]


def test_bbox_around_kyiv_finds_kyiv_only(client: TestClient, night: None) -> None:
    assert _ids(client, bbox="30.2,50.2,30.8,50.7") == ["wire-kyiv"]


# A box of a few cells is found through them; a larger one walks the events in date order.
@pytest.mark.parametrize(
    "bbox",
    [
        pytest.param("35.5,49.5,37.5,50.5", id="6 cells"),
        pytest.param("30,48,38.5,51", id="36 cells"),
    ],
)
def test_boxes_small_and_large_page_in_date_order(
    client: TestClient, writer: dict[str, str], bbox: str
) -> None:
    inside = [
        event_payload(external_id=f"in-{i}", occurred_on=f"2024-05-{day:02d}")
        for i, day in enumerate((3, 9, 9, 17, 28))
    ]  # Kharkiv, in both boxes
    outside = event_payload(
        external_id="lviv",
        occurred_on="2024-05-20",
        location={"name": "Lviv", "country": "UA", "latitude": 49.84, "longitude": 24.03},
    )
    response = client.post("/v1/events/batch", json={"events": [*inside, outside]}, headers=writer)
    assert response.status_code == 201, response.text
    params: dict[str, Any] = {"bbox": bbox, "date_from": "2024-05-05", "limit": 2}
    seen = [(e["occurred_on"], e["external_id"]) for e in every_page(client, params)]

    assert [day for day, _ in seen] == ["2024-05-28", "2024-05-17", "2024-05-09", "2024-05-09"]
    assert sorted(ext for _, ext in seen) == ["in-1", "in-2", "in-3", "in-4"]


@pytest.mark.parametrize("sort", ["-occurred_on", "occurred_on"])
def test_radius_over_several_cells_pages_in_date_order_across_them(
    client: TestClient, writer: dict[str, str], sort: str
) -> None:
    # Kharkiv's 25 km reach four 1-degree cells (latitude 50 and longitude 36 cross it).
    corners = [(49.95, 36.25), (50.05, 36.25), (49.95, 35.95), (50.05, 35.95)]
    days = [3, 9, 9, 14, 17, 21, 21, 28]
    events = [
        event_payload(
            external_id=f"e{i}",
            occurred_on=f"2024-05-{day:02d}",
            location={"name": f"Point {i}", "country": "UA", "latitude": lat, "longitude": lon},
        )
        for i, (day, (lat, lon)) in enumerate(zip(days, corners * 2, strict=True))
    ]
    kyiv = {"name": "Kyiv", "country": "UA", "latitude": 50.45, "longitude": 30.52}
    events.append(event_payload(external_id="kyiv", occurred_on="2024-05-20", location=kyiv))
    response = client.post("/v1/events/batch", json={"events": events}, headers=writer)
    assert response.status_code == 201, response.text
    params: dict[str, Any] = {"near": "Kharkiv", "radius_km": 25, "sort": sort, "limit": 3}
    seen = [(e["occurred_on"], e["id"]) for e in every_page(client, params)]

    expected = sorted(
        ((e["occurred_on"], e["id"]) for e in response.json()["items"][:-1]),
        reverse=sort.startswith("-"),
    )
    assert seen == expected
    # The CSV export pages through the same query, reading each event's stored line.
    whole = {name: value for name, value in params.items() if name != "limit"}
    exported = client.get("/v1/events", params={**whole, "format": "csv"})
    assert [row["id"] for row in csv.DictReader(io.StringIO(exported.text))] == [
        event_id for _, event_id in expected
    ]


def test_bbox_across_the_antimeridian(client: TestClient, writer: dict[str, str]) -> None:
    fiji = event_payload(
        external_id="fiji",
        location={"name": "Labasa", "country": "FJ", "latitude": -16.43, "longitude": 179.38},
    )
    samoa = event_payload(
        external_id="samoa",
        location={"name": "Apia", "country": "WS", "latitude": -13.83, "longitude": -171.76},
    )
    for body in (fiji, samoa):
        assert client.post("/v1/events", json=body, headers=writer).status_code == 201

    assert sorted(_ids(client, bbox="170,-20,-170,-10")) == ["fiji", "samoa"]
    assert _ids(client, bbox="-170,-20,170,-10") == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"bbox": "30,50,31"}, "bbox"),
        ({"bbox": "30,51,31,50"}, "bbox"),
        ({"bbox": "30,50,191,51"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"near": "50,30"}, "radius_km"),
        ({"radius_km": 10}, "near"),
        ({"near": "95,30", "radius_km": 10}, "near"),
        ({"near": "nan,30", "radius_km": 10}, "near"),
        ({"near": "Atlantisgrad", "radius_km": 10}, "near"),
        ({"near": "50,30", "radius_km": -1}, "radius_km"),
        ({"sort": "distance"}, "sort"),
        ({"sort": "distance", "format": "csv"}, "sort"),  # refused before the stream starts
    ],
)
def test_bad_spatial_parameter_is_422_naming_it(
    client: TestClient, params: dict[str, Any], name: str
) -> None:
    response = client.get("/v1/events", params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", name]


def test_location_given_by_name_is_geocoded(client: TestClient, writer: dict[str, str]) -> None:
    body = event_payload(location={"name": "Izium", "country": "UA"})

    event = client.post("/v1/events", json=body, headers=writer).json()

    location = event["location"]
    assert location["admin1"] == "Kharkiv Oblast"
    assert location["precision"] == "town"
    assert haversine_km(location["latitude"], location["longitude"], 49.2128, 37.2569) < 10
    assert _ids(client, place="Izyum") == [None]


@pytest.mark.parametrize(
    ("name", "country", "admin1"),
    [
        # Own names over larger places' aliases: Engels was once Pokrovsk, Tokmok is
        # also spelled Tokmak, and Guantánamo has "Gao" among its aliases.
        ("Pokrovsk", "UA", "Donetsk Oblast"),
        ("Tokmak", "UA", "Zaporizhzhia Oblast"),
        ("Gao", "ML", "Gao"),
        # An alias still wins over a much smaller place's own name (Odessa, Texas).
        ("Odessa", "UA", "Odesa Oblast"),
        # The Arabic article as the press spells it, where GeoNames has "el-" or "ash".
        ("Deir al-Balah", "PS", "Gaza Strip"),
        ("Al-Fasher", "SD", "North Darfur State"),
        ("Jisr al-Shughur", "SY", "Idlib Governorate"),
    ],
)
def test_a_name_alone_is_geocoded_to_the_place_it_names(
    client: TestClient, writer: dict[str, str], name: str, country: str, admin1: str
) -> None:
    body = event_payload(location={"name": name})

    event = client.post("/v1/events", json=body, headers=writer).json()
    first = client.get("/v1/places", params={"q": name}).json()["items"][0]

    assert (event["location"]["country"], event["location"]["admin1"]) == (country, admin1)
    assert (first["country"], first["admin1"]) == (country, admin1)  # autocomplete agrees


def test_unknown_place_is_422_with_suggestions(client: TestClient, writer: dict[str, str]) -> None:
    body = event_payload(location={"name": "Kharkivv", "country": "UA"})

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "location", "name"]
    assert "Kharkiv (Kharkiv Oblast, UA)" in problem["suggestions"]
    assert len(problem["suggestions"]) <= 3


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        # The press's spelling, not among GeoNames' own: suggested by its closest alias.
        ("Hodeidah", "Hodeida (Al Hudaydah Governorate, YE)"),
        ("Qamishli", "Qamischli (Al-Hasakah Governorate, SY)"),
        # Typos of front-line towns, among thousands of larger places' names.
        ("Kurakhovee", "Kurakhove (Donetsk Oblast, UA)"),
        ("Toretskk", "Toretsk (Donetsk Oblast, UA)"),
    ],
)
def test_unknown_place_suggests_the_closest_name(
    client: TestClient, writer: dict[str, str], name: str, suggestion: str
) -> None:
    body = event_payload(location={"name": name})

    response = client.post("/v1/events", json=body, headers=writer)

    assert response.status_code == 422
    assert response.json()["suggestions"][0] == suggestion


def test_unknown_place_in_a_batch_names_the_item(
    client: TestClient, writer: dict[str, str]
) -> None:
    events = [event_payload(), event_payload(location={"name": "Nowhereville Xq"})]

    response = client.post("/v1/events/batch", json={"events": events}, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "events", 1, "location", "name"]


def test_places_autocomplete(client: TestClient) -> None:
    khar = client.get("/v1/places", params={"q": "Khar"}).json()["items"]
    mariupol = client.get("/v1/places", params={"q": "Мариуполь"}).json()["items"]

    assert khar[0]["name"] == "Kharkiv"
    assert khar[0]["admin1"] == "Kharkiv Oblast"
    assert khar[0]["population"] > 1_000_000
    assert mariupol[0]["name"] == "Mariupol"
    assert mariupol[0]["matched"] == "Мариуполь"


def test_places_filtered_by_country(client: TestClient) -> None:
    items = client.get("/v1/places", params={"q": "Odes", "country": "US"}).json()["items"]

    assert items and all(p["country"] == "US" for p in items)


def test_geojson_feature_collection(client: TestClient, night: None) -> None:
    response = client.get("/v1/events", params={"format": "geojson", "limit": 2})
    by_accept = client.get("/v1/events", headers={"Accept": "application/geo+json"})

    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    kyiv = collection["features"][0]
    assert kyiv["geometry"] == {"type": "Point", "coordinates": [30.5234, 50.4501]}
    assert kyiv["properties"]["external_id"] == "wire-kyiv"
    assert collection["links"][0]["rel"] == "next"
    assert collection["next_cursor"]
    assert by_accept.json()["type"] == "FeatureCollection"


def _law_of_cosines_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """An independent reference for great-circle distance."""
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    cos = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(cos)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((49.9935, 36.2304), (50.5956, 36.5873)),  # Kharkiv - Belgorod, about 72 km
        ((50.4501, 30.5234), (46.4825, 30.7233)),  # Kyiv - Odesa
        ((51.5074, -0.1278), (40.7128, -74.0060)),  # London - New York
    ],
)
def test_distance_agrees_with_a_reference_within_half_a_percent(
    client: TestClient, writer: dict[str, str], a: tuple[float, float], b: tuple[float, float]
) -> None:
    km = _law_of_cosines_km(a, b)
    body = event_payload(location={"name": "Point B", "latitude": b[0], "longitude": b[1]})
    client.post("/v1/events", json=body, headers=writer)

    inside = _ids(client, near=f"{a[0]},{a[1]}", radius_km=km * 1.005)
    outside = _ids(client, near=f"{a[0]},{a[1]}", radius_km=km * 0.995)

    assert len(inside) == 1
    assert outside == []

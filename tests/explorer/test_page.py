"""The explorer page as served: filled from the query string, escaped, self-contained."""

import re

from fastapi.testclient import TestClient


def test_page_fills_the_filter_bar_from_the_query_string(client: TestClient) -> None:
    response = client.get(
        "/",
        params={"country": "UA", "place": "Kharkiv", "min_fatalities": "5", "admin1": "x"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<option value="UA" selected>Ukraine</option>' in html
    assert 'name="place" value="Kharkiv"' in html
    assert re.search(r'name="min_fatalities"[^>]*value="5"', html)


def test_page_escapes_what_the_query_string_holds(client: TestClient) -> None:
    response = client.get("/", params={"place": '"><script>alert(1)</script>'})

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_page_loads_only_its_own_files_under_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")

    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text)
    assert len(assets) == 10
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    outlines = client.get("/static/vendor/world-atlas/countries-50m.json")
    assert outlines.json()["type"] == "Topology"


def test_page_is_not_part_of_the_api_description(client: TestClient) -> None:
    assert "/" not in client.get("/openapi.json").json()["paths"]

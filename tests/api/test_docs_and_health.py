"""Operations endpoints and documentation served without any CDN."""

import re

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_fails_when_the_database_is_unreachable() -> None:
    broken = TestClient(create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none")))

    response = broken.get("/readyz")

    assert response.status_code == 503
    assert response.headers["retry-after"]


def test_docs_pages_load_only_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
            assert client.get(asset).status_code == 200, asset


def test_openapi_carries_a_full_example_event_and_the_figures_rule(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    event = schema["components"]["schemas"]["EventRead"]

    example = event["examples"][0]
    assert example["casualties"] and example["actors"] and example["munitions"]
    assert "median" in event["properties"]["fatalities"]["description"]
    assert "/v1/events/{event_id}/history" in schema["paths"]

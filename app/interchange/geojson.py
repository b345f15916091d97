"""Events as an RFC 7946 GeoJSON FeatureCollection."""

from typing import Any

import orjson

MEDIA_TYPE = "application/geo+json"


def feature(event: dict[str, Any]) -> dict[str, Any]:
    """A Point at the event's ``[lon, lat]`` (null when unknown), the event as properties."""
    location = event.get("location") or {}
    lat, lon = location.get("latitude"), location.get("longitude")
    geometry = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "id": event["id"], "geometry": geometry, "properties": event}


def feature_collection(
    events: list[str],
    *,
    next_cursor: str | None,
    next_url: str | None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [feature(orjson.loads(event)) for event in events],
        "next_cursor": next_cursor,
        "links": [{"rel": "next", "href": next_url, "type": MEDIA_TYPE}] if next_url else [],
        **(extra or {}),
    }
    return orjson.dumps(collection)

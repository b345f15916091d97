"""The example event shown in the OpenAPI document (Belgorod, 30 December 2023)."""

from typing import Any

EXAMPLE_EVENT_INPUT: dict[str, Any] = {
    "external_id": "wire-2023-12-30-belgorod",
    "title": "Shelling of Belgorod city centre",
    "description": "Rockets and cluster munitions hit the city centre, a skating rink and "
    "residential streets in the afternoon.",
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    "occurred_on": "2023-12-30",
    "occurred_at": None,
    "date_precision": "day",
    "location": {
        "name": "Belgorod",
        "admin1": "Belgorod Oblast",
        "country": "RU",
        "latitude": 50.6,
        "longitude": 36.58,
        "precision": "town",
    },
    "actors": [
        {
            "name": "Armed Forces of Ukraine",
            "role": "perpetrator",
            "attribution": "alleged",
            "attributed_by": "Russian Ministry of Defence",
        },
        {"name": "Civilians (Russia)", "role": "target"},
    ],
    "casualties": [
        {
            "kind": "killed",
            "group": "all",
            "count": 24,
            "qualifier": "exact",
            "claimed_by": "Belgorod regional governor",
        },
        {
            "kind": "killed",
            "group": "children",
            "count": 3,
            "qualifier": "exact",
            "claimed_by": "Belgorod regional governor",
        },
        {
            "kind": "injured",
            "group": "all",
            "count": 108,
            "qualifier": "at_least",
            "claimed_by": "Russian emergencies ministry",
        },
    ],
    "munitions": [
        {
            "type": "rocket",
            "launched": 13,
            "intercepted": 10,
            "claimed_by": "Russian Ministry of Defence",
        },
    ],
    "damage": ["residential", "shops", "administrative"],
    "sources": [
        {
            "name": "ITV News",
            "kind": "media",
            "url": "https://www.itv.com/news",
            "published_on": "2023-12-31",
        },
    ],
    "tags": ["cross-border"],
    "status": "published",
}

EXAMPLE_EVENT: dict[str, Any] = {
    "id": "018cbd4a7e40a1b2c3d4e5f6",
    **EXAMPLE_EVENT_INPUT,
    "fatalities": {"low": 24, "best": 24, "high": 24},
    "injured": {"low": 108, "best": 108, "high": 108},
    "version": 1,
    "created_at": "2023-12-30T18:02:11Z",
    "updated_at": "2023-12-30T18:02:11Z",
}

"""Small typed builders of request bodies."""

from typing import Any


def event_payload(**overrides: Any) -> dict[str, Any]:
    """A valid event body; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "title": "Shelling of a residential district",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "occurred_on": "2024-05-25",
        "location": {
            "name": "Kharkiv",
            "admin1": "Kharkiv Oblast",
            "country": "UA",
            "latitude": 49.9935,
            "longitude": 36.2304,
            "precision": "town",
        },
        "casualties": [{"kind": "killed", "count": 3, "claimed_by": "Regional governor"}],
    }
    body.update(overrides)
    return body


def wire_report_night() -> list[dict[str, Any]]:
    """One night's wire report: strikes on three cities in two countries."""
    return [
        event_payload(
            external_id="wire-kharkiv",
            title="Missile strike on an apartment block in Kharkiv",
            occurred_on="2024-05-25",
            casualties=[
                {"kind": "killed", "group": "all", "count": 11, "claimed_by": "Kharkiv governor"},
                {
                    "kind": "killed",
                    "group": "children",
                    "count": 4,
                    "claimed_by": "Kharkiv governor",
                },
                {
                    "kind": "injured",
                    "group": "all",
                    "count": 17,
                    "qualifier": "at_least",
                    "claimed_by": "Kharkiv governor",
                },
            ],
            damage=["residential"],
            tags=["apartment-block"],
        ),
        event_payload(
            external_id="wire-kyiv",
            title="Drone attack on Kyiv",
            sub_event_type="Air/drone strike",
            occurred_on="2024-05-26",
            location={
                "name": "Kyiv",
                "admin1": "Kyiv City",
                "country": "Ukraine",
                "latitude": 50.4501,
                "longitude": 30.5234,
            },
            casualties=[{"kind": "injured", "count": 2, "claimed_by": "Kyiv mayor"}],
            munitions=[
                {
                    "type": "drone",
                    "launched": 40,
                    "intercepted": 31,
                    "claimed_by": "Ukrainian Air Force",
                }
            ],
            sources=[{"name": "Ukrainian Air Force", "kind": "official"}],
        ),
        event_payload(
            external_id="wire-belgorod",
            title="Shelling of Belgorod",
            occurred_on="2024-05-24",
            location={
                "name": "Belgorod",
                "admin1": "Belgorod Oblast",
                "country": "RU",
                "latitude": 50.5956,
                "longitude": 36.5873,
            },
            actors=[
                {
                    "name": "Military Forces of Ukraine",
                    "role": "perpetrator",
                    "attribution": "alleged",
                    "attributed_by": "Russian Ministry of Defence",
                }
            ],
            casualties=[
                {"kind": "killed", "count": 24, "claimed_by": "Belgorod governor"},
                {"kind": "killed", "count": 25, "claimed_by": "Russian emergencies ministry"},
            ],
            tags=["cross-border"],
        ),
    ]

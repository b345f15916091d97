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


ACLED_PLACES = [
    # location, admin1, country, iso, latitude, longitude
    ("Kharkiv", "Kharkiv Oblast", "Ukraine", "804", "49.9935", "36.2304"),
    ("Belgorod", "Belgorod Oblast", "Russia", "643", "50.5956", "36.5873"),
    ("Omdurman", "Khartoum", "Sudan", "729", "15.6445", "32.4777"),
    ("Goma", "North Kivu", "Democratic Republic of Congo", "180", "-1.6792", "29.2228"),
    ("Gaza City", "Gaza Strip", "Palestine", "275", "31.5017", "34.4668"),
]
ACLED_TYPES = [
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Explosions/Remote violence", "Air/drone strike"),
    ("Battles", "Armed clash"),
    ("Violence against civilians", "Attack"),
]


def acled_rows(count: int) -> list[dict[str, str]]:
    """ACLED export rows, varied over places, types, actors and precisions."""
    rows = []
    for i in range(count):
        place = ACLED_PLACES[i % len(ACLED_PLACES)]
        event_type, sub_event_type = ACLED_TYPES[i % len(ACLED_TYPES)]
        civilians = event_type == "Violence against civilians"
        rows.append(
            {
                "event_id_cnty": f"TST{i:05d}",
                "event_date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "year": "2024",
                "time_precision": str(1 + i % 3),
                "disorder_type": "Political violence",
                "event_type": event_type,
                "sub_event_type": sub_event_type,
                "actor1": f"Armed group {i % 7}",
                "assoc_actor_1": "Militia A; Militia B" if i % 5 == 0 else "",
                "actor2": f"Civilians ({place[2]})" if civilians else f"Armed group {(i + 3) % 7}",
                "assoc_actor_2": "Local residents" if i % 4 == 0 else "",
                "civilian_targeting": "Civilian targeting" if civilians else "",
                "iso": place[3],
                "country": place[2],
                "admin1": place[1],
                "admin2": f"District {i % 3}" if i % 2 else "",
                "admin3": "",
                "location": place[0],
                "latitude": place[4],
                "longitude": place[5],
                "geo_precision": str(1 + i % 3),
                "source": "Reuters; Local media" if i % 3 else "Ukrainska Pravda",
                "notes": f"On {i} January, shelling was reported.",
                "fatalities": str(i % 13),
                "tags": "crowd size=no report" if i % 6 == 0 else "",
                "timestamp": "1718000000",
            }
        )
    return rows

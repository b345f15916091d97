"""ACLED CSV, both directions; the column mapping is in ``docs/interchange.md``.

The title, which ACLED lacks, is made from the sub-event type and location.
"""

from datetime import date, datetime
from typing import Any

import pycountry

from app.schemas.vocabulary import normalise_country

COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "civilian_targeting",
    "iso",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
CLAIMANT = "ACLED"
CIVILIAN_TARGETING_TAG = "civilian-targeting"
_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
_GEO_PRECISION = {"1": "town", "2": "region", "3": "country"}
_SIDE_BY_SIDE = {"Battles", "Protests", "Riots", "Strategic developments"}
_DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Riots": "Political violence",
    "Protests": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
# ACLED's spelling of countries whose ISO name differs.
_ACLED_NAMES = {
    "RU": "Russia",
    "PS": "Palestine",
    "SY": "Syria",
    "IR": "Iran",
    "KR": "South Korea",
    "KP": "North Korea",
    "CD": "Democratic Republic of Congo",
    "CG": "Republic of Congo",
    "TZ": "Tanzania",
    "VE": "Venezuela",
    "BO": "Bolivia",
    "MD": "Moldova",
    "LA": "Laos",
    "VN": "Vietnam",
    "TR": "Turkey",
    "CI": "Ivory Coast",
    "XK": "Kosovo",
    "GB": "United Kingdom",
    "US": "United States",
    "TW": "Taiwan",
    "CV": "Cape Verde",
    "SZ": "eSwatini",
}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _date(text: str) -> str:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text  # let validation name the bad date


def _country(row: dict[str, str]) -> str | None:
    iso = (row.get("iso") or "").strip()
    if iso.isdigit():
        found = pycountry.countries.get(numeric=iso.zfill(3))
        if found is not None:
            return str(found.alpha_2)
    name = (row.get("country") or "").strip()
    if not name:
        return None
    try:
        return normalise_country(name)
    except ValueError:
        return name  # let validation name the unknown country


def from_row(row: dict[str, str]) -> dict[str, Any]:
    """An event body (to validate as ``EventCreate``) from an ACLED row."""
    get = {k: (v or "").strip() for k, v in row.items() if k}.get
    event_type = get("event_type", "")
    side_by_side = event_type in _SIDE_BY_SIDE
    actors = []
    for actor, assoc, role in (
        ("actor1", "assoc_actor_1", "participant" if side_by_side else "perpetrator"),
        ("actor2", "assoc_actor_2", "participant" if side_by_side else "target"),
    ):
        if get(actor):
            actors.append({"name": get(actor), "role": role})
        actors += [{"name": name, "role": "associated"} for name in _split(get(assoc, ""))]
    tags = _split(get("tags", ""))
    if get("civilian_targeting"):
        tags.append(CIVILIAN_TARGETING_TAG)
    location = {
        "name": get("location"),
        "admin1": get("admin1") or None,
        "admin2": get("admin2") or None,
        "admin3": get("admin3") or None,
        "country": _country(row),
        "latitude": get("latitude") or None,
        "longitude": get("longitude") or None,
        "precision": _GEO_PRECISION.get(get("geo_precision", "")),
    }
    fatalities = get("fatalities", "")
    sub_event_type = get("sub_event_type") or None
    return {
        "external_id": get("event_id_cnty") or None,
        "title": f"{sub_event_type or event_type} in {get('location')}",
        "description": get("notes") or None,
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "occurred_on": _date(get("event_date", "")),
        "date_precision": _TIME_PRECISION.get(get("time_precision", ""), "day"),
        "location": {k: v for k, v in location.items() if v is not None},
        "actors": actors,
        "casualties": [{"kind": "killed", "count": fatalities, "claimed_by": CLAIMANT}]
        if fatalities
        else [],
        "sources": [{"name": name} for name in _split(get("source", ""))],
        "tags": tags,
    }


def _sides(actors: list[dict[str, Any]]) -> tuple[str, list[str], str, list[str]]:
    principal: list[str] = []
    associated: list[list[str]] = [[], []]
    for actor in actors:
        if actor["role"] == "associated":
            associated[max(len(principal) - 1, 0)].append(actor["name"])
        elif len(principal) < 2:
            principal.append(actor["name"])
    principal += [""] * (2 - len(principal))
    return principal[0], associated[0], principal[1], associated[1]


def _country_name(code: str | None) -> str:
    if not code:
        return ""
    if code in _ACLED_NAMES:
        return _ACLED_NAMES[code]
    found = pycountry.countries.get(alpha_2=code)
    return str(getattr(found, "common_name", None) or found.name) if found else code


def to_row(event: dict[str, Any]) -> list[Any]:
    """The ACLED cells of a served event."""
    location = event.get("location") or {}
    actor1, assoc1, actor2, assoc2 = _sides(event.get("actors", []))
    tags = [t for t in event.get("tags", []) if t != CIVILIAN_TARGETING_TAG]
    acled_claim = next(
        (
            c["count"]
            for c in event.get("casualties", [])
            if c["kind"] == "killed" and c.get("claimed_by") == CLAIMANT
        ),
        None,
    )
    fatalities = (
        acled_claim if acled_claim is not None else (event.get("fatalities") or {}).get("best") or 0
    )
    country = location.get("country")
    found = pycountry.countries.get(alpha_2=country) if country else None
    precision = {"exact": "1", "town": "1", "region": "2", "country": "3"}.get(
        location.get("precision") or "", ""
    )
    time_precision = {"day": "1", "week": "2", "month": "3"}[event.get("date_precision", "day")]
    updated = event.get("updated_at")
    values = {
        "event_id_cnty": event.get("external_id") or event["id"],
        "event_date": event.get("occurred_on"),
        "year": date.fromisoformat(event["occurred_on"]).year if event.get("occurred_on") else "",
        "time_precision": time_precision,
        "disorder_type": _DISORDER.get(event.get("event_type", ""), ""),
        "event_type": event.get("event_type"),
        "sub_event_type": event.get("sub_event_type"),
        "actor1": actor1,
        "assoc_actor_1": "; ".join(assoc1),
        "actor2": actor2,
        "assoc_actor_2": "; ".join(assoc2),
        "civilian_targeting": "Civilian targeting"
        if CIVILIAN_TARGETING_TAG in event.get("tags", [])
        else "",
        "iso": int(found.numeric) if found else "",
        "country": _country_name(country),
        "admin1": location.get("admin1"),
        "admin2": location.get("admin2"),
        "admin3": location.get("admin3"),
        "location": location.get("name"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "geo_precision": precision,
        "source": "; ".join(s["name"] for s in event.get("sources", [])),
        "notes": event.get("description"),
        "fatalities": fatalities,
        "tags": "; ".join(tags),
        "timestamp": int(datetime.fromisoformat(updated).timestamp()) if updated else "",
    }
    return ["" if values.get(c) is None else values[c] for c in COLUMNS]

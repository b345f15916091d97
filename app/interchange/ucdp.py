"""UCDP Georeferenced Event Dataset (GED) CSV, read into events; the column mapping is
in ``docs/interchange.md``. UCDP's low, best and high become killed claims (``at_least``,
``approx``, ``at_most``), so an event's fatalities low/best/high equal UCDP's.
"""

import re
from typing import Any

CLAIMANT = "UCDP"
_PARENTHESES = re.compile(r"\s*\(.*?\)")


def _precision(where_prec: str) -> str | None:
    if not where_prec.isdigit():
        return None
    value = int(where_prec)
    return (
        "exact" if value == 1 else "town" if value == 2 else "region" if value <= 4 else ("country")
    )


def from_row(row: dict[str, str]) -> dict[str, Any]:
    """An event body (to validate as ``EventCreate``) from a UCDP GED row."""
    get = {k: (v or "").strip() for k, v in row.items() if k}.get
    one_sided = get("type_of_violence") == "3"
    actors = [{"name": get("side_a"), "role": "perpetrator" if one_sided else "participant"}]
    if get("side_b"):
        actors.append({"name": get("side_b"), "role": "target" if one_sided else "participant"})
    casualties = [
        {"kind": "killed", "count": get(column), "qualifier": qualifier, "claimed_by": CLAIMANT}
        for column, qualifier in (("low", "at_least"), ("best", "approx"), ("high", "at_most"))
        if get(column)
    ]
    if get("deaths_civilians"):
        casualties.append(
            {
                "kind": "killed",
                "group": "civilians",
                "count": get("deaths_civilians"),
                "claimed_by": CLAIMANT,
            }
        )
    date_prec = get("date_prec", "1")
    location: dict[str, str | None] = {
        "name": get("where_coordinates") or get("adm_2") or get("adm_1") or get("country"),
        "admin1": get("adm_1") or None,
        "admin2": get("adm_2") or None,
        "country": _PARENTHESES.sub("", get("country", "")) or None,
        "latitude": get("latitude") or None,
        "longitude": get("longitude") or None,
        "precision": _precision(get("where_prec", "")),
    }
    sources = [
        {"name": article}
        for article in (a.strip() for a in get("source_article", "").split(";"))
        if article
    ]
    if office := get("source_office"):
        sources.append({"name": office})
    return {
        "external_id": f"ucdp-{get('id')}" if get("id") else None,
        "title": get("dyad_name") or get("conflict_name") or "UCDP event",
        "description": get("source_headline") or None,
        "event_type": "Violence against civilians" if one_sided else "Battles",
        "sub_event_type": "Attack" if one_sided else "Armed clash",
        "occurred_on": (get("date_start") or "")[:10],
        "date_precision": "day" if date_prec == "1" else "week" if date_prec == "2" else "month",
        "location": {k: v for k, v in location.items() if v is not None},
        "actors": [a for a in actors if a["name"]],
        "casualties": casualties,
        "sources": sources[:50],
        "tags": ["ucdp-ged"],
    }

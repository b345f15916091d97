"""Placing a written location in the gazetteer: geocoding and linking."""

from dataclasses import dataclass
from typing import Any

from app.errors import ValidationFailed
from app.geo.distance import haversine_km
from app.geo.gazetteer import Gazetteer, unknown_place
from app.schemas.event import Location
from app.schemas.vocabulary import LocationPrecision

# A named place this far from the given coordinates is another place of that name.
SAME_PLACE_KM = 100.0


@dataclass(frozen=True)
class Placed:
    """What placing a location gives: the fields it fills in, valued as the event's document
    holds them, and the place and admin1 it links the location to."""

    filled: dict[str, Any]
    place_id: int | None
    admin1_code: str | None


def place_location(gazetteer: Gazetteer, location: Location, *, loc: list[str | int]) -> Placed:
    """Fill what the gazetteer knows; 422 at ``loc`` for a name it cannot place.

    Without coordinates the location is geocoded from its name (and country). With
    coordinates it is linked to the named place when that place is near them, so that
    alias and admin1 filters find it; the client's values are never overwritten.
    """
    countries = [location.country] if location.country else None
    place = gazetteer.resolve(location.name, countries=countries)
    if location.latitude is None or location.longitude is None:
        if place is None:
            suggestions = gazetteer.suggest(location.name, countries=countries)
            msg = unknown_place(location.name, suggestions)
            msg += " Give latitude and longitude to record a place the gazetteer does not know."
            raise ValidationFailed(
                f"{'.'.join(map(str, loc))}: {msg}",
                errors=[{"loc": [*loc, "name"], "msg": msg}],
                suggestions=suggestions,
            )
        filled = {
            "latitude": place.latitude,
            "longitude": place.longitude,
            "country": place.country,
            "admin1": location.admin1 or place.admin1,
            "precision": (location.precision or LocationPrecision.TOWN).value,
        }
        return Placed(filled, place.id, place.admin1_code)
    if (
        place is not None
        and haversine_km(location.latitude, location.longitude, place.latitude, place.longitude)
        > SAME_PLACE_KM
    ):
        place = None
    if place is None:
        codes = gazetteer.admin1_codes(location.admin1) if location.admin1 else []
        if location.country:
            codes = [c for c in codes if c.startswith(location.country + ".")]
        return Placed({}, None, codes[0] if len(codes) == 1 else None)
    return Placed(
        {"country": location.country or place.country, "admin1": location.admin1 or place.admin1},
        place.id,
        place.admin1_code,
    )

"""``/v1/places``: gazetteer look-up for autocomplete and geocoding."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from app.deps import GazetteerDep, get_reader
from app.errors import ValidationFailed
from app.schemas.event import ResolvedPlace
from app.schemas.problem import PROBLEM_RESPONSES
from app.schemas.vocabulary import normalise_country

router = APIRouter(
    prefix="/v1/places",
    tags=["places"],
    dependencies=[Depends(get_reader)],
    responses=PROBLEM_RESPONSES,
)


class PlaceList(BaseModel):
    items: list[ResolvedPlace]


@router.get("", response_model=PlaceList, summary="Find places by name")
def search_places(
    gazetteer: GazetteerDep,
    q: Annotated[
        str, Query(min_length=2, max_length=100, description="Name prefix or alias, in any script.")
    ],
    country: Annotated[str | None, Query(description="ISO code or English name.")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> PlaceList:
    """Places whose name or any alias starts with `q`: matches on a place's own name and
    shorter completions first, larger places before smaller (`q=Khar` gives Kharkiv)."""
    countries = None
    if country:
        try:
            countries = [normalise_country(country)]
        except ValueError as exc:
            raise ValidationFailed(
                str(exc), errors=[{"loc": ["query", "country"], "msg": str(exc)}]
            ) from None
    places = gazetteer.search(q, countries=countries, limit=limit)
    return PlaceList(items=[ResolvedPlace(query=q, **p.as_dict()) for p in places])

"""Derived casualty figures: low / best / high over the ``group: all`` claims."""

from collections.abc import Iterable
from typing import Any

from app.schemas.vocabulary import CasualtyGroup, Qualifier


def figures(claims: Iterable[dict[str, Any]], kind: str) -> dict[str, int | None]:
    """The rule documented as ``FIGURES_RULE`` in ``app.schemas.event``."""
    values = sorted(
        claim["count"] + (1 if claim["qualifier"] == Qualifier.MORE_THAN else 0)
        for claim in claims
        if claim["kind"] == kind and claim["group"] == CasualtyGroup.ALL
    )
    if not values:
        return {"low": None, "best": None, "high": None}
    return {"low": values[0], "best": values[(len(values) - 1) // 2], "high": values[-1]}

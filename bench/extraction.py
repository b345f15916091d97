"""Precision and recall of report extraction on the team's annotated corpus.

    python -m bench.extraction

Facts are compared per kind: casualty figures (kind, group, count, qualifier), who claimed
them, munitions (type, launched, intercepted), place, date, event type and attribution.
"""

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from app.extract.reader import ReportReader
from app.geo.gazetteer import Gazetteer
from app.geo.names import fold_name

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "extract" / "corpus.json"
KINDS = ("casualty", "claimant", "munition", "place", "date", "event_type", "attribution")


def _key(text: str | None) -> str:
    return fold_name((text or "").removeprefix("the ").removeprefix("The "))


def facts(events: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """The comparable facts of some events (expected or extracted)."""
    found: set[tuple[Any, ...]] = set()
    for event in events:
        location = event.get("location") or {}
        place = _key(event.get("place") or location.get("name"))
        country = event.get("country") or location.get("country")
        found.add(("place", place, country))
        found.add(("date", place, event.get("date") or event.get("occurred_on")))
        found.add(("event_type", place, event["event_type"], event["sub_event_type"]))
        for c in event["casualties"]:
            figure = (
                place,
                c["kind"],
                c.get("group", "all"),
                c["count"],
                c.get("qualifier", "exact"),
            )
            found.add(("casualty", *figure))
            if c.get("claimed_by"):
                found.add(("claimant", *figure, _key(c["claimed_by"])))
        for m in event["munitions"]:
            found.add(("munition", place, m["type"], m.get("launched"), m.get("intercepted")))
        for a in event.get("actors", []):
            found.add(
                ("attribution", place, _key(a["name"]), a["attribution"], _key(a["attributed_by"]))
            )
    return found


def score(reader: ReportReader, *, held_out: bool = False) -> dict[str, dict[str, float]]:
    """Per fact kind: expected, extracted, correct, precision, recall — over the
    development reports, or over the held-out ones (never used to tune the rules)."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    reports = json.loads(CORPUS.read_text(encoding="utf-8"))
    for report in (r for r in reports if r.get("held_out", False) == held_out):
        extracted = reader.read(report["text"], date.fromisoformat(report["published_on"]))
        expected, got = facts(report["events"]), facts(extracted)
        for fact in expected:
            counts[fact[0]]["expected"] += 1
        for fact in got:
            counts[fact[0]]["extracted"] += 1
            counts[fact[0]]["correct"] += fact in expected
    table = {}
    for kind, c in counts.items():
        table[kind] = {
            "expected": c["expected"],
            "extracted": c["extracted"],
            "correct": c["correct"],
            "precision": c["correct"] / c["extracted"] if c["extracted"] else 1.0,
            "recall": c["correct"] / c["expected"] if c["expected"] else 1.0,
        }
    figures = [table["casualty"], table["munition"]]
    correct = sum(t["correct"] for t in figures)
    table["figures"] = {
        "expected": sum(t["expected"] for t in figures),
        "extracted": sum(t["extracted"] for t in figures),
        "correct": correct,
        "precision": correct / max(sum(t["extracted"] for t in figures), 1),
        "recall": correct / max(sum(t["expected"] for t in figures), 1),
    }
    return table


def main() -> None:
    reader = ReportReader(Gazetteer())
    for title, held_out in (("development reports", False), ("held-out reports", True)):
        print(
            f"\n{title}\n{'fact kind':<12} {'expected':>8} {'extracted':>9} {'correct':>7} "
            f"{'precision':>9} {'recall':>7}"
        )
        for kind, row in score(reader, held_out=held_out).items():
            print(
                f"{kind:<12} {row['expected']:>8} {row['extracted']:>9} {row['correct']:>7} "
                f"{row['precision']:>9.1%} {row['recall']:>7.1%}"
            )


if __name__ == "__main__":
    main()

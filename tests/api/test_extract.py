"""``POST /v1/extract``: draft events with evidence from the text of a report."""

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.extract.numbers import NUMBER, parse_number
from app.extract.reader import ReportReader
from app.geo.gazetteer import Gazetteer
from bench.extraction import score

CORPUS = json.loads((Path(__file__).parent.parent / "extract" / "corpus.json").read_text())
ZAPORIZHZHIA = (
    "Nine people were killed, including two children, when a missile struck an "
    "apartment block in Zaporizhzhia on Tuesday, the regional governor said."
)


def test_wire_report_becomes_a_dated_placed_event_with_evidence(client: TestClient) -> None:
    response = client.post(
        "/v1/extract", json={"text": ZAPORIZHZHIA, "published_on": "2024-05-23"}
    )  # a Thursday

    assert response.status_code == 200, response.text
    [event] = response.json()["events"]
    assert event["occurred_on"] == "2024-05-21"
    assert (event["location"]["name"], event["location"]["country"]) == ("Zaporizhzhia", "UA")
    assert event["status"] == "draft"
    assert {
        "kind": "killed",
        "group": "all",
        "count": 9,
        "qualifier": "exact",
        "claimed_by": "the regional governor",
    } in event["casualties"]
    assert {
        "kind": "killed",
        "group": "children",
        "count": 2,
        "qualifier": "exact",
        "claimed_by": "the regional governor",
    } in event["casualties"]
    spans = {(e["field"], ZAPORIZHZHIA[e["start"] : e["end"]]) for e in event["evidence"]}
    assert ("casualties[0]", "Nine people were killed") in spans
    assert ("casualties[1]", "including two children") in spans
    assert ("location", "Zaporizhzhia") in spans
    assert ("occurred_on", "on Tuesday") in spans
    assert all(e["text"] == ZAPORIZHZHIA[e["start"] : e["end"]] for e in event["evidence"])


def test_statements_that_are_not_events_give_no_event(client: TestClient) -> None:
    text = (
        "The foreign ministers of Ukraine and Poland met in Warsaw on Tuesday. "
        "'We will rebuild every city that was shelled,' the minister said."
    )

    response = client.post("/v1/extract", json={"text": text, "published_on": "2025-01-15"})

    assert response.json() == {"events": []}


def test_a_risen_toll_is_read_as_its_latest_figure(client: TestClient) -> None:
    text = (
        "The death toll from Monday's missile strike on Dnipro has risen to 46, "
        "including six children, the regional governor said."
    )

    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert event["occurred_on"] == "2024-07-08"  # "Monday's", read against a Wednesday
    assert [(c["kind"], c["group"], c["count"], c["claimed_by"]) for c in event["casualties"]] == [
        ("killed", "all", 46, "the regional governor"),
        ("killed", "children", 6, "the regional governor"),
    ]


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        (
            "A drone attack on Odesa killed two people and injured a dozen others overnight.",
            [("killed", 2, "exact"), ("injured", 12, "approx")],  # not "a" (one) dozen
        ),
        (
            "Twenty-three people, including a child, were wounded in shelling of Kherson.",
            [("injured", 23, "exact"), ("injured", 1, "exact")],
        ),
        (
            "The number of injured after missiles struck Sumy has climbed to 117.",
            [("injured", 117, "exact")],
        ),
        (
            "Shelling hit Kherson on Monday. The toll rose to 13 on Tuesday.",
            [("killed", 13, "exact")],  # a sentence with a risen toll is read on its own
        ),
        (
            "A missile hit Kramatorsk, killing four people, including a 14-year-old boy.",
            [("killed", 4, "exact"), ("killed", 1, "exact")],
        ),
        (
            "Shells hit Nikopol, killing three people. A teenage girl was among the dead.",
            [("killed", 3, "exact"), ("killed", 1, "exact")],
        ),
        (
            "A strike on Chernihiv killed 18 people, and three others were still missing.",
            [("killed", 18, "exact"), ("missing", 3, "exact")],
        ),
        (
            "A strike on Rafah killed nine people. Dozens more were wounded.",
            [("killed", 9, "exact"), ("injured", 24, "approx")],
        ),
        (
            "At least 70 Palestinians were killed in an Israeli strike on Khan Yunis.",
            [("killed", 70, "at_least")],
        ),
        # one named before "two other people" is one more
        (
            "A Hamas commander and two other people were killed in a strike on Deir al-Balah.",
            [("killed", 3, "exact")],
        ),
        (
            "A senior Hamas commander and at least four others were killed in Khan Yunis.",
            [("killed", 5, "at_least")],
        ),
        # ... but not one with a figure of their own
        (
            "A woman was wounded and two other people were killed when shells hit Kherson.",
            [("injured", 1, "exact"), ("killed", 2, "exact")],
        ),
        # "more" of a kind already counted adds to that count: no figure of its own
        (
            "Shelling killed four people in Kherson. Three more people died in hospital.",
            [("killed", 4, "exact")],
        ),
    ],
)
def test_figures_in_other_wordings(
    client: TestClient, text: str, figures: list[tuple[str, int, str]]
) -> None:
    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert [(c["kind"], c["count"], c["qualifier"]) for c in event["casualties"]] == figures


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        (
            "A strike on Gaza City killed six people, among them an infant and a woman.",
            [("all", 6), ("children", 1), ("women", 1)],
        ),
        (
            "Shelling killed two people in Kherson, including a 35-year-old woman.",
            [("all", 2), ("women", 1)],
        ),
        ("A 16-year-old was killed when a drone hit Sumy.", [("children", 1)]),
        ("Two boys were among those killed when a drone hit Sumy.", [("children", 2)]),
        # "and" carries on a list of groups only: the wounded are no subgroup of the dead
        (
            "A drone hit Sumy, killing two people, including a child, and 14 were wounded.",
            [("all", 2), ("children", 1), ("all", 14)],
        ),
        # a group killed, and another: "killing 15 soldiers and nine civilians"
        (
            "A Russian strike on Kharkiv killed 15 soldiers and nine civilians.",
            [("military", 15), ("civilians", 9)],
        ),
        (
            "A strike on Kharkiv killed 15 soldiers and nine were wounded.",
            [("military", 15), ("all", 9)],
        ),
    ],
)
def test_a_group_named_by_age_or_one_by_one(
    client: TestClient, text: str, groups: list[tuple[str, int]]
) -> None:
    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert [(c["group"], c["count"]) for c in event["casualties"]] == groups


@pytest.mark.parametrize(
    "text",
    [
        "A drone hit Sumy, killing two people, the regional administration said on Friday.",
        "Fighting went on in Sumy, the regional administration said, adding that two people"
        " were killed.",
    ],
)
def test_a_claimant_is_read_before_a_day_or_an_added_clause(client: TestClient, text: str) -> None:
    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert [(c["count"], c["claimed_by"]) for c in event["casualties"]] == [
        (2, "the regional administration")
    ]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        # Hamas is also Hamm (Germany), Wagner a Brazilian town, "Rapid" Rapid City (US).
        ("A Hamas commander was killed in a strike in Gaza City on Monday.", ("Gaza City", "PS")),
        ("Wagner fighters stormed a village near Gao, killing 20 civilians.", ("Gao", "ML")),
        ("The Rapid Support Forces shelled El Fasher, killing 12 people.", ("El Fasher", "SD")),
        ("The Gaza health ministry said a strike on Rafah killed 12 people.", ("Rafah", "PS")),
        # Nor is a sentence's first word ("More" is a place in the gazetteer).
        ("More than 270 people were killed in strikes on Nuseirat.", ("Nuseirat", "PS")),
    ],
)
def test_armed_groups_ministries_and_sentence_openers_are_no_place(
    client: TestClient, text: str, place: tuple[str, str]
) -> None:
    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert (event["location"]["name"], event["location"]["country"]) == place


@pytest.mark.parametrize(
    "text",
    [
        "Soldiers opened fire on protesters in Myitkyina on Sunday, killing six people.",
        "Armed men attacked a village near Mopti on Tuesday, killing 30 civilians.",
    ],
)
def test_shooting_at_people_or_attacking_a_village_is_violence_against_civilians(
    client: TestClient, text: str
) -> None:
    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert event["event_type"] == "Violence against civilians"
    assert event["sub_event_type"] == "Attack"


def test_a_place_with_the_arabic_article_is_read_whole(client: TestClient) -> None:
    text = "An Israeli strike on Deir al-Balah killed five people on Monday."

    response = client.post("/v1/extract", json={"text": text, "published_on": "2024-07-10"})

    [event] = response.json()["events"]
    assert (event["location"]["name"], event["location"]["country"]) == ("Deir al-Balah", "PS")


def test_save_stores_drafts_with_the_source(client: TestClient, writer: dict[str, str]) -> None:
    body = {
        "text": ZAPORIZHZHIA,
        "published_on": "2024-05-23",
        "source": {"name": "Reuters", "kind": "media"},
    }

    saved = client.post("/v1/extract", params={"save": "true"}, json=body, headers=writer)

    assert saved.status_code == 200, saved.text
    event_id = saved.json()["events"][0]["id"]
    stored = client.get(f"/v1/events/{event_id}", headers=writer).json()
    assert stored["status"] == "draft"
    assert stored["sources"][0]["name"] == "Reuters"
    assert client.get(f"/v1/events/{event_id}").status_code == 404  # drafts are not public


def test_save_needs_a_write_key(client: TestClient) -> None:
    response = client.post(
        "/v1/extract",
        params={"save": "true"},
        json={"text": ZAPORIZHZHIA, "published_on": "2024-05-23"},
    )

    assert response.status_code == 401


def test_bad_report_is_422(client: TestClient) -> None:
    response = client.post("/v1/extract", json={"text": "", "published_on": "soon"})

    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} >= {
        ("body", "text"),
        ("body", "published_on"),
    }


@pytest.fixture(scope="module")
def reader() -> ReportReader:
    return ReportReader(Gazetteer())


@pytest.mark.parametrize("report", CORPUS, ids=[r["id"] for r in CORPUS])
def test_every_count_is_written_in_the_report(reader: ReportReader, report: dict[str, Any]) -> None:
    said = {
        parsed[0]
        for m in re.finditer(NUMBER, report["text"], re.I)
        if (parsed := parse_number(m.group()))
    }
    for event in reader.read(report["text"], date.fromisoformat(report["published_on"])):
        counts = [c["count"] for c in event["casualties"]] + [
            n for m in event["munitions"] for n in (m["launched"], m["intercepted"]) if n
        ]
        assert set(counts) <= said


def test_corpus_precision_and_recall_hold_their_floor(reader: ReportReader) -> None:
    development = score(reader)
    everything = [score(reader), score(reader, held_out=True)]

    for kind in ("casualty", "munition", "figures"):
        assert development[kind]["recall"] >= 0.9, (kind, development[kind])
        assert development[kind]["precision"] >= 0.95, (kind, development[kind])
    correct = sum(t["figures"]["correct"] for t in everything)
    assert correct / sum(t["figures"]["expected"] for t in everything) >= 0.9
    assert correct / sum(t["figures"]["extracted"] for t in everything) >= 0.95

"""Rule-based reading of an English news report into draft events with evidence.

Deterministic and offline: regular expressions over sentences, number words, and the
gazetteer for places. Each figure, place, date and attribution carries the character
span of the words it came from; no count is made up (vague words such as "dozens" stand
for a conventional count, marked ``approx``).
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.extract.numbers import NUMBER, parse_number
from app.geo.gazetteer import Gazetteer, Place
from app.geo.names import ARTICLES
from app.schemas.vocabulary import normalise_country

_QUALIFIERS = {
    "at least": "at_least",
    "more than": "more_than",
    "over": "more_than",
    "about": "approx",
    "around": "approx",
    "nearly": "approx",
    "almost": "approx",
    "some": "approx",
    "approximately": "approx",
    "roughly": "approx",
    "up to": "at_most",
    "as many as": "at_most",
}
_QUAL = "|".join(sorted(_QUALIFIERS, key=len, reverse=True))
_GROUPS = {
    "civilians": "civilians",
    "children": "children",
    "child": "children",
    "kids": "children",
    "minors": "children",
    "boys": "children",
    "boy": "children",
    "girls": "children",
    "girl": "children",
    "babies": "children",
    "baby": "children",
    "infants": "children",
    "infant": "children",
    "teenagers": "children",
    "teenager": "children",
    "women": "women",
    "woman": "women",
    "soldiers": "military",
    "servicemen": "military",
    "troops": "military",
    "officers": "military",
    "fighters": "military",
    "people": "all",
    "persons": "all",
    "residents": "all",
    "others": "all",
    "other people": "all",
}
_GROUP_WORDS = "|".join(sorted(_GROUPS, key=len, reverse=True))
# "a 14-year-old girl", "a 16-year-old", "a teenage boy"
_GROUP = rf"(?:\d{{1,2}}-year-olds?(?:\s+(?:{_GROUP_WORDS}))?|(?:teenage\s+)?(?:{_GROUP_WORDS}))"
_AGE = re.compile(r"(\d+)-year-olds?\s*")
_KINDS = {
    "killed": "killed",
    "dead": "killed",
    "died": "killed",
    "killing": "killed",
    "wounded": "injured",
    "injured": "injured",
    "hurt": "injured",
    "wounding": "injured",
    "injuring": "injured",
    "missing": "missing",
    "captured": "captured",
}
_COUNT = rf"(?:(?P<q>{_QUAL})\s+)?(?P<n>{NUMBER})"  # "at least 17", "dozens"
# "five soldiers", "dozens more people" (a figure with "more" may only add to another)
_FIGURE = rf"{_COUNT}\b(?:\s+(?P<more>more))?(?:\s+(?:(?P<other>other)\s+)?(?P<g>{_GROUP}))?"
# "A Hamas commander and" before "two other people were killed": one more than the figure
_ONE_AND = re.compile(
    r"\b(?:an?|one)\s+(?:(?!(?:was|were|is|are|has|had|have|been)\b)[\w-]+\s+){1,3}and\s+$",
    re.I,
)
# "17 people were wounded", "Dozens were hurt", "three soldiers dead", "70 Palestinians were
# killed", "Twenty-three people, including a child, were wounded"
_PASSIVE = re.compile(
    rf"\b{_FIGURE}(?-i:\s+[A-Z][a-z]+(?:ians|ans|is|ese))?"  # a people, capitalised
    r"(?:,\s+(?:including|among them|among whom)\s+[^,]{1,60},)?"
    r"\s+(?:(?:were|was|have been|had been|are|is)\s+)?(?:still\s+)?"
    r"(?P<k>killed|dead|died|wounded|injured|hurt|missing|captured)\b",
    re.I,
)
# "killing at least 52 civilians", "wounding nearly 2,800", "left three soldiers dead"
_ACTIVE = re.compile(
    rf"\b(?P<k>killing|killed|wounding|injuring|wounded|injured)\s+{_FIGURE}", re.I
)
_LEFT_DEAD = re.compile(rf"\bleft\s+{_FIGURE}\s+(?P<k>dead|wounded|injured)\b", re.I)
# "the death toll from Monday's strike has risen to 46", "the number of injured climbed to
# 117": a toll's latest figure, within one clause.
_TOLL = re.compile(
    r"\b(?:(?:death )?toll|number of (?:people )?(?P<k>killed|dead|injured|wounded|missing))\b"
    rf"[^.;,]*?\b(?:risen|rose|climbed|increased|reached|jumped|grown|grew)\s+to\s+{_FIGURE}",
    re.I,
)
# "A teenage girl was among the dead": a group's figure alone
_AMONG = re.compile(
    rf"\b{_COUNT}\s+(?P<g>{_GROUP})\s+(?:was|were)\s+among\s+"
    r"(?:the|those)\s+(?P<k>dead|killed|wounded|injured)\b",
    re.I,
)
# "including two children", "among them an infant and a woman"
_SUBGROUP = re.compile(rf"\b(?:including|among them|among whom|(?P<and>and))\s+{_FIGURE}", re.I)

_WEAPON = (
    r"(?P<w>(?:ballistic |cruise |guided |glide )?missiles?|drones?|rockets?|"
    r"car bombs?|shells?|(?:guided |glide )?bombs?)"
)
_INTERCEPTED_OF = re.compile(
    rf"\b(?:destroyed|shot down|intercepted|downed)\s+(?P<i>{NUMBER})\s+of\s+(?P<n>{NUMBER})"
    rf"\s+{_WEAPON}",
    re.I,
)
_COUNTED_WEAPON = re.compile(rf"\b(?:(?:{_QUAL})\s+)?(?P<n>{NUMBER})\s+{_WEAPON}\b", re.I)
_INTERCEPT_VERB = re.compile(r"\b(?:destroyed|shot down|intercepted|downed)\b", re.I)

# "..., the governor said.", "... said on Friday.", "... said, adding that two were wounded."
_CLAIMANT_TAIL = re.compile(
    r",\s+(?P<c>[^,]{2,80}?)\s+(?:said|says|reported|told [A-Z][\w ]+)"
    r"(?:\s+on\s+[A-Z][a-z]+day)?(?:,\s+adding\s+that\b[^.]*)?\.?\s*$"
)
_CLAIMANT_HEAD = re.compile(r"^(?P<c>[A-Z][^,]{1,60}?)\s+(?:said|says|reported)\b")
_ACCORDING = re.compile(r"\baccording to (?P<c>[^,.;]{2,80})")

_METONYMS = {
    "moscow": "Russia",
    "kyiv": "Ukraine",
    "kiev": "Ukraine",
    "tehran": "Iran",
    "washington": "United States",
    "beijing": "China",
    "jerusalem": "Israel",
}
_ACTOR = r"(?P<a>(?:[Tt]he )?[A-Z][\w'’-]*(?:[ -][A-Z][\w'’-]*|\s+(?:of|for|and)\s+[A-Z][\w'’-]*)*)"
_BLAMED = re.compile(rf"{_ACTOR}\s+blamed\s+(?P<t>(?:the )?[A-Z]?[\w'’-]+(?: [A-Z][\w'’-]+)*)")
_CLAIMED = re.compile(rf"{_ACTOR}\s+(?:has |have )?claimed responsibility")
_DENIED = re.compile(
    rf"{_ACTOR}\s+(?:rebels\s+)?(?:has |have )?denied (?:involvement|responsibility)"
)
_SAID_IT_HAD = re.compile(
    rf"{_ACTOR}(?:'s military)?\s+said it had (?:targeted|carried out|struck|attacked)"
)

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DATE = re.compile(
    r"\b(?:on (?P<wd>" + "|".join(_WEEKDAYS) + r")|(?P<wds>" + "|".join(_WEEKDAYS) + r")['’]s"
    r"|(?P<yd>yesterday)|(?P<on>overnight)"
    r"|(?P<lw>last week)|(?P<td>today|this morning)"
    r"|(?:on )?(?P<d1>\d{1,2}) (?P<m1>" + "|".join(_MONTHS) + r")(?: (?P<y1>\d{4}))?"
    r"|(?:on )?(?P<m2>" + "|".join(_MONTHS) + r") (?P<d2>\d{1,2})(?:, (?P<y2>\d{4}))?)\b",
    re.I,
)

_VIOLENCE = re.compile(
    r"\b(?:kill\w*|dead|died|wound\w*|injur\w*|hurt|struck|strikes?|hit|shell\w*|bomb\w*|"
    r"explo\w*|missiles?|drones?|attack\w*|clash\w*|fighting|stormed|air strike|death toll)\b",
    re.I,
)
_TYPES = [
    (re.compile(r"suicide bomb", re.I), "Explosions/Remote violence", "Suicide bomb"),
    (
        re.compile(r"car bomb|pagers?|explosive|\bIED|landmine|exploded", re.I),
        "Explosions/Remote violence",
        "Remote explosive/landmine/IED",
    ),
    (re.compile(r"clash|fighting|battle", re.I), "Battles", "Armed clash"),
    (
        re.compile(r"air ?strike|jets|drones?|guided bombs|glide bombs", re.I),
        "Explosions/Remote violence",
        "Air/drone strike",
    ),
    (
        re.compile(r"missile|shell|artillery|rocket", re.I),
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
    ),
    (
        re.compile(
            r"stormed|gunmen|militants attacked|massacre|opened fire on"
            r"|attacked (?:an? )?villages?",
            re.I,
        ),
        "Violence against civilians",
        "Attack",
    ),
    (re.compile(r"\bstrike|struck|bomb", re.I), "Explosions/Remote violence", "Air/drone strike"),
]
_DAMAGE = [
    (re.compile(r"apartment|residential|homes?\b|houses?\b", re.I), "residential"),
    (re.compile(r"hotel", re.I), "hotel"),
    (re.compile(r"school", re.I), "school"),
    (re.compile(r"nursery|kindergarten", re.I), "nursery"),
    (re.compile(r"hospital", re.I), "hospital"),
    (re.compile(r"shop|market|supermarket|mall", re.I), "shops"),
    (re.compile(r"energy|power (?:plant|station)|fuel depot", re.I), "energy"),
    (re.compile(r"\bport\b|railway|station|bridge", re.I), "transport"),
    (re.compile(r"mosque|church|synagogue", re.I), "religious"),
    (re.compile(r"displaced|camp", re.I), "humanitarian"),
]
# Capitalised words that are never the place of an event.
_NOT_PLACES = {
    *(w.capitalize() for w in _WEEKDAYS + _MONTHS),
    "Russian",
    "Ukrainian",
    "Israeli",
    "President",
    "Air",
    "Force",
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "Separately",
    "Another",
    "More",
    "Militants",
    "Paramilitary",
    "Two",
    "Shells",
    "Pagers",
    "Guided",
    "Fighting",
    "Shelling",
    "Christmas",
}
# Armed groups and ministries, never the place of an event, though a word of one may name a
# town: Hamas is Hamm (Germany) to the gazetteer, Wagner a town in Brazil, and the "Rapid" of
# the Rapid Support Forces Rapid City (US); "the Gaza health ministry" names no event's place.
_ORGANISATION = re.compile(
    r"\b(?:Hamas|Hezbollah|Houthis?|Wagner|Taliban|Shabaab|Boko Haram|Fatah|Quds"
    r"|(?:[A-Z][\w'’-]+\s+){1,3}(?:Forces|Army|Brigades?|Movement|Front|Guards?|Corps|Militia|Group)"
    r"|[A-Z][\w'’-]+\s+(?:[a-z]+\s+)?[Mm]inistry)\b"
)
# Capitalised words, and the Arabic article between them: "Deir al-Balah", "Deir ez-Zor".
_CANDIDATE = re.compile(rf"\b[A-Z][\w'’-]+(?:\s+(?:(?:{ARTICLES})-)?[A-Z][\w'’-]+){{0,2}}")
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
# Quoted speech: an opening mark after a space, a closing one before a space or punctuation
# (so the apostrophes of "Russia's" and "region's" are no quotes).
_QUOTE = re.compile(r"(?<![\w])(?:'[^']{10,}?'|\"[^\"]{10,}?\"|‘[^’]{10,}?’|“[^”]{10,}?”)(?![\w])")


@dataclass
class _Event:
    place: Place
    place_text: str
    place_span: tuple[int, int]
    preamble: list[tuple[int, str]]  # sentences before the place was named
    sentences: list[tuple[int, str]] = field(default_factory=list)


def _spans(text: str) -> list[tuple[int, str]]:
    """Sentences with their offsets; quoted speech blanked out (it reports no event)."""
    blanked = _QUOTE.sub(lambda m: " " * len(m.group()), text)
    return [(m.start(), m.group()) for m in _SENTENCE.finditer(blanked) if m.group().strip()]


def _evidence(
    start: int, match: re.Match[str], group: int | str, field_name: str
) -> dict[str, Any]:
    begin, end = match.span(group)
    return {
        "start": start + begin,
        "end": start + end,
        "text": match.group(group),
        "field": field_name,
    }


def _claimant(sentence: str) -> tuple[str, re.Match[str]] | None:
    for pattern in (_ACCORDING, _CLAIMANT_TAIL, _CLAIMANT_HEAD):
        if match := pattern.search(sentence.strip()):
            claimant = match.group("c").strip()
            if not re.search(r"\b(?:it|they|he|she)\b$", claimant):
                return claimant, match
    return None


def _actor_name(text: str) -> str:
    text = re.sub(r"^[Tt]he (?=[A-Z])", "", text.strip())
    text = re.sub(r"'s military$|’s military$", "", text)
    return _METONYMS.get(text.lower(), text)


class ReportReader:
    """Reads reports; holds the gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def _places(self, sentence: str) -> list[tuple[Place, str, tuple[int, int]]]:
        found = []
        organisations = [m.span() for m in _ORGANISATION.finditer(sentence)]
        for match in _CANDIDATE.finditer(sentence):
            if any(a < match.end() and match.start() < b for a, b in organisations):
                continue
            words, offset = match.group().split(), match.start()
            while words and words[0] in _NOT_PLACES:  # "In Mykolaiv" -> "Mykolaiv"
                offset = sentence.index(words[1], offset) if len(words) > 1 else offset
                words = words[1:]
            # Longest run of words first: "Gaza City" before "Gaza".
            for size in range(len(words), 0, -1):
                phrase = " ".join(words[:size])
                if phrase.endswith(("'s", "’s")):
                    break
                if parse_number(phrase) is not None or _is_country(phrase):
                    continue
                after = sentence[offset + len(phrase) :]
                before = sentence[:offset]
                if re.match(r"\s+(?:blamed|said|denied|claimed|met)\b", after) or re.search(
                    r"\b(?:blamed|accused)\s+$", before
                ):
                    break
                place = self.gazetteer.resolve(phrase)
                if place is not None and place.population >= 1000:
                    found.append((place, phrase, (offset, offset + len(phrase))))
                    break
        return found

    def read(self, text: str, published_on: date) -> list[dict[str, Any]]:
        """The draft events a report describes, each with its evidence spans."""
        events: list[_Event] = []
        pending: list[tuple[int, str]] = []  # violence before any place: a preamble
        for start, sentence in _spans(text):
            if not (_VIOLENCE.search(sentence) or _TOLL.search(sentence)):
                continue
            places = self._places(sentence)
            if places:
                place, phrase, (begin, end) = places[0]
                current = next((e for e in events if e.place.id == place.id), None)
                if current is None:
                    current = _Event(place, phrase, (start + begin, start + end), pending)
                    pending = []
                    events.append(current)
                current.sentences.append((start, sentence))
            elif events:
                events[-1].sentences.append((start, sentence))
            else:
                pending.append((start, sentence))
        attributions = self._attributions(text)
        results: list[dict[str, Any]] = []
        for event in events:
            # An event with no date of its own happened when the one before it did.
            default = date.fromisoformat(results[-1]["occurred_on"]) if results else published_on
            results.append(self._event(event, published_on, default))
        if results:
            results[0]["actors"], evidence = attributions
            results[0]["evidence"] += evidence
        return results

    def _event(self, event: _Event, published_on: date, default_day: date) -> dict[str, Any]:
        evidence: list[dict[str, Any]] = [
            {
                "start": event.place_span[0],
                "end": event.place_span[1],
                "text": event.place_text,
                "field": "location",
            }
        ]
        occurred_on, precision, dated = default_day, "day", False
        casualties: list[dict[str, Any]] = []
        munitions: dict[str, dict[str, Any]] = {}
        for start, sentence in event.preamble + event.sentences:
            if not dated and (when := _DATE.search(sentence)):
                occurred_on, precision = _resolve_date(when, published_on)
                dated = True
                evidence.append(_evidence(start, when, 0, "occurred_on"))
            claim = _claimant(sentence)
            for figure in self._figures(sentence, start, casualties, evidence):
                if claim:
                    figure["claimed_by"] = claim[0]
            if claim and casualties and any(c.get("claimed_by") == claim[0] for c in casualties):
                evidence.append(_evidence(start, claim[1], "c", "casualties.claimed_by"))
            self._munitions(sentence, start, munitions, evidence)
        blob = " ".join(s for _, s in event.sentences)
        preamble = " ".join(s for _, s in event.preamble)
        event_type, sub_event_type = _event_type(blob, preamble)
        return {
            "title": f"{sub_event_type} in {event.place_text}",
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "occurred_on": occurred_on.isoformat(),
            "date_precision": precision,
            "location": {
                "name": event.place_text,
                "country": event.place.country,
                "admin1": event.place.admin1,
                "latitude": event.place.latitude,
                "longitude": event.place.longitude,
                "precision": "town",
            },
            "casualties": casualties,
            "munitions": list(munitions.values()),
            "damage": [d for pattern, d in _DAMAGE if pattern.search(blob)],
            "actors": [],
            "status": "draft",
            "evidence": evidence,
        }

    def _figures(
        self,
        sentence: str,
        start: int,
        casualties: list[dict[str, Any]],
        evidence: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        found: list[tuple[int, dict[str, Any], re.Match[str]]] = []
        taken: list[tuple[int, int]] = []
        for pattern in (_AMONG, _PASSIVE, _ACTIVE, _LEFT_DEAD, _TOLL):
            for match in pattern.finditer(sentence):
                span = match.span("n")
                if any(a <= span[0] < b for a, b in taken):
                    continue
                parsed = parse_number(match.group("n"))
                if parsed is None:
                    continue
                count, vague = parsed
                others = (
                    match.groupdict().get("other") or (match.group("g") or "").lower() == "others"
                )
                if others and _ONE_AND.search(sentence, 0, match.start()):
                    count += 1
                qualifier = _QUALIFIERS.get(
                    (match.group("q") or "").lower(), "approx" if vague else "exact"
                )
                claim = {
                    "kind": _KINDS[(match.group("k") or "killed").lower()],  # a toll: killed
                    "group": _group(match.group("g")),
                    "count": count,
                    "qualifier": qualifier,
                }
                taken.append(span)
                found.append((span[0], claim, match))
        found.sort(key=lambda item: item[0])
        new: list[dict[str, Any]] = []
        for position, claim, match in found:
            if match.groupdict().get("more") and any(
                c["kind"] == claim["kind"] for c in casualties
            ):
                continue  # "three more died" after a toll adds to it: no count of its own
            new.append(claim)
            evidence.append(_evidence(start, match, 0, f"casualties[{len(casualties)}]"))
            casualties.append(claim)
            rest, after = sentence[position:], None  # where the last subgroup ended
            if match.re is _ACTIVE and claim["group"] != "all":
                after = match.end() - position  # "killing 15 soldiers and nine civilians"
            for sub in _SUBGROUP.finditer(rest):
                if sub.group("and") and (after is None or rest[after : sub.start()].strip(" ,")):
                    continue  # "and a woman" only continues the subgroup just before it
                parsed = parse_number(sub.group("n"))
                group = _group(sub.group("g"))
                nearest = min((p for p, _, _ in found if p > position), default=len(sentence))
                if parsed and group != "all" and position + sub.start() < nearest:
                    after = sub.end()
                    subclaim = {
                        **claim,
                        "group": group,
                        "count": parsed[0],
                        "qualifier": _QUALIFIERS.get((sub.group("q") or "").lower(), "exact"),
                    }
                    evidence.append(
                        {
                            "start": start + position + sub.start(),
                            "end": start + position + sub.end(),
                            "text": sub.group(),
                            "field": f"casualties[{len(casualties)}]",
                        }
                    )
                    casualties.append(subclaim)
                    new.append(subclaim)
        return new

    def _munitions(
        self,
        sentence: str,
        start: int,
        munitions: dict[str, dict[str, Any]],
        evidence: list[dict[str, Any]],
    ) -> None:
        for match in _INTERCEPTED_OF.finditer(sentence):
            launched, intercepted = parse_number(match.group("n")), parse_number(match.group("i"))
            if launched and intercepted:
                kind = _weapon(match.group("w"))
                munitions[kind] = {
                    "type": kind,
                    "launched": launched[0],
                    "intercepted": intercepted[0],
                }
                evidence.append(_evidence(start, match, 0, f"munitions.{kind}"))
        if _INTERCEPTED_OF.search(sentence):
            return
        intercepting = bool(_INTERCEPT_VERB.search(sentence))
        for match in _COUNTED_WEAPON.finditer(sentence):
            parsed = parse_number(match.group("n"))
            if parsed is None or match.group("n").lower() in ("a", "an"):
                continue  # "a missile hit": a mention, not a count
            kind = _weapon(match.group("w"))
            entry = munitions.setdefault(
                kind, {"type": kind, "launched": None, "intercepted": None}
            )
            entry["intercepted" if intercepting else "launched"] = parsed[0]
            evidence.append(_evidence(start, match, 0, f"munitions.{kind}"))

    def _attributions(self, text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        actors: list[dict[str, Any]] = []
        evidence: list[dict[str, Any]] = []
        for start, sentence in _spans(text):
            for pattern, attribution in (
                (_BLAMED, "alleged"),
                (_CLAIMED, "claimed"),
                (_DENIED, "denied"),
                (_SAID_IT_HAD, "claimed"),
            ):
                for match in pattern.finditer(sentence):
                    source = _actor_name(match.group("a"))
                    target = _actor_name(match.group("t")) if attribution == "alleged" else source
                    if match.group("a").lower() in ("no group", "nobody", "no one"):
                        continue
                    actors.append(
                        {
                            "name": target,
                            "role": "perpetrator",
                            "attribution": attribution,
                            "attributed_by": source,
                        }
                    )
                    evidence.append(_evidence(start, match, 0, f"actors[{len(actors) - 1}]"))
        return actors, evidence


def _event_type(own: str, preamble: str) -> tuple[str, str]:
    """By the first weapon or verb pattern the event's own sentences match, in order of
    specificity; failing that, by the weapon the preamble names first."""
    for pattern, event_type, sub_event_type in _TYPES:
        if pattern.search(own):
            return event_type, sub_event_type
    first = sorted((m.start(), t, s) for pattern, t, s in _TYPES if (m := pattern.search(preamble)))
    if first:
        return first[0][1], first[0][2]
    return "Explosions/Remote violence", "Shelling/artillery/missile attack"


def _is_country(name: str) -> bool:
    try:
        normalise_country(name)
    except ValueError:
        return False
    return True


def _group(words: str | None) -> str:
    """The group a figure's words name, "all" if none: anyone under 18 is a child."""
    words = (words or "").lower()
    age = _AGE.match(words)
    if (age and int(age.group(1)) < 18) or words.startswith("teenage "):
        return "children"
    return _GROUPS.get(words[age.end() :] if age else words, "all")


def _weapon(text: str) -> str:
    text = text.lower()
    return text[:-1] if text.endswith("s") else text


def _resolve_date(match: re.Match[str], published_on: date) -> tuple[date, str]:
    """A date phrase read against the publication date."""
    if weekday := match.group("wd") or match.group("wds"):  # "on Monday", "Monday's"
        target = _WEEKDAYS.index(weekday.lower())
        back = (published_on.weekday() - target) % 7
        return published_on - timedelta(days=back or 7), "day"
    if match.group("yd") or match.group("on"):
        return published_on - timedelta(days=1), "day"
    if match.group("lw"):
        return published_on - timedelta(days=7), "week"
    if match.group("td"):
        return published_on, "day"
    day = int(match.group("d1") or match.group("d2"))
    month = _MONTHS.index((match.group("m1") or match.group("m2")).lower()) + 1
    year = int(match.group("y1") or match.group("y2") or published_on.year)
    try:
        found = date(year, month, day)
    except ValueError:
        return published_on, "day"
    if found > published_on and not (match.group("y1") or match.group("y2")):
        found = found.replace(year=found.year - 1)
    return found, "day"

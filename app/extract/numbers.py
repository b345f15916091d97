"""Counts written in digits or English words: "17", "1,200", "eleven", "twenty-four",
"dozens" (about 24), "scores of" (about 40), "a hundred"."""

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000}
# Vague quantities: the count they stand for, always marked ``approx``.
VAGUE = {
    "dozens": 24,
    "a dozen": 12,
    "scores": 40,
    "hundreds": 200,
    "several": 3,
    "a few": 3,
    "dozen": 12,
}

_WORD = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_SCALE = "|".join(SCALES)
_VAGUE = "|".join(sorted(VAGUE, key=len, reverse=True))
# The alternatives, longest first, each a whole word.
_WORDS = rf"(?:{_WORD})(?:[- ](?:{_WORD}))?"
# Vague phrases before words, so that "a dozen" is not read as "a" (one).
NUMBER = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+"
    rf"|(?:{_VAGUE})(?: of)?"
    rf"|(?:{_WORDS}(?: (?:{_SCALE})(?: and {_WORDS})?)?))"
)


def parse_number(text: str) -> tuple[int, bool] | None:
    """The count a number phrase says, and whether it is vague; None if it is no number."""
    phrase = text.strip().lower().removesuffix(" of").strip()
    if phrase in VAGUE:
        return VAGUE[phrase], True
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", phrase):
        return int(phrase.replace(",", "")), False
    total, current = 0, 0
    for word in re.split(r"[- ]+", phrase.replace(" and ", " ")):
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word in SCALES:
            current = max(current, 1) * SCALES[word]
            if SCALES[word] >= 1000:
                total, current = total + current, 0
        else:
            return None
    return total + current, False

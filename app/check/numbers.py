"""Numbers a sentence states, normalised so "3" = "three", "$10M" = "$10 million", "50%" = "half".

Embeddings barely separate "5%" from "50%", yet a changed figure is the commonest way a cited
sentence goes wrong, so figures are compared as values rather than as tokens.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

UNITS = {
    "zero": 0,
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
SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "b": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
# "quarter" and "third" stay out: in this domain they are a planning period and an ordinal.
FRACTIONS = {"half": 0.5, "dozen": 12.0}
# Vague magnitudes ("dozens of", "several hundred"): the values they span.
MAGNITUDES = {
    "dozen": (12.0, 144.0),
    "hundred": (1e2, 1e3),
    "thousand": (1e3, 1e6),
    "million": (1e6, 1e9),
    "billion": (1e9, 1e12),
}
NUMBER_WORDS = frozenset(
    [*UNITS, *TENS, *FRACTIONS, "halved", "halving", "doubled", "doubling", "tripled",
     *MAGNITUDES, *(f"{m}s" for m in MAGNITUDES)]
)
# "one" is left out on purpose: it is far more often a pronoun ("one of the teams") than a count.

_WORD_NUMBER = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_NUMERIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"hundred|thousand|million|billion|trillion|bn|mn|[kmb](?![a-z])"
NUMBER = re.compile(
    rf"(?P<cur>[$€£])?\s?"
    rf"(?P<num>{_NUMERIC}|\b(?:{_WORD_NUMBER})(?:[-\s](?:{_WORD_NUMBER}|one))?\b)"
    rf"(?:\s?(?P<scale>{_SCALE}))?"
    rf"(?:(?:\s?(?:-|–|to)\s?)(?P<num2>{_NUMERIC}))?"
    rf"\s?(?P<pct>%|percent\b|per cent\b|pct\b)?",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"\b(half|dozen)\b(?! of (?:the|a|an|their|its)\b)")
_HALVED = re.compile(r"\b(halved|halving|doubled|doubling|tripled)\b", re.IGNORECASE)
_MAGNITUDE = re.compile(
    r"\b(?:(?:several|a few|few|many|some)\s+(hundred|thousand|million|billion)s?"
    r"|(dozen|hundred|thousand|million|billion)s)\b"
)
_VAGUE_BEFORE = re.compile(r"(?:several|a few|few|many|some|hundreds of|thousands of)\s*$")


@dataclass(frozen=True)
class Quantity:
    """A figure as a value; percentages are fractions so "50%" and "half" compare equal.

    A vague magnitude ("hundreds") is the range [value, upper).
    """

    value: float
    text: str
    upper: float | None = None

    def matches(self, stated: Quantity) -> bool:
        """Whether `stated`, a figure of the evidence, backs this figure of a claim.

        "Hundreds" is backed by "300" or "several hundred", but "300" is not backed by
        "hundreds": the claim would be more precise than its source.
        """
        if stated.upper is not None:
            return self.upper is not None and _close(self.value, stated.value) \
                and _close(self.upper, stated.upper)
        if self.upper is not None:
            return self.value <= stated.value < self.upper
        return _close(self.value, stated.value)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def extract_numbers(text: str) -> tuple[Quantity, ...]:
    """Every figure in `text`, in order. Digits glued to letters (L5, p99, CI3) are not figures."""
    found: list[Quantity] = []
    lowered = text.lower()
    for match in NUMBER.finditer(lowered):
        start, end = match.span("num")
        if _glued(lowered, start, match.end()) or _VAGUE_BEFORE.search(lowered[:start]):
            continue
        value = _value(match.group("num"))
        if value is None:
            continue
        scale = match.group("scale")
        if scale:
            value *= SCALES[scale.lower()]
        values = [value]
        if match.group("num2"):
            second = _value(match.group("num2"))
            if second is not None:
                values.append(second * (SCALES[scale.lower()] if scale else 1))
        percent = match.group("pct") is not None
        for v in values:
            found.append(Quantity(v / 100 if percent else v, match.group(0).strip()))
    for match in _FRACTION.finditer(lowered):
        found.append(Quantity(FRACTIONS[match.group(1)], match.group(0)))
    for match in _MAGNITUDE.finditer(lowered):
        low, high = MAGNITUDES[match.group(1) or match.group(2)]
        found.append(Quantity(low, match.group(0), high))
    for match in _HALVED.finditer(lowered):
        word = match.group(1)
        value = 0.5 if word.startswith("halv") else (2.0 if word.startswith("doubl") else 3.0)
        found.append(Quantity(value, word))
    return tuple(found)


def _glued(text: str, start: int, end: int) -> bool:
    """Digits that are part of a token such as "L5", "p99", "30-60-90"-style codes are skipped."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalpha() and text[start].isdigit():
        return True
    return text[end - 1].isdigit() and after.isalpha() and after not in "kmbx%"


def _value(token: str) -> float | None:
    token = token.lower().replace(",", "")
    try:
        return float(token)
    except ValueError:
        pass
    total = 0.0
    for part in re.split(r"[-\s]+", token):
        if part in UNITS or part == "one":
            total += UNITS.get(part, 1)
        elif part in TENS:
            total += TENS[part]
        else:
            return None
    return total


def missing_numbers(claim: tuple[Quantity, ...], evidence: tuple[Quantity, ...]) -> list[str]:
    """Figures the claim states that the evidence does not (the evidence may say more)."""
    return [q.text for q in claim if not any(q.matches(e) for e in evidence)]

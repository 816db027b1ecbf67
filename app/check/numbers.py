"""Numbers a sentence states, normalised so "3" = "three", "$10M" = "$10 million", "50%" = "half".

Embeddings barely separate "5%" from "50%", yet a changed figure is the commonest way a cited
sentence goes wrong, so figures are compared as values rather than as tokens. Durations carry
their unit ("a week" is not "a month", "two weeks" is "14 days"), fractions are values ("two
thirds" = "two-thirds" = 2/3) and dates compare field by field in any order and at the
granularity the claim states ("June 2019" is backed by "28 June 2019", not the reverse).
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
# Words that multiply (or halve) what they qualify: "halved the queue", "twice a year".
MULTIPLES = ("halved", "halving", "doubled", "doubling", "tripled", "twice", "thrice")
NUMBER_WORDS = frozenset(
    [*UNITS, *TENS, *FRACTIONS, *MULTIPLES, *MAGNITUDES, *(f"{m}s" for m in MAGNITUDES),
     "third", "thirds", "quarters", "fifth", "fifths", "tenth", "tenths", "second", "minute",
     "hour", "day", "week", "fortnight", "month", "year", "decade"]
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
_HALVED = re.compile(rf"\b({'|'.join(MULTIPLES)})\b", re.IGNORECASE)
_MAGNITUDE = re.compile(
    r"\b(?:(?:several|a few|few|many|some)\s+(hundred|thousand|million|billion)s?"
    r"|(dozen|hundred|thousand|million|billion)s)\b"
)
_VAGUE_BEFORE = re.compile(r"(?:several|a few|few|many|some|hundreds of|thousands of)\s*$")


@dataclass(frozen=True)
class Quantity:
    """A figure as a value; percentages are fractions so "50%" and "half" compare equal.

    A vague magnitude ("hundreds") is the range [value, upper). A duration also carries its
    length in `seconds`; a date carries `date` = (year, month, day), any of them None.
    """

    value: float
    text: str
    upper: float | None = None
    seconds: float | None = None
    date: tuple[int | None, int | None, int | None] | None = None

    def matches(self, stated: Quantity) -> bool:
        """Whether `stated`, a figure of the evidence, backs this figure of a claim.

        "Hundreds" is backed by "300" or "several hundred", but "300" is not backed by
        "hundreds": the claim would be more precise than its source.
        """
        if self.date is not None and stated.date is not None:
            return all(mine is None or mine == theirs
                       for mine, theirs in zip(self.date, stated.date, strict=True))  # fmt: skip
        if self.date is not None or stated.date is not None:
            # "2000 engineers" reads as a year too; a bare year and a plain figure can agree.
            return _bare_year(self) == _bare_year(stated) is not None
        if self.seconds is not None and stated.seconds is not None:
            return _close(self.seconds, stated.seconds)
        if stated.upper is not None:
            return self.upper is not None and _close(self.value, stated.value) \
                and _close(self.upper, stated.upper)
        if self.upper is not None:
            return self.value <= stated.value < self.upper
        return _close(self.value, stated.value)


def _bare_year(q: Quantity) -> float | None:
    if q.date is None:
        return q.value if q.upper is None and q.seconds is None else None
    return float(q.date[0]) if q.date[0] is not None and q.date[1:] == (None, None) else None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


SECONDS = {
    "second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400,
    "week": 7 * 86400, "fortnight": 14 * 86400, "month": 30 * 86400, "year": 365 * 86400,
    "yr": 365 * 86400, "decade": 3650 * 86400,
}  # fmt: skip
# "quarter" is left out: "a quarter" is as often a share as a planning period.
_UNIT = re.compile(
    r"[-\s]?(second|sec|minute|min|hour|hr|day|week|fortnight|month|year|yr|decade)s?\b"
)
_ONE_UNIT = re.compile(
    r"\b(?:a|an|one)\s+(second|minute|hour|day|week|fortnight|month|year|decade)\b"
    r"(?P<half>\s+and\s+a\s+half\b)?"
)
# "twice a year", "three hours a week", "once a day": the "a year" is a rate's period, not a
# figure of its own.
_RATE_BEFORE = re.compile(
    r"(?:\b(?:once|twice|thrice|times)|(?:second|minute|hour|day|week|month)s?)\s*$"
)
# "half an hour", "half a day": half of the unit.
_HALF_UNIT = re.compile(r"\bhalf[-\s]+(?:an?\s+)?(second|minute|hour|day|week|month|year)\b")
# Units glued to digits in notes and tables: "~3h", "1.5hrs", "30min".
_GLUED_UNIT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(h|hrs?|mins?)\b")
_GLUED_SECONDS = {"h": 3600, "hr": 3600, "hrs": 3600, "min": 60, "mins": 60}
# "two and a half years" is 2.5 years, not a two and a half.
_AND_A_HALF = re.compile(
    rf"\b({_NUMERIC}|{_WORD_NUMBER})\s+and\s+a\s+half\s+"
    r"(second|minute|hour|day|week|month|year)s?\b"
)
DENOMINATORS = {"third": 3, "thirds": 3, "quarters": 4, "fifth": 5, "fifths": 5, "tenth": 10,
                "tenths": 10}  # fmt: skip
_FRACTION_WORDS = re.compile(
    r"\b(one|a|two|three|four|five|six|seven|eight|nine)[-\s]"
    r"(thirds?|quarters|fifths?|tenths?)\b"
)
# "a fifth of the budget" is a fraction, "a fifth season" an ordinal; "two thirds" is always one.
_PLURAL_PARTS = frozenset({"thirds", "quarters", "fifths", "tenths"})
_FRACTION_OF = re.compile(r"\s+of\b")
_SLASH_FRACTION = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
MONTHS = {
    m: n
    for n, names in enumerate(
        ["jan january", "feb february", "mar march", "apr april", "may", "jun june",
         "jul july", "aug august", "sep sept september", "oct october", "nov november",
         "dec december"], start=1)
    for m in names.split()
}  # fmt: skip
_MONTH = r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>1[5-9]\d\d|20\d\d)"
_DATES = [
    re.compile(r"(?<![\d-])(?P<y>1[5-9]\d\d|20\d\d)-(?P<mn>0[1-9]|1[0-2])(?:-(?P<d>[0-3]\d))?(?![\d-])"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:%|percent))"),
    re.compile(rf"\b{_MONTH},?\s+(?:of\s+)?{_YEAR}\b"),
    re.compile(rf"(?<![\d$€£.,])\b{_YEAR}\b(?![.,]\d|%)"),
]


def extract_dates(text: str) -> list[Quantity]:
    """Dates as (year, month, day) with the fields the text states; a bare year is a date too."""
    return _dates(text)[0]


def _dates(text: str) -> tuple[list[Quantity], list[tuple[int, int]]]:
    lowered = text.lower()
    taken: list[tuple[int, int]] = []
    out: list[Quantity] = []
    for pattern in _DATES:
        for match in pattern.finditer(lowered):
            if any(a <= match.start() < b or a < match.end() <= b for a, b in taken):
                continue
            fields = match.groupdict()
            day = int(fields["d"]) if fields.get("d") else None
            if day is not None and not 1 <= day <= 31:
                continue
            month = MONTHS[fields["m"]] if fields.get("m") else None
            if fields.get("mn"):
                month = int(fields["mn"])
            if month == 5 and fields.get("y") is None and day is None:
                continue  # "may" alone is a verb
            year = int(fields["y"]) if fields.get("y") else None
            taken.append(match.span())
            out.append(Quantity(float(year or 0), match.group(0), date=(year, month, day)))
    return out, taken


def extract_numbers(text: str) -> tuple[Quantity, ...]:
    """Every figure in `text`, in order. Digits glued to letters (L5, p99, CI3) are not figures."""
    found: list[Quantity] = []
    lowered = text.lower()
    dates, spans = _dates(text)
    fractions = [m for m in (*_FRACTION_WORDS.finditer(lowered), *_SLASH_FRACTION.finditer(lowered))
                 if m.group(2) in _PLURAL_PARTS or _FRACTION_OF.match(lowered, m.end())
                 or m.group(1).isdigit()]  # fmt: skip
    spans += [m.span() for m in fractions]
    for match in fractions:
        top, bottom = match.group(1), match.group(2)
        numerator = _value(top) if top not in ("a", "one") else 1.0
        denominator = DENOMINATORS.get(bottom) or float(bottom)
        if numerator is not None and denominator:
            found.append(Quantity(numerator / denominator, match.group(0)))

    def duration(match: re.Match[str], length: float, unit_seconds: float) -> None:
        """A spelled-out length of time; its words are not read again as figures."""
        spans.append(match.span())
        found.append(Quantity(length, match.group(0), seconds=length * unit_seconds))

    for match in _HALF_UNIT.finditer(lowered):
        duration(match, 0.5, SECONDS[match.group(1)])
    for match in _AND_A_HALF.finditer(lowered):
        duration(match, (_value(match.group(1)) or 0.0) + 0.5, SECONDS[match.group(2)])
    for match in _ONE_UNIT.finditer(lowered):
        if _RATE_BEFORE.search(lowered[: match.start()]) or _inside(match.start(), spans):
            continue
        duration(match, 1.5 if match.group("half") else 1.0, SECONDS[match.group(1)])
    for match in _GLUED_UNIT.finditer(lowered):
        duration(match, float(match.group(1)), _GLUED_SECONDS[match.group(2)])
    for match in NUMBER.finditer(lowered):
        start, end = match.span("num")
        if _glued(lowered, start, match.end()) or _VAGUE_BEFORE.search(lowered[:start]):
            continue
        if _inside(start, spans):
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
        unit = None if percent else _UNIT.match(lowered, match.end())
        for v in values:
            seconds = v * SECONDS[unit.group(1)] if unit else None
            found.append(Quantity(v / 100 if percent else v, match.group(0).strip(), None, seconds))
    for match in _FRACTION.finditer(lowered):
        if _inside(match.start(), spans):
            continue
        found.append(Quantity(FRACTIONS[match.group(1)], match.group(0)))
    for match in _MAGNITUDE.finditer(lowered):
        low, high = MAGNITUDES[match.group(1) or match.group(2)]
        found.append(Quantity(low, match.group(0), high))
    for match in _HALVED.finditer(lowered):
        word = match.group(1)
        value = 0.5 if word.startswith("halv") else (
            2.0 if word.startswith(("doubl", "twice")) else 3.0)
        found.append(Quantity(value, word))
    found.extend(dates)
    return tuple(found)


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _glued(text: str, start: int, end: int) -> bool:
    """Digits that are part of a token such as "L5", "p99", "30-60-90"-style codes are skipped."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalpha() and text[start].isdigit():
        return True
    if after == "s" and not text[end + 1 : end + 2].isalpha():
        return False  # "Engineer 4s", "the 1990s"
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
    return [q.text for q in claim if not _backed(q, evidence)]


def _backed(q: Quantity, evidence: tuple[Quantity, ...]) -> bool:
    """Whether the evidence states `q`; a full date may be spread over the evidence, as in
    "on October 6th ... in 1995"."""
    if any(q.matches(e) for e in evidence):
        return True
    if q.date is None or q.date[0] is None or q.date[1] is None:
        return False
    year, month, day = q.date
    undated = Quantity(0.0, q.text, date=(None, month, day))
    return any(e.date is not None and e.date[0] is None and undated.matches(e) for e in evidence) \
        and any(e.date is not None and e.date[0] == year for e in evidence)

"""What a sentence says, reduced to comparable parts: content stems, figures, negations, names.

The checker compares these between a claim and its evidence. Stemming is deliberately crude
(plural/-ing/-ed stripping, then a 6-letter prefix): it only has to make "escalations" meet
"escalating" and "runbooks" meet "runbook", and it must be fast and dependency-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.check.numbers import (
    FRACTIONS,
    MULTIPLES,
    NUMBER_WORDS,
    TENS,
    UNITS,
    Quantity,
    extract_numbers,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    even ever every few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just let like may me might more most much
    must my myself of off on once only or other our ours ourselves out over own per quite
    rather same shall she should so some such than that the their theirs them themselves then
    there these they this those through thus to too under until up upon us very via was we
    were what when where whether which while who whom whose why will with within would yet you
    your yours yourself yourselves get got getting one ones instead really s t
    """
)
NEGATIONS = _words(
    "not no never none nobody nothing neither nor without cannot can't won't don't doesn't didn't "
    "isn't aren't wasn't weren't hasn't haven't hadn't shouldn't wouldn't couldn't n't "
    # Verbs and adverbs that negate what follows: "stopped getting paged" = "no longer paged".
    "stop stops stopped ceased quit rarely seldom hardly barely non"
)
# "un-" words that negate their stem ("unacknowledged" = "not acknowledged"); words that only
# look like it ("under", "unique", "until", "unveil") are left alone.
_NOT_UN_NEGATION = (
    "under", "uni", "unti", "unto", "unle", "unve", "unlea", "unfol", "unloc", "unpac", "undo",
    "unwin", "uncle",
)  # fmt: skip
# Opposites an aligned sentence may swap without any "not": the claim's word, its antonym.
ANTONYMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(pair.split("/"))
    for pair in (
        "increase/decrease", "increased/decreased", "rise/fall", "rose/fell", "grew/shrank",
        "higher/lower", "faster/slower", "larger/smaller", "bigger/smaller", "longer/shorter",
        "early/late", "earlier/later", "accepted/rejected", "accept/reject", "success/failure",
        "succeeded/failed", "gain/loss", "improved/worsened", "improve/worsen", "easier/harder",
        "easy/hard", "allowed/forbidden", "allowed/banned", "first/last", "best/worst",
        "added/removed", "hired/fired", "promoted/demoted", "won/lost", "start/end",
        "started/ended",
        "open/closed", "public/private", "internal/external", "increasing/decreasing",
        "maximum/minimum", "majority/minority",
    )
)
ANTONYM_STEMS = tuple(
    (a, b) for x, y in ANTONYMS for a, b in ((x, y), (y, x))
)
# Past forms that suffix stripping cannot reach; enough to let tense changes still match.
IRREGULAR = dict(
    pair.split(">")
    for pair in _words(
        """
    wrote>write written>write took>take taken>take ran>run made>make knew>know known>know
    saw>see seen>see found>find left>leave built>build spent>spend led>lead grew>grow
    grown>grow fell>fall fallen>fall began>begin begun>begin brought>bring thought>think
    taught>teach chose>choose went>go gone>go came>come gave>give given>give held>hold
    kept>keep felt>feel meant>mean paid>pay sent>send told>tell understood>understand won>win
    drew>draw drawn>draw rose>rise cut>cut put>put hit>hit sold>sell bought>buy caught>catch
    lost>lose met>meet shown>show drove>drive driven>drive
    """
    )
)
# A negation reaches this many tokens to its right, or to the next clause boundary.
NEGATION_REACH = 6
_CLAUSE_STOP = frozenset({",", ";", ":", "but", "and", "while", "because", "so"})
# "not just X", "not only X" assert X (and more); "including but not limited to X" lists X.
_NOT_A_DENIAL = frozenset({"just", "only", "merely", "simply"})
_CONNECTIVES = frozenset({"because", "when", "if", "since", "until"})
_CONTRASTS = (("rather", "than"), ("instead", "of"), ("as", "opposed", "to"))
# "no more than five", "no later than Friday" bound a figure; they deny nothing.
_COMPARATIVES = frozenset({"more", "less", "fewer", "later", "earlier", "sooner", "longer"})

# Organisations that open sentences ("Google engineers ..."); only capitalised uses count, and
# names that are also common words (Square, Block, Slack, Snap) are left out.
KNOWN_NAMES = _words(
    """
    meta facebook google alphabet instagram whatsapp robinhood amazon microsoft netflix stripe
    uber lyft airbnb linkedin twitter shopify spotify dropbox pinterest tiktok bytedance
    nvidia salesforce coinbase portal youtube github gitlab atlassian openai anthropic
    """
)
SENTENCE_OPENERS = _words(
    """
    however therefore afterwards later then meanwhile eventually finally first second third
    overall also instead still today previously additionally moreover similarly together once
    since although though because according within without across during many most several
    another
    """
)
ROLES = {
    "level": frozenset({"junior", "senior", "staff", "principal", "distinguished", "intern"}),
    "people": frozenset(
        {"manager", "director", "vp", "cto", "ceo", "executive", "mentor", "mentee", "founder"}
    ),
}
_LEVEL_CODE = re.compile(r"\b([A-Z]{1,3}\d{1,2})\b")
# Career-ladder prefixes that name the same rung: L5 = IC5 = E5 = EM5 = SDE5 = "level 5".
_LADDER = re.compile(r"^(?:l|ic|e|em|sde|swe)(\d{1,2})$")
# Words that follow a name without being one: "New York City" is "New York".
GENERIC_NAME_WORDS = _words("city inc corp corporation company co ltd llc plc group county")
_LEVEL_WORDS = re.compile(r"\blevel (\d{1,2})\b", re.IGNORECASE)
# Hyphenated words split into parts, so "on-call" meets "on call"; "L4" and "p99" stay whole.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[A-Za-z][A-Za-z0-9'’]*[A-Za-z0-9]|[A-Za-z]|[,;:]")
_CAPITALISED = re.compile(r"^[A-Z][a-zA-Z]*[A-Z0-9]?[a-zA-Z0-9]*$")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Crude, fast stem: lowercase, drop possessives and common suffixes, keep a 6-letter prefix."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    if w in IRREGULAR:
        return IRREGULAR[w][:6]
    for suffix, keep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ings", ""),
        ("ing", ""),
        ("ied", "y"),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
        ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith(("ss", "us", "is")):
            w = w[: len(w) - len(suffix)] + keep
            if suffix in ("ed", "ing") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsfz":
                w = w[:-1]  # stopped -> stop, planned -> plan
            break
    return w[:6]


@dataclass(frozen=True)
class Features:
    """The comparable parts of one sentence, clause or evidence window."""

    text: str
    stems: frozenset[str]
    numbers: tuple[Quantity, ...]
    negation_scopes: tuple[frozenset[str], ...]
    names: frozenset[str]
    levels: frozenset[str]
    roles: frozenset[str]
    # What "rather than", "instead of", "as opposed to" set aside: not asserted, but not denied
    # either ("ahead of X" and "keeps X from" say the same), so these never raise a flag alone.
    contrast_scopes: tuple[frozenset[str], ...] = ()

    @property
    def set_aside(self) -> tuple[frozenset[str], ...]:
        """Every scope this text denies or contrasts away."""
        return (*self.negation_scopes, *self.contrast_scopes)

    @property
    def negated(self) -> frozenset[str]:
        return frozenset().union(*self.set_aside)

    @classmethod
    def merge(cls, parts: list[Features], text: str) -> Features:
        """Features of adjacent texts combined, without re-analysing the joined text."""
        return cls(
            text=text,
            stems=frozenset().union(*(p.stems for p in parts)),
            numbers=tuple(q for p in parts for q in p.numbers),
            negation_scopes=tuple(s for p in parts for s in p.negation_scopes),
            names=frozenset().union(*(p.names for p in parts)),
            levels=frozenset().union(*(p.levels for p in parts)),
            roles=frozenset().union(*(p.roles for p in parts)),
            contrast_scopes=tuple(s for p in parts for s in p.contrast_scopes),
        )


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def un_negated(lowered: str) -> str | None:
    """The word an "un-" prefix negates ("unresolved" -> "resolved"), or None."""
    if len(lowered) >= 7 and lowered.startswith("un") and not lowered.startswith(_NOT_UN_NEGATION):
        return lowered[2:]
    return None


# Figures are compared as values (numbers.py), not as words: "half" must not count as a word the
# source lacks when the source says "50%".
FIGURE_WORDS = frozenset([*UNITS, *TENS, *FRACTIONS, *MULTIPLES, "thirds"])


def content_stems(words: list[str]) -> list[str]:
    """Stems of the content words; an "un-" word contributes the stem of what it negates.

    Number words are left out: the number comparison judges those. Digits stay, since on real
    pages a year or an amount is often the very thing a sentence's support hinges on.
    """
    out = []
    for word in words:
        lowered = word.lower()
        if (
            lowered in STOPWORDS
            or lowered in NEGATIONS
            or lowered in ",;:"
            or lowered.endswith("n't")
            or lowered in FIGURE_WORDS
        ):
            continue
        out.append(stem(un_negated(lowered) or word))
    return out


_ALL_ROLES = frozenset().union(*ROLES.values())
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=8192)
def analyse(text: str) -> Features:
    """Features of `text`; cached because sources recur across answers."""
    words = tokens(text)
    lowered = [w.lower().replace("’", "'") for w in words]
    numeric = _DIGIT.search(text) is not None or not NUMBER_WORDS.isdisjoint(lowered)
    scopes = _negation_scopes(lowered)
    return Features(
        text=text,
        stems=frozenset(content_stems(words)),
        numbers=extract_numbers(text) if numeric else (),
        negation_scopes=tuple(s for s, contrast in scopes if not contrast),
        names=frozenset(_names(words)),
        levels=frozenset(_ladder(m.lower()) for m in _LEVEL_CODE.findall(text))
        | frozenset(f"l{m}" for m in _LEVEL_WORDS.findall(text)),
        roles=_ALL_ROLES.intersection(lowered),
        contrast_scopes=tuple(s for s, contrast in scopes if contrast),
    )


def _ladder(code: str) -> str:
    match = _LADDER.match(code)
    return f"l{match.group(1)}" if match else code


def _negation_scopes(lowered: list[str]) -> list[tuple[frozenset[str], bool]]:
    """Content stems each negation governs ("did not know which team" -> {know, team}), each
    with whether it is only a contrast ("rather than X")."""
    scopes = []
    for i, word in enumerate(lowered):
        if negated := un_negated(word):
            scopes.append((frozenset({stem(negated)}), False))
            continue
        following = lowered[i + 1] if i + 1 < len(lowered) else ""
        contrast = False
        phrase = next((p for p in _CONTRASTS if tuple(lowered[i : i + len(p)]) == p), None)
        if (word, following) == ("no", "longer") and lowered[i + 2 : i + 3] != ["than"]:
            start = i + 2
        elif phrase:
            start, contrast = i + len(phrase), True
        elif word in NEGATIONS or word.endswith("n't"):
            if (following in _NOT_A_DENIAL or lowered[i + 1 : i + 3] == ["limited", "to"]
                    or following in _COMPARATIVES and lowered[i + 2 : i + 3] == ["than"]):
                continue
            start = i + 1
            # "A, not B" sets B against A, as "A rather than B" does ("A, not because B" still
            # denies B).
            contrast = (word == "not" and i > 0 and lowered[i - 1] in ",;:"
                        and following not in _CONNECTIVES)  # fmt: skip
        else:
            continue
        # "not because someone mandated it": the negation reaches past the connective.
        if start < len(lowered) and lowered[start] in _CONNECTIVES:
            start += 1
        scope: list[str] = []
        for follower in lowered[start : start + NEGATION_REACH]:
            if follower in _CLAUSE_STOP:
                break
            scope.append(follower)
        if _denies_the_subject(scope):
            scope += _clause_before(lowered, i)
        stems = frozenset(content_stems(scope))
        if stems:
            scopes.append((stems, contrast))
    return scopes


# "X does not exist", "X is not required": what is denied is the subject before the negation.
_DENIED_SUBJECT = frozenset({"exist", "exists", "required", "needed", "necessary", "allowed"})


def _denies_the_subject(scope: list[str]) -> bool:
    verb = scope[1:2] if scope[:1] == ["be"] else scope[:1]
    return bool(verb) and verb[0] in _DENIED_SUBJECT


def _clause_before(lowered: list[str], i: int) -> list[str]:
    """The words of the clause before position `i`, as far as a negation would reach."""
    before: list[str] = []
    for word in reversed(lowered[max(0, i - NEGATION_REACH) : i]):
        if word in _CLAUSE_STOP:
            break
        before.append(word)
    return before


def _names(words: list[str]) -> list[str]:
    """Proper names: capitalised words not opening the sentence, acronyms, CamelCase, known orgs."""
    names = []
    for i, word in enumerate(words):
        if word in ",;:" or not word[0].isalpha():
            continue
        bare = word[:-2] if word.endswith(("'s", "’s")) else word
        lowered = bare.lower()
        opens = i == 0 or words[i - 1] in (":", ";")
        if lowered in KNOWN_NAMES and bare[0].isupper():
            names.append(lowered)
        elif (
            opens
            or lowered in STOPWORDS
            or lowered in SENTENCE_OPENERS
            or lowered in GENERIC_NAME_WORDS
            or _LEVEL_CODE.match(bare)
        ):
            continue
        elif bare.rstrip("s").isupper():
            continue  # acronyms (SLA, APIs, KPI) are jargon that paraphrases expand, not names
        elif _CAPITALISED.match(bare):
            names.append(lowered)
    return names

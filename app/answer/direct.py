"""The opening of a fact answer: the sentence, list item or table row carrying what is asked.

"How long must you be a member before becoming a reviewer?" is answered by a list item,
"Member for at least 3 months", under a lead-in ("The following apply to ... reviewer
..."); "How many reviewers sponsor a member?" by a table row. Neither is a sentence the
general scorer would keep (a fragment, no full stop), so fact questions get their own
pass over every unit of every pool chunk: a unit must carry the asked type (a figure, a
duration, a name) and share the question's focus words, itself or through its lead-in
and headings. An item brings its lead-in along; a lead-in ending in ":" brings its list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.answer.opener import may_open
from app.answer.quotes import Quote, is_byline, leans_back, sentences
from app.question import QuestionAnalysis, stems_of
from app.retrieve import Hit, named_terms
from app.terms import stem
from app.terms import term_set as _term_set
from ingest.records import Chunk

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
                 r"twenty|thirty|dozen|hundred|thousand|half|twice|once|single")
_FIGURE = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
# An amount of time ("30 minutes", "1.5 hours", "five business days") ...
_AMOUNT_OF_TIME = (
    rf"(?:\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?|\b(?:{_NUMBER_WORDS}|a|an|a few|several)\b)"
    r"\s*[-\s]?(?:business\s+|working\s+|calendar\s+)?(?:m|min|minutes?|hours?|hrs?|days?|"
    r"weeks?|months?|years?|quarters?|sprints?)\b"
)
# ... or a frequency ("once a day", "every week", "Thursdays").
_FREQUENCY = (
    r"\b(?:daily|weekly|bi-weekly|biweekly|monthly|quarterly|yearly|annually|"
    r"every\s+(?:other\s+|few\s+|\d+\s+|two\s+|three\s+)?(?:day|week|month|quarter|year|"
    r"sprint|morning|hour|minute)s?|"
    r"once\s+(?:a|per)\s+\w+|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?)\b"
)
_DURATION = re.compile(f"{_AMOUNT_OF_TIME}|{_FREQUENCY}", re.IGNORECASE)
_LENGTH = re.compile(_AMOUNT_OF_TIME, re.IGNORECASE)
_UNIT = re.compile(r"\b(?:minutes?|hours?|days?|weeks?|months?|years?|quarters?)\b", re.I)
_NAME = re.compile(r"(?<=\w\s)[A-Z][\w’'-]+|\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?\b")
_BULLET_LINE = re.compile(r"(?:^|\n)[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+$")
_MAX_ITEM_WORDS = 60
_ROW = " | "  # a table row in pipe form: "- Member | Active contributor | ..."
# A table row as extraction writes one, each cell under its column header:
# "- Level: L2; Typical years at level: 2-3; Scope: ...".
_KEYED_ROW = re.compile(r"^\s*(?:[-*+]\s+)?[^:;\n]{1,60}: [^;\n]*;\s*[^:;\n]{1,60}: ")
# A sentence pointing at its neighbour: "Expect that this will take ...".
# "That" points back only as the first word: "We strongly recommend that ..." joins a
# clause, it names nothing before it.
_POINTS_BACK = re.compile(r"^(?:that\b|(?:\S+\s+){0,4}(?:this|these|those|it)\b)(?!\s+(?:week|"
                          r"year|month|quarter|is\s+why))", re.IGNORECASE)
# A sentence before a list introduces it when it says so: "..., the following criteria:",
# "The following apply to ...". Any other sentence before an item ("Make sure you
# deliver feedback early.") is a neighbour, not the item's lead-in, and does not open.
_INTRODUCES = re.compile(r":\s*$|\b(?:following|below|include|includes)\b", re.I)
_LIST_ITEMS = 6  # a lead-in ending in ":" brings at most this many of its items
# Weights of the fact score, set by hand on the dev side of eval/datasets/corpus_questions.jsonl:
# the unit's own share of the focus words counts most; its headings and lead-in say which
# list it belongs to ("Reviewer > Requirements" vs "Approver > Requirements").
W_OWN, W_CONTEXT, W_RETRIEVAL = 0.6, 0.25, 0.15
MIN_FACT_SCORE = 0.3
W_LIST_OWN, W_LIST_HEADINGS, W_LIST_ITEMS = 0.4, 0.3, 0.15  # a list question's lead-in
# "How many engineers ...?" is answered by "Two engineers ...", not by "A few weeks ago,
# ... two full days": the figure counts the asked noun.
W_COUNTED = 0.2
_HOW_MANY = re.compile(r"\bhow\s+(many|much)\s+(\w+)", re.IGNORECASE)
_COUNT = re.compile(rf"(?:\d[\d.,]*(?:\s*[-–]\s*\d[\d.,]*)?|\b(?:{_NUMBER_WORDS}|a\s+dozen)\b)"
                    r"\s+(?:\w+\s+){0,2}?(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """A quotable span of a chunk: a sentence, a list item or a table row."""

    chunk: Chunk
    start: int
    end: int
    item: bool

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]

    def quote(self) -> Quote:
        return Quote(self.chunk, self.start, self.end, ((self.start, self.end),))


@dataclass(frozen=True)
class DirectAnswer:
    """The lines that open the answer, in reading order, and how well they fit: a lead-in
    line (not a bullet) and items, or one sentence; each line one or more units."""

    lines: tuple[tuple[bool, tuple[Unit, ...]], ...]  # (is a bullet, units on the line)
    score: float

    @property
    def units(self) -> list[Unit]:
        return [u for _, group in self.lines for u in group]


@lru_cache(maxsize=8192)
def units_of(chunk: Chunk) -> list[Unit]:
    """Every sentence span of the chunk; `item` when a list marker opens its line.
    Memoised like `answer_quotes`: a chunk's text never changes under its id (callers
    must not mutate the list)."""
    text = chunk.text
    out: list[Unit] = []
    for start, end in sentences(chunk):
        line_start = text.rfind("\n", 0, start) + 1
        head = text[line_start:start].strip()
        item = bool(head) and (head in "-*+•" or head.rstrip(".)").isdigit())
        out.append(Unit(chunk, start, end, item))
    return out


def _keyed_row(text: str) -> bool:
    return bool(_KEYED_ROW.match(text))


def _row_cells(text: str) -> list[str]:
    """A row's cells (pipe form) or its column headers (keyed form): what a comparison
    table names."""
    if _keyed_row(text):
        return [cell.split(":", 1)[0] for cell in text.lstrip("-*+ ").split(";")]
    return text.split("|")


def _row_values(text: str) -> str:
    """A keyed row's cell values, without their column names."""
    return " ".join(cell.split(":", 1)[-1] for cell in text.lstrip("-*+ ").split(";"))


def _same_line(units: Sequence[Unit], i: int) -> bool:
    """Unit `i` continues the line (paragraph or item) of unit `i - 1`."""
    return i > 0 and "\n" not in units[i].chunk.text[units[i - 1].end : units[i].start]


def lead_in(units: Sequence[Unit], i: int) -> Unit | None:
    """The sentence introducing the list that item `i` belongs to, in the same chunk: the
    last unit before it that is neither an item nor a later sentence of one. A table row's
    lead-in is the table's header row."""
    if _ROW in units[i].text:
        j = i
        while j > 0 and units[j - 1].item and _ROW in units[j - 1].text:
            j -= 1
        return units[j] if j < i else None
    in_item = [False] * len(units)
    for k, unit in enumerate(units[: i + 1]):
        in_item[k] = unit.item or (_same_line(units, k) and in_item[k - 1])
    for j in range(i - 1, -1, -1):
        if not in_item[j]:
            return units[j] if _quotable(units[j].text) else None
    return None


def list_after(units: Sequence[Unit], i: int) -> list[Unit]:
    """The items directly after unit `i` (its list, when it is a lead-in)."""
    items: list[Unit] = []
    for unit in units[i + 1 :]:
        if not unit.item or len(items) >= _LIST_ITEMS:
            break
        items.append(unit)
    return items


def carries(kind: str, text: str) -> bool:
    """Whether a unit carries the asked type: a figure, a duration (a `length` is one that
    is an amount of time, not a frequency) or a name."""
    if kind == "length":
        return bool(_LENGTH.search(text))
    if kind == "duration":
        return bool(_DURATION.search(text))
    if kind == "number":
        return bool(_FIGURE.search(text))
    if kind == "name":
        return bool(_NAME.search(text))
    return True


def carries_under(kind: str, text: str, header: str = "") -> bool:
    """`carries`, where a table row may take its unit from its header row: "L2 | 2-3"
    under "Level | Typical years at level" carries a duration."""
    if carries(kind, text):
        return True
    if not header or not _FIGURE.search(text):
        return False
    return bool(_UNIT.search(header)) if kind in ("duration", "length") else kind == "number"


def direct_answer(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> DirectAnswer | None:
    """The best unit for a fact question, with what it leans on (the sentence before it,
    the lead-in of its list) or what it announces (the list after a ":"); None below
    MIN_FACT_SCORE."""
    if analysis.kind == "comparison" and analysis.compared:
        return _comparison_table(analysis.compared, hits)
    if not analysis.wants_fact or not analysis.focus:
        return None
    # "How many engineers ...?" is answered by a count of engineers, or a table column of
    # them: "Alert fatigue fell by 50%" carries a figure, and still does not answer it.
    # ("How much ...?" names no countable noun: "by how much did escalations drop?")
    counted, must_count = _counted_noun(analysis.text)
    # "How long should it be?" is answered by "30 minutes", not by "every week".
    asked = "length" if analysis.asks_length else analysis.kind
    best: tuple[float, list[Unit], int] | None = None
    hits = _naming(analysis, hits)
    chunks = list({h.chunk.id: h.chunk for h in hits}.values())
    share = _weighted_overlap(analysis.focus, chunks)
    seen: set[str] = set()
    for hit in hits:
        chunk = hit.chunk
        if chunk.id in seen:
            continue
        seen.add(chunk.id)
        units = units_of(chunk)
        headings = term_set(" ".join([chunk.title, *chunk.heading_path]))
        for i, unit in enumerate(units):
            text = unit.text
            if analysis.kind == "list":
                items = list_after(units, i) if not unit.item else []
                if len(items) < 2 or not _quotable(text):
                    continue
                # Which list: its headings ("Approver > Requirements") say so best.
                value = (W_LIST_OWN * share(term_set(text) | headings)
                         + W_LIST_HEADINGS * share(headings)
                         + W_LIST_ITEMS * share(term_set(" ".join(u.text for u in items)))
                         + W_RETRIEVAL * hit.score)
                if best is None or value > best[0] + 1e-9:
                    best = (value, units, i)
                continue
            keyed = _keyed_row(text)
            # A keyed row's column names count as its header (context), as a header row's
            # do for a pipe row; only its cell values are its own words.
            own = share(term_set(_row_values(text) if keyed else text))
            if own == 0.0 or not _quotable(text) or not may_open(text):  # the cheap test first
                continue
            anchor = i - 1 if _leans(text) and _same_line(units, i) else i
            lead = lead_in(units, anchor) if units[anchor].item else None
            # A table row's header says what its cells are: "L2 | 2-3" under "Level |
            # Typical years at level" is a duration; a keyed row carries its own headers.
            header = (" ".join(_row_cells(text)) if keyed
                      else lead.text if lead is not None and _ROW in text else "")
            if not carries_under(asked, text, header):
                continue
            counts = _counts(text, counted) or _names_column(header, counted)
            if must_count and not counts:
                continue
            context = (headings | (term_set(lead.text) if lead else frozenset())
                       | (term_set(header) if keyed else frozenset()))
            value = (W_OWN * own + W_CONTEXT * share(context)
                     + W_RETRIEVAL * hit.score + W_COUNTED * counts)
            if best is None or value > best[0] + 1e-9:
                best = (value, units, i)
    if best is None or best[0] < MIN_FACT_SCORE:
        return None
    return DirectAnswer(_lines(best[1], best[2]), best[0])


def _naming(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> Sequence[Hit]:
    """The hits whose page names what the question names, when any does.

    "By how much did escalations drop at Robinhood?" is not answered by "Video call drops
    on Portal fell by 5%", however well its words match: a fact about a named company,
    team or person comes from a page that names it (its text, title, headings or URL).
    """
    names = [stems_of(n) for n in analysis.specific if n[:1].isupper()]
    if not names:
        return hits
    naming = [h for h in hits if all(n <= named_terms(h.chunk) for n in names)]
    return naming or hits


def _comparison_table(compared: tuple[str, str], hits: Sequence[Hit]) -> DirectAnswer | None:
    """ "X vs Y" answered by a table comparing them: a header row naming both, and its rows."""
    wanted = [term_set(side) for side in compared]
    for hit in hits:
        units = units_of(hit.chunk)
        for i, unit in enumerate(units):
            keyed = _keyed_row(unit.text)
            cells = [term_set(cell) for cell in _row_cells(unit.text)]
            if not unit.item or not (keyed or _ROW in unit.text) or not all(
                    any(side and side <= cell for cell in cells) for side in wanted):
                continue
            # A keyed row names the columns itself: it is the first row, not a header.
            rows: list[list[Unit]] = [[unit]] if keyed else []
            is_row = _keyed_row if keyed else (lambda text: _ROW in text)
            for j in range(i + 1, len(units)):
                if units[j].item and is_row(units[j].text) and len(rows) < _LIST_ITEMS:
                    rows.append([units[j]])
                elif rows and not units[j].item and _same_line(units, j):
                    rows[-1].append(units[j])  # a cell running on over sentences
                else:
                    break
            if rows:
                head = () if keyed else ((False, (unit,)),)
                lines = (*head, *((True, tuple(row)) for row in rows))
                return DirectAnswer(lines, 1.0)
    return None


def _lines(units: list[Unit], i: int) -> tuple[tuple[bool, tuple[Unit, ...]], ...]:
    """The chosen unit as answer lines: with the sentence it leans on, under its list's
    lead-in (a table's header row, or a sentence introducing the list), or followed by
    the list it introduces."""
    line = [units[i]]
    anchor = i
    if _leans(units[i].text) and _same_line(units, i):
        anchor = i - 1
        line.insert(0, units[anchor])
    if units[anchor].item:
        lead = lead_in(units, anchor)
        if lead is not None and (_ROW in units[anchor].text or _INTRODUCES.search(lead.text)):
            return (False, (lead,)), (True, tuple(line))
        return ((True, tuple(line)),)
    if units[i].text.rstrip().endswith(":") or (list_after(units, i) and not units[i].item
                                               and _announces_list(units, i)):
        return ((False, tuple(line)), *((True, (u,)) for u in list_after(units, i)))
    return ((False, tuple(line)),)


def _weighted_overlap(
    focus: frozenset[str], chunks: Sequence[Chunk]
) -> Callable[[frozenset[str]], float]:
    """Share of the focus words a text holds, each weighted by its rarity among the
    candidate chunks: "deadline" says more than "leadership" in a leadership guide."""
    n = len(chunks)
    held = [_chunk_terms(c) for c in chunks]
    df = {t: sum(t in terms for terms in held) for t in focus}
    weight = {t: math.log(1 + n / (1 + df[t])) for t in focus}
    total = sum(weight.values()) or 1.0

    def share(found: frozenset[str]) -> float:
        return sum(w for t, w in weight.items() if t in found) / total

    return share


@lru_cache(maxsize=65536)
def term_set(text: str) -> frozenset[str]:
    """The analyser's term set, memoised: the same units come back question after question."""
    return _term_set(text)


@lru_cache(maxsize=8192)
def _chunk_terms(chunk: Chunk) -> frozenset[str]:
    return term_set(" ".join([chunk.title, *chunk.heading_path, chunk.text]))


def _counted_noun(question: str) -> tuple[str | None, bool]:
    """The stem of what "how many X" (or "how much X") counts, and whether a count of it
    is required: only "how many" asks for one."""
    match = _HOW_MANY.search(question)
    if match is None:
        return None, False
    return stem(match.group(2).lower()), match.group(1).lower() == "many"


def _counts(text: str, noun: str | None) -> bool:
    """Whether a figure in `text` counts `noun` ("Two engineers", "4-8 hours")."""
    return bool(noun) and any(stem(m.group(1).lower()) == noun for m in _COUNT.finditer(text))


def _names_column(header: str, noun: str | None) -> bool:
    """Whether a table's header row has a column for what "how many X" counts."""
    return bool(header and noun) and noun in {stem(w) for w in re.findall(r"\w+", header.lower())}


def _announces_list(units: Sequence[Unit], i: int) -> bool:
    """A sentence directly followed by a list of 2+ items introduces it."""
    return len(list_after(units, i)) >= 2 and not _same_line(units, i + 1)


def _leans(text: str) -> bool:
    return leans_back(text) or bool(_POINTS_BACK.match(text))


def _quotable(text: str) -> bool:
    """Not a question, a byline or an over-long run-on item."""
    return "?" not in text and not is_byline(text) and len(text.split()) <= _MAX_ITEM_WORDS

"""Sentences of retrieved chunks as exact, quotable spans, and choosing the one that backs a claim.

Spans come from `ingest.chunk.split_sentences`, the splitter the chunker uses, so a
quote is always `chunk.text[start:end]` and its document offset is `chunk.start + start`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.terms import overlap, term_set
from ingest.chunk import split_sentences
from ingest.records import Chunk

# A list marker at the start of a sentence span: "- ", "• ", "4. ", "2) ". Matched with
# `pattern.match(text, start)`, which anchors at `start`; a "^" would only ever match at 0.
_BULLET = re.compile(r"(?:[-*+•]|\d{1,3}[.)])\s+")
_ENDS = re.compile(r"[.!][\"'”’)]*$")
_OPENING_QUOTE = "\"“‘'«"
_META = re.compile(
    r"\bthis (?:piece|article|post|essay|section|guide)\b"
    # Pointers to other pages: "..., read about the Instagram on-call overhaul", "A related
    # program is described in the Robinhood case study", "Compare it with ...".
    r"|\bread\s+(?:more|about)\b|\b(?:is|are)\s+(?:described|featured|covered)\s+in\b"
    r"|\bas\s+(?:described|explained|outlined)\s+in\b"
    r"|\b(?:also\s+)?featured\s+in\b|\bcompare\s+(?:it|this|them)\s+with\b|\bsee\s+the\b",
    re.IGNORECASE,
)
# Openers that lean on the previous sentence: on their own they would be misquoted.
DANGLING = frozenset(
    [
        "this", "that", "these", "those", "it", "its", "they", "them", "their", "he", "she",
        "his", "her", "but", "and", "so", "or", "also", "then", "however", "instead", "both",
        "such", "another", "here", "there", "yet", "still", "thus", "hence", "which", "after",
        "later", "meanwhile", "otherwise", "similarly", "likewise",
    ]
)  # fmt: skip
# Mid-sentence references to something unquoted: "one of them", "a lot of that work",
# "Breadth also suits ...".
_OBJECT_ANAPHORA = re.compile(
    r"\b(?:of|in|on|to|for|with|from|at|by|into|about|like|between|among|across|through|over|"
    r"after|before|than|beyond)\s+(?:it|them|this|that|these|those)\b"
    r"|^(?:\S+\s+){1,3}also\b",
    re.IGNORECASE,
)
_LIST_NEXT = re.compile(r"\s*\n\s*(?:[-*+•]|\d{1,3}[.)])\s|\s+First\b")
_ANNOUNCES = re.compile(
    r"\b(?:two|three|four|five|six|seven|several|a few|following|these|some)\b", re.IGNORECASE
)
# A count of things to come, named: "four things change", "three distinct ways".
_ANNOUNCEMENT = re.compile(
    r"\b(?:two|three|four|five|six|seven|several|a few)\s+(?:\w+\s+)?(?:things|ways|steps|"
    r"reasons|traits|habits|lessons|phases|stages|principles)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d")
# Bylines, bios and site chrome: about the writer or the page, never an answer. "Learn more
# about Dan on his blog", "You can follow her on Twitter", "Thanks to Ana for reviewing
# drafts", "Edit this page on GitHub", "Posted by ...", "All rights reserved".
_BYLINE = re.compile(
    r"\blearn\s+more\s+about\s+\w+|\b(?:on|at)\s+(?:his|her|their)\s+(?:blog|website|site|twitter)\b"
    r"|\b(?:follow|find|reach)\s+(?:him|her|them|me)\s+(?:on|at)\b|\bthanks\s+to\s+\w+.{0,40}\bfor\b"
    r"|^(?:posted|written|published|edited)\s+(?:by|on)\b|\bedit\s+this\s+page\b|\bskip\s+to\b"
    r"|\bback\s+to\s+top\b|\ball\s+rights\s+reserved\b|©|\btable\s+of\s+contents\b"
    r"|^see\b.{0,80}\bfor\s+more\b|\bfor\s+more\s+(?:information|details)\b"
    r"|\bmore\s+(?:information|details)\s+(?:can\s+be|is)\s+found\b"
    r"|\b(?:subscribe|sign\s+up)\s+(?:to|for)\s+(?:our|the|my)\s+(?:newsletter|feed|blog)\b",
    re.IGNORECASE,
)
# Every alternative of _BYLINE holds one of these: a sentence with none cannot match, and
# testing for them first makes the test ~3x cheaper (it is asked of every pool sentence).
_BYLINE_WORDS = ("learn", "site", "blog", "twitter", "follow", "find", "reach", "thanks",
                 "posted", "written", "published", "edit", "skip", "back", "rights", "©",
                 "table", "see", "more", "subscribe", "sign")
MIN_WORDS, MAX_WORDS, MAX_PAIR_WORDS = 3, 40, 50


@dataclass(frozen=True)
class Quote:
    """`chunk.text[start:end]`: one sentence, or a sentence and the one it leans on."""

    chunk: Chunk
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]  # the sentence spans inside, in chunk offsets

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]

    def sentence_texts(self) -> list[str]:
        return [self.chunk.text[s:e] for s, e in self.sentences]


def sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence spans of a chunk, list markers ("- ", "2. ") left outside the span, so a
    quoted list item reads "Build a team early.", not "4. Build a team early."."""
    spans = []
    for start, end in split_sentences(chunk.text):
        bullet = _BULLET.match(chunk.text, start, end)
        if bullet:
            start = bullet.end()
        if start < end:
            spans.append((start, end))
    return spans


def every_quote(chunk: Chunk, min_words: int = 3) -> list[Quote]:
    """Every sentence of the chunk long enough to back a claim (for mapping LLM citations)."""
    return [
        Quote(chunk, s, e, ((s, e),))
        for s, e in sentences(chunk)
        if len(chunk.text[s:e].split()) >= min_words
    ]


# Sized for a whole store of the in-memory index, which the warm-up reads ahead of
# questions (app.answer.scoring.analyse_ahead): ~4.5 kB a chunk with its cues.
@lru_cache(maxsize=32_768)
def answer_quotes(chunk: Chunk) -> list[Quote]:
    """Sentences that can stand in an answer on their own.

    Dropped: fragments, headings, questions, lead-ins to a list or to "First, ...",
    quoted speech, very short or long sentences and sentences about the article
    itself. A sentence that leans on the one before it ("They handed ...", "one of them") is
    joined with that sentence, which says who "they" are. One that cannot be joined is
    dropped, unless its reference is further in and it states a figure ("Teams that
    adopted Cachescope cut their debugging time for this class of issue by 30%."): the
    figure is still right, and the scorer marks the reference down. Memoised: a chunk's
    text never changes under its id, and popular chunks come back question after question
    (callers must not mutate the returned list).
    """
    spans = sentences(chunk)
    text = chunk.text
    out: list[Quote] = []
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        if not _is_statement(sentence) or _is_teaser(sentence, text, end):
            continue
        if not leans_back(sentence):
            out.append(Quote(chunk, start, end, ((start, end),)))
            continue
        if i > 0:
            prev_start, prev_end = spans[i - 1]
            previous = text[prev_start:prev_end]
            joined_words = len(previous.split()) + len(sentence.split())
            same_paragraph = "\n" not in text[prev_end:start]
            if (same_paragraph and joined_words <= MAX_PAIR_WORDS and _is_statement(previous)
                    and not leans_back(previous)):
                out.append(Quote(chunk, prev_start, end, ((prev_start, prev_end), (start, end))))
                continue
        if not opens_with_reference(sentence) and _FIGURE.search(sentence):
            out.append(Quote(chunk, start, end, ((start, end),)))
    return out


_FIRST_PERSON = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|I’d|me|my|mine|we|we’re|we've|our|us)\b")


def is_byline(sentence: str) -> bool:
    """A byline, a bio line or navigation text (see _BYLINE): never a point of an answer."""
    lower = sentence.lower()
    return any(word in lower for word in _BYLINE_WORDS) and bool(_BYLINE.search(sentence))


def _is_teaser(sentence: str, text: str, end: int) -> bool:
    """ "Sponsors help in three distinct ways." before a list or a "First, ...", or "Four
    things change as you move up": it announces points without making one."""
    if _ANNOUNCEMENT.search(sentence) and ":" not in sentence:
        return True
    return bool(_LIST_NEXT.match(text, end)) and bool(_ANNOUNCES.search(sentence))


def _is_statement(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if not _ENDS.search(sentence) or "?" in sentence:
        return False
    first = sentence[0]
    if first in _OPENING_QUOTE or not (first.isupper() or first.isdigit()):
        return False
    # An interviewee's "I" or the author's "we" would read as the answerer speaking.
    return (not _META.search(sentence) and not _FIRST_PERSON.search(sentence)
            and not is_byline(sentence))


@lru_cache(maxsize=50_000)
def leans_back(sentence: str) -> bool:
    """Whether the sentence needs the one before it: a pointing opener ("They handed
    ...") or a reference to something unquoted ("one of them"). Memoised: the scorer
    asks it of every candidate of every answer."""
    return opens_with_reference(sentence) or bool(_OBJECT_ANAPHORA.search(sentence))


@lru_cache(maxsize=50_000)
def opens_with_reference(sentence: str) -> bool:
    """ "They handed ...", "But ...", "This ...": meaningless without the sentence before
    (memoised, as `leans_back`)."""
    first = re.sub(r"[^\w’']", "", sentence.split()[0]).lower()
    return first in DANGLING or bool(re.match(r"^(?:\S+\s+){1,3}also\b", sentence))


def best_quote(
    claim: str,
    claim_vector: np.ndarray,
    quotes: Sequence[Quote],
    vectors: np.ndarray,
) -> tuple[Quote, float] | None:
    """The quote that best backs `claim`: embedding similarity plus shared content words.

    Lexical overlap matters because a number or name in the claim must be in the quote;
    embeddings alone rank a same-topic sentence with a different figure too high.
    """
    if not quotes:
        return None
    claim_terms = term_set(claim)
    best: tuple[Quote, float] | None = None
    for quote, vector in zip(quotes, vectors, strict=True):
        lexical = overlap(claim_terms, term_set(quote.text))
        score = 0.5 * float(vector @ claim_vector) + 0.5 * lexical
        if best is None or score > best[1]:
            best = (quote, score)
    return best

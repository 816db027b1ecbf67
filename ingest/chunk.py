"""Chunking stage: a Document cut into heading-aware, sentence-bounded, overlapping chunks.

A chunk never crosses a heading path, breaks only between sentences, and its text is
exactly `doc.text[start:end]`, so a quote found in a chunk maps back to the article.
Sizes are counted in whitespace-separated words, a cheap stand-in for tokens.

`split_sentences` is our own splitter: llama-index's punkt-based one returns strings
without offsets and splits "e.g." / "U.S." / "Dr." mid-sentence, and the answer
composer and citation checker need offsets they can trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.records import Block, Chunk, Document, chunk_id

# Abbreviations whose period does not end a sentence: always ("Dr. Lee", "vs. Python"),
# or only before a number ("Fig. 3", "No. 5", "Jan. 12"; but "the answer was no. Then").
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev", "gen", "col", "lt",
    "sgt", "capt", "gov", "sen", "rep", "hon", "pres", "e.g", "i.e", "vs", "v", "cf", "approx",
}  # fmt: skip
_NUMBER_ABBREVIATIONS = {
    "fig", "figs", "eq", "eqs", "vol", "vols", "no", "nos", "p", "pp", "ch", "sec", "ver",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
# A terminator run, the closing quotes/brackets that belong to it, then citation markers
# that belong to the same sentence: 'cut drops by 5%.[1]', '"Stop." ', 'fixed it.) [2][3]'.
_TERMINATOR = re.compile(
    r"(?:[.!?]+|…)[\"'”’»)]*(?:[ \t]*\[\d+(?:\s*[-–,]\s*\d+)*\])*"
    r"|\n[ \t]*(?=\n)|\n(?=[ \t]*(?:[-*+•]|\d{1,3}[.)]|#{1,6})[ \t])"
)
_WORD_BEFORE = re.compile(r"(\S+)$")
_DOTTED = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")  # U.S, e.g, Ph.D, a.m
_LIST_NUMBER = re.compile(r"(?:^|\n)[ \t]*\d{1,3}$")
_OPENERS = "\"'“‘«([{"
_CONTINUATIONS = "—–-,;:"
_LOOKBACK = 40  # characters scanned back for the word before a period


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Offsets `(start, end)` of the sentences of `text`, whitespace trimmed.

    Ends a sentence at ., !, ? or an ellipsis followed by whitespace and a word that
    does not start in lower case, except after abbreviations ("e.g.", "Dr.", "U.S.",
    initials); never inside numbers ("3.5", "$10.5M"). Closing quotes and citation
    markers right after the period ("5%.[1]", "5%. [1]") stay with their sentence, as
    do markers before it ("5% [1]."). A blank line ends a sentence, and every list
    line ("- item", "2. item") is a sentence of its own.
    """
    bounds: list[int] = []
    for match in _TERMINATOR.finditer(text):
        end = match.end()
        if match.group().startswith("\n"):
            bounds.append(match.start())
        elif _ends_sentence(text, match.start(), end):
            bounds.append(end)
    spans: list[tuple[int, int]] = []
    start = 0
    for end in [*bounds, len(text)]:
        span = _trim(text, start, end)
        if span:
            spans.append(span)
        start = max(start, end)
    return spans


def _ends_sentence(text: str, start: int, end: int) -> bool:
    """Whether the terminator at text[start:end] closes a sentence."""
    if end < len(text) and not text[end].isspace():
        return False  # "3.5", "U.S.-based", "example.com", "e.g.,"
    after = end
    while after < len(text) and text[after].isspace():
        after += 1
    if after == len(text):
        return True
    if text[start] == "." and _LIST_NUMBER.search(text, max(0, start - _LOOKBACK), start):
        return False  # "2. Second step" at the start of a line is a list marker
    if (
        text[start] == "."
        and not text.startswith("..", start)
        and _is_abbreviation(text, start, before_number=text[after].isdigit())
    ):
        return False
    if "\n" in text[end:after]:
        return True
    following = after
    while following < len(text) and text[following] in _OPENERS:
        following += 1
    if following == len(text):
        return True
    # lower case continues the sentence ("vs. others"), so does a dash ('that.” — a staff
    # engineer'); an upper-case word, a number or a symbol starts a new one.
    return not (text[following].islower() or text[following] in _CONTINUATIONS)


def _is_abbreviation(text: str, period: int, before_number: bool) -> bool:
    match = _WORD_BEFORE.search(text, max(0, period - _LOOKBACK), period)
    if not match:
        return False
    word = match.group(1).lstrip(_OPENERS)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "John F. Kennedy"
    word = word.lower()
    if before_number and word in _NUMBER_ABBREVIATIONS:
        return True
    return word in _ABBREVIATIONS or bool(_DOTTED.fullmatch(word))


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    words: int


def chunk_document(doc: Document, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Cut `doc` into chunks of at most `chunk_size` words, overlapping by whole sentences.

    Each section (run of blocks sharing a heading path) is packed greedily with its
    sentences; the next chunk starts with the previous chunk's trailing sentences
    worth at most `chunk_overlap` words. A sentence longer than `chunk_size` becomes
    a chunk of its own. Linear in the document's length.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError(f"chunk_overlap must be in [0, chunk_size), got {chunk_overlap}")
    spans: list[tuple[int, int, tuple[str, ...]]] = []
    for blocks in _sections(doc.blocks):
        sentences = list(_sentences(doc.text, blocks))
        for first, last in _pack([s.words for s in sentences], chunk_size, chunk_overlap):
            spans.append((sentences[first].start, sentences[last - 1].end, blocks[0].heading_path))
    key = doc.key
    return [
        Chunk(
            id=chunk_id(key, doc.hash, position),
            text=doc.text[start:end],
            url=key,
            title=doc.title,
            heading_path=path,
            position=position,
            start=start,
            end=end,
            doc_hash=doc.hash,
            fetched_at=doc.fetched_at,
            author=doc.author,
            published=doc.published,
        )
        for position, (start, end, path) in enumerate(spans)
    ]


def _sections(blocks: list[Block]) -> Iterator[list[Block]]:
    """Runs of consecutive blocks with the same heading path."""
    section: list[Block] = []
    for block in blocks:
        if section and block.heading_path != section[0].heading_path:
            yield section
            section = []
        section.append(block)
    if section:
        yield section


def _sentences(text: str, blocks: list[Block]) -> Iterator[_Sentence]:
    """Sentences of a section in document offsets; a sentence never crosses a block."""
    for block in blocks:
        for start, end in split_sentences(text[block.start : block.end]):
            s, e = block.start + start, block.start + end
            yield _Sentence(s, e, len(text[s:e].split()))


def _pack(words: list[int], chunk_size: int, chunk_overlap: int) -> Iterator[tuple[int, int]]:
    """Greedy packing of one section's sentences (given their word counts).

    Yields half-open index ranges. The next range starts at the trailing sentences of
    the previous one that fit in `chunk_overlap` words (rounded down to whole
    sentences), never at its first sentence, so every range adds a new sentence.
    """
    begin, count = 0, len(words)
    while begin < count:
        size, end = words[begin], begin + 1
        while end < count and size + words[end] <= chunk_size:
            size += words[end]
            end += 1
        yield begin, end
        if end == count:
            return
        overlap, next_begin = 0, end
        while next_begin - 1 > begin and overlap + words[next_begin - 1] <= chunk_overlap:
            next_begin -= 1
            overlap += words[next_begin]
        while next_begin < end and overlap + words[end] > chunk_size:
            overlap -= words[next_begin]  # the overlap would push the next sentence out
            next_begin += 1
        begin = next_begin

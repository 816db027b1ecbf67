"""Chunks follow sections and sentences, overlap by whole sentences, and map back exactly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.chunk import chunk_document, split_sentences
from ingest.extract import extract
from ingest.records import Block, Chunk, Document, Page

PAGES = Path(__file__).parent / "pages"


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def make_doc(sections: list[tuple[tuple[str, ...], list[str]]], **fields) -> Document:
    """A Document from (heading path, paragraphs) pairs, offsets computed like extract's."""
    blocks: list[Block] = []
    offset = 0
    for path, paragraphs in sections:
        for paragraph in paragraphs:
            if blocks:
                offset += 2
            kind = "list" if paragraph.startswith("- ") else "paragraph"
            blocks.append(Block(kind, paragraph, path, offset, offset + len(paragraph)))
            offset += len(paragraph)
    defaults = {"url": "https://example.com/post", "title": "Title", "fetched_at": "2026-01-01"}
    return Document(
        text="\n\n".join(b.text for b in blocks), blocks=blocks, **{**defaults, **fields}
    )


def prose(count: int, words: int = 10, start: int = 0) -> str:
    """`count` distinct sentences of exactly `words` words each."""
    filler = " ".join(["word"] * (words - 3))
    return " ".join(f"Sentence {start + i} {filler} here." for i in range(count))


def sentence_edges(doc: Document) -> tuple[set[int], set[int]]:
    starts, ends = set(), set()
    for block in doc.blocks:
        for start, end in split_sentences(block.text):
            starts.add(block.start + start)
            ends.add(block.start + end)
    return starts, ends


def words(chunk: Chunk) -> int:
    return len(chunk.text.split())


# --- split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Use a mentor, e.g. a staff engineer. Then ask i.e. directly.",
            ["Use a mentor, e.g. a staff engineer.", "Then ask i.e. directly."],
        ),
        (
            "Dr. Lee joined the U.S. team. She led it.",
            ["Dr. Lee joined the U.S. team.", "She led it."],
        ),
        (
            "Python vs. Go is a false choice. Pick one.",
            ["Python vs. Go is a false choice.", "Pick one."],
        ),
        (
            "Latency fell 3.5x in Q2. Costs fell too.",
            ["Latency fell 3.5x in Q2.", "Costs fell too."],
        ),
        (
            "The fix saved $10M. A year later it saved $10.5M more.",
            ["The fix saved $10M.", "A year later it saved $10.5M more."],
        ),
        (
            "See Fig. 2 and No. 7 first. The answer was no. Move on.",
            [
                "See Fig. 2 and No. 7 first.",
                "The answer was no.",
                "Move on.",
            ],
        ),  # fmt: skip
        ("John F. Kennedy said so. Fine.", ["John F. Kennedy said so.", "Fine."]),
        (
            "I waited... Nothing happened. Then... it did.",
            [
                "I waited...",
                "Nothing happened.",
                "Then... it did.",
            ],
        ),  # fmt: skip
        ('He said "Ship it." Then he left.', ['He said "Ship it."', "Then he left."]),
        ("“Why now?” she asked. Good question!", ["“Why now?” she asked.", "Good question!"]),
        ("(This is aside.) Back to it.", ["(This is aside.)", "Back to it."]),
        (
            "A quote ended.” — a staff engineer at Meta. Next one.",
            ["A quote ended.” — a staff engineer at Meta.", "Next one."],
        ),
        ("Visit example.com. It is free.", ["Visit example.com.", "It is free."]),
        ("In 2023. 2024 was better.", ["In 2023.", "2024 was better."]),
    ],
)
def test_split_sentences_handles_abbreviations_numbers_and_quotes(
    text: str, expected: list[str]
) -> None:
    assert sentences_of(text) == expected


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("They cut drops by 5% [1]. Then it rose.", "They cut drops by 5% [1]."),
        ("They cut drops by 5%.[1] Then it rose.", "They cut drops by 5%.[1]"),
        ("They cut drops by 5%.[1][2] Then it rose.", "They cut drops by 5%.[1][2]"),
        ("They cut drops by 5%. [1] Then it rose.", "They cut drops by 5%. [1]"),
        ("They cut drops by 5% [1][3]. Then it rose.", "They cut drops by 5% [1][3]."),
    ],
)
def test_citation_markers_stay_with_their_sentence(text: str, first: str) -> None:
    assert sentences_of(text) == [first, "Then it rose."]


def test_each_list_line_is_a_sentence() -> None:
    text = "Ask these questions:\n- Who owns it?\n- What broke. Why\n1. First step\n2. Second step"
    assert sentences_of(text) == [
        "Ask these questions:",
        "- Who owns it?",
        "- What broke.",
        "Why",
        "1. First step",
        "2. Second step",
    ]


def test_blank_lines_end_sentences_but_single_newlines_do_not() -> None:
    assert sentences_of("A heading\n\nA paragraph that\nwraps here") == [
        "A heading",
        "A paragraph that\nwraps here",
    ]


def test_sentence_offsets_are_trimmed_and_exact() -> None:
    text = "  First one.   Second one?\n\n  Third!  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one?", "Third!"]
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []
    assert sentences_of("no terminal punctuation") == ["no terminal punctuation"]


# --- chunk_document


@pytest.fixture
def article() -> Document:
    """A real extracted article (h2/h3 sections, lists, an ad between paragraphs)."""
    html = (PAGES / "cluttered_article.html").read_bytes()
    return extract(Page(url="https://careers.example.com/posts/negotiating", body=html))


@pytest.mark.parametrize(("size", "overlap"), [(32, 0), (32, 8), (60, 15), (220, 40)])
def test_chunk_text_is_exactly_the_document_slice(
    article: Document, size: int, overlap: int
) -> None:
    chunks = chunk_document(article, size, overlap)
    assert chunks
    for chunk in chunks:
        assert chunk.text == article.text[chunk.start : chunk.end]


@pytest.mark.parametrize(("size", "overlap"), [(32, 0), (32, 8), (60, 15)])
def test_chunks_break_only_between_sentences(article: Document, size: int, overlap: int) -> None:
    starts, ends = sentence_edges(article)
    for chunk in chunk_document(article, size, overlap):
        assert chunk.start in starts
        assert chunk.end in ends


def test_chunks_never_span_two_sections(article: Document) -> None:
    for chunk in chunk_document(article, 220, 40):
        inside = [b for b in article.blocks if b.start < chunk.end and chunk.start < b.end]
        assert {b.heading_path for b in inside} == {chunk.heading_path}


def test_a_section_chunk_spans_several_paragraphs() -> None:
    doc = make_doc([(("Title",), [prose(2), prose(2, start=2)])])
    [chunk] = chunk_document(doc, 100, 10)
    assert "\n\n" in chunk.text
    assert chunk.text == doc.text


def test_chunks_respect_size_in_words() -> None:
    doc = make_doc([(("Title", "Part"), [prose(40, words=10)])])
    chunks = chunk_document(doc, 35, 0)
    assert [words(c) for c in chunks] == [30] * 13 + [10]


def test_overlap_is_whole_trailing_sentences_within_budget() -> None:
    doc = make_doc([(("Title",), [prose(12, words=10)])])
    chunks = chunk_document(doc, 40, 25)  # 25 words of overlap round down to 2 sentences
    for previous, current in zip(chunks, chunks[1:], strict=False):
        shared = doc.text[current.start : previous.end]
        assert current.start < previous.end
        assert len(shared.split()) == 20
        assert sentences_of(shared) == sentences_of(previous.text)[-2:]
    assert all(words(c) <= 40 for c in chunks)


def test_zero_overlap_chunks_tile_the_section() -> None:
    doc = make_doc([(("Title",), [prose(12, words=10)])])
    chunks = chunk_document(doc, 40, 0)
    assert all(a.end < b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert " ".join(c.text for c in chunks) == doc.text


def test_overlap_does_not_cross_sections() -> None:
    doc = make_doc([(("Title", "A"), [prose(3)]), (("Title", "B"), [prose(3, start=3)])])
    first, second = chunk_document(doc, 100, 30)
    assert (first.heading_path, second.heading_path) == (("Title", "A"), ("Title", "B"))
    assert first.end < second.start


def test_long_sentence_becomes_its_own_chunk() -> None:
    long_sentence = "This " + " ".join(["very"] * 80) + " long sentence never ends."
    doc = make_doc([(("Title",), [f"{prose(2)} {long_sentence} {prose(2, start=2)}"])])
    chunks = chunk_document(doc, 30, 10)
    assert [c.text for c in chunks] == [prose(2), long_sentence, prose(2, start=2)]


def test_every_sentence_lands_in_a_chunk(article: Document) -> None:
    chunks = chunk_document(article, 40, 10)
    starts, ends = sentence_edges(article)
    for start, end in zip(sorted(starts), sorted(ends), strict=True):
        assert any(c.start <= start and end <= c.end for c in chunks)


def test_list_lines_are_chunk_boundaries() -> None:
    items = "\n".join(f"- Item {i} is a short list line" for i in range(6))
    doc = make_doc([(("Title",), [items])])
    chunks = chunk_document(doc, 16, 0)  # 8 words a line
    assert [c.text.count("\n") + 1 for c in chunks] == [2, 2, 2]
    assert all(c.text.startswith("- Item") for c in chunks)


def test_chunk_fields_come_from_the_document(article: Document) -> None:
    chunks = chunk_document(article, 60, 15)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.url == article.key
        assert chunk.title == article.title == "Negotiating a Staff Engineer Offer"
        assert chunk.doc_hash == article.hash
        assert (chunk.author, chunk.published) == ("Jordan Lee", "2025-03-04")
        assert chunk.heading_path[0] == article.title
    assert len({c.id for c in chunks}) == len(chunks)


def test_chunk_url_is_the_document_key() -> None:
    doc = make_doc([(("Title",), [prose(3)])], canonical_url="https://example.com/canonical")
    assert {c.url for c in chunk_document(doc, 100, 10)} == {doc.key}


def test_ids_are_stable_for_the_same_text_and_change_with_it() -> None:
    sections = [(("Title", "A"), [prose(6)]), (("Title", "B"), [prose(6, start=6)])]
    ids = [c.id for c in chunk_document(make_doc(sections), 30, 10)]
    assert ids == [c.id for c in chunk_document(make_doc(sections), 30, 10)]
    edited = [(("Title", "A"), [prose(6) + " One more sentence."]), sections[1]]
    changed = [c.id for c in chunk_document(make_doc(edited), 30, 10)]
    assert not set(ids) & set(changed)


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document(make_doc([]), 100, 10) == []


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, -1), (10, 10), (10, 20)])
def test_invalid_sizes_are_rejected(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_document(make_doc([(("Title",), [prose(3)])]), size, overlap)


def test_chunking_is_linear_in_document_length() -> None:
    def seconds(paragraphs: int) -> float:
        doc = make_doc(
            [(("Title", f"S{i // 20}"), [prose(8, start=i * 8)]) for i in range(paragraphs)]
        )
        began = time.perf_counter()
        chunk_document(doc, 220, 40)
        return time.perf_counter() - began

    small, large = seconds(250), seconds(2500)  # 20k sentences in the large one
    assert large < 2.0
    assert large < 25 * max(small, 1e-3)

"""Extraction keeps the article, drops the page furniture, and locates every block exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import SAMPLE_SITE_DIR
from ingest.errors import ExtractionError
from ingest.extract import extract
from ingest.records import Document, Page

PAGES = Path(__file__).parent / "pages"
EXPECTATIONS: dict[str, dict] = json.loads((PAGES / "expectations.json").read_text("utf-8"))
SAMPLE_PAGES = sorted(
    [
        *(SAMPLE_SITE_DIR / "articles").glob("*.html"),
        *(SAMPLE_SITE_DIR / "case-studies").glob("*.html"),
    ]
)
CLUTTER = ("We use cookies", "Related articles", "Popular posts", "© 2026")


def extract_fixture(name: str) -> Document:
    spec = EXPECTATIONS[name]
    page = Page(
        url=spec["url"],
        body=(PAGES / name).read_bytes(),
        content_type=spec["content_type"],
        fetched_at="2026-01-01T00:00:00Z",
    )
    return extract(page)


def html_page(body: str, head: str = "", url: str = "https://example.com/post") -> Page:
    return Page(url=url, body=f"<html><head>{head}</head><body>{body}</body></html>".encode())


def filler(sentences: int, topic: str = "mentoring") -> str:
    """Article-like prose long enough to pass the minimum-content check."""
    return " ".join(
        f"Sentence {i} explains how {topic} helps engineers grow over time."
        for i in range(sentences)
    )


def block_with(doc: Document, text: str):
    return next(b for b in doc.blocks if text in b.text)


# --- expectations shared with eval/extraction_compare.py


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_article_sentences_are_kept(name: str) -> None:
    doc = extract_fixture(name)
    missing = [s for s in EXPECTATIONS[name]["kept"] if s not in doc.text]
    assert not missing


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_boilerplate_is_dropped(name: str) -> None:
    doc = extract_fixture(name)
    leaked = [s for s in EXPECTATIONS[name]["dropped"] if s in doc.text]
    assert not leaked


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_blocks_carry_their_section_heading_path(name: str) -> None:
    doc = extract_fixture(name)
    for case in EXPECTATIONS[name]["headings"]:
        block = block_with(doc, case["sentence"])
        assert block.heading_path == (doc.title, *case["path"]), case["sentence"]


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_list_items_stay_list_lines(name: str) -> None:
    doc = extract_fixture(name)
    lines = {line for b in doc.blocks if b.kind == "list" for line in b.text.split("\n")}
    assert set(EXPECTATIONS[name]["list_lines"]) <= lines


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_metadata(name: str) -> None:
    doc = extract_fixture(name)
    expected = EXPECTATIONS[name]["metadata"]
    actual = {key: getattr(doc, key) for key in expected}
    assert actual == expected


@pytest.mark.parametrize("name", EXPECTATIONS)
def test_block_offsets_index_the_document_text(name: str) -> None:
    doc = extract_fixture(name)
    assert doc.blocks
    assert doc.text == "\n\n".join(b.text for b in doc.blocks)
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
    assert all(b.heading_path[0] == doc.title for b in doc.blocks)


# --- specific behaviours


def test_ads_inside_the_article_do_not_split_its_paragraphs() -> None:
    doc = extract_fixture("cluttered_article.html")
    before = block_with(doc, "Compensation bands for staff roles are wide")
    after = block_with(doc, "Public salary data helps")
    assert doc.blocks.index(after) == doc.blocks.index(before) + 1
    assert "HireFast" not in doc.text


def test_ordered_and_unordered_lists_are_one_block_each() -> None:
    doc = extract_fixture("cluttered_article.html")
    lists = [b for b in doc.blocks if b.kind == "list"]
    assert [b.text.count("\n") + 1 for b in lists] == [3, 3]
    assert lists[1].text.startswith("1. Restate the problems")


def test_headings_are_paths_not_text() -> None:
    doc = extract_fixture("cluttered_article.html")
    assert "Know the bands before you talk" not in doc.text
    assert all(b.kind != "heading" for b in doc.blocks)


def test_quotes_code_and_tables_keep_their_kind() -> None:
    doc = extract_fixture("jsonld_article.html")
    quote = block_with(doc, "Nobody can reconstruct")
    assert quote.kind == "quote"
    assert quote.text == (
        "The best packets I read were written by people who had been collecting evidence for a"
        " year. Nobody can reconstruct a year of impact in a weekend."
    )
    code = block_with(doc, "retry budget")
    assert code.kind == "code"
    assert code.text.split("\n") == [
        "## 2024-10-04",
        "- Shipped the retry budget (PR #4821)",
        "- Cut on-call pages by 30%",
    ]
    table = block_with(doc, "Led the migration")
    assert table.kind == "table"
    assert "- Claim: Led the migration; Artifact: Design doc and rollout plan" in table.text.split(
        "\n"
    )


def test_whitespace_inside_blocks_is_collapsed() -> None:
    messy = "<p>  Lots   of\n\n   space\u00a0here, <b>bold</b>text. </p>"
    body = f"<article><h1>Spacing</h1>{messy}<p>{filler(6)}</p></article>"
    doc = extract(html_page(body))
    assert doc.blocks[0].text == "Lots of space here, boldtext."


def test_clutter_classes_inside_a_sentence_keep_its_words() -> None:
    sentence = (
        "<p>I wrote about <a class='tag' href='/t/p'>promotions</a> before"
        "<span class='ad'> BUY NOW</span>, and <span class='author'>my manager</span> agreed.</p>"
    )
    doc = extract(html_page(f"<article>{sentence}<p>{filler(6)}</p></article>"))
    assert doc.blocks[0].text == "I wrote about promotions before, and my manager agreed."


def test_unmarked_byline_is_metadata_not_text() -> None:
    body = (
        "<article><h1>Bylines</h1><p>By Jane Doe · 5 min read</p>"
        f"<p>By Friday, the team had shipped the fix.</p><p>{filler(6)}</p></article>"
    )
    doc = extract(html_page(body))
    assert doc.blocks[0].text == "By Friday, the team had shipped the fix."
    assert doc.author == "Jane Doe"


def test_page_without_article_markup_falls_back_to_text_density() -> None:
    doc = extract_fixture("no_semantic_tags.html")
    assert doc.text.startswith("I spent three years as an engineering manager")
    assert doc.text.endswith("rare among individual contributors.")


def test_loose_text_with_line_breaks_becomes_paragraphs() -> None:
    body = (
        "<div class='story'><h1>Old markup</h1>"
        f"First paragraph of loose text. {filler(3)}<br><br>"
        f"Second paragraph after a double break. {filler(3, 'reviewing')}"
        "</div>"
    )
    doc = extract(html_page(body))
    assert [b.text.split(".")[0] for b in doc.blocks] == [
        "First paragraph of loose text",
        "Second paragraph after a double break",
    ]


def test_boilerplate_heading_drops_only_its_own_section() -> None:
    body = (
        "<article><h1>Sections</h1>"
        f"<h2>Growing</h2><p>{filler(4)}</p>"
        "<section><h3>You might also like</h3><p>Ten tips for interviews.</p></section>"
        "<p>This paragraph still belongs to the growing section.</p>"
        "<h2>Comments</h2><p>First! Great article.</p>"
        "</article>"
    )
    doc = extract(html_page(body))
    assert "Ten tips" not in doc.text
    assert "First!" not in doc.text
    kept = block_with(doc, "still belongs")
    assert kept.heading_path == ("Sections", "Growing")


def test_structural_root_is_the_largest_article() -> None:
    body = (
        "<main><article class='teaser'><h2>Other post</h2><p>A short teaser.</p></article>"
        f"<article><h1>Real post</h1><p>{filler(8)}</p></article></main>"
    )
    doc = extract(html_page(body))
    assert "teaser" not in doc.text
    assert doc.title == "Real post"


def test_boilerplate_heading_in_its_own_wrapper_still_drops_its_section() -> None:
    body = (
        "<article><h1>Wrapped</h1>"
        f"<h2>Growing</h2><p>{filler(4)}</p>"
        "<section><div class='title'><h3>Read next</h3></div>"
        "<p>Ten tips for interviews.</p></section>"
        "<p>Back in the growing section.</p></article>"
    )
    doc = extract(html_page(body))
    assert "Ten tips" not in doc.text
    assert block_with(doc, "Back in the growing").heading_path == ("Wrapped", "Growing")


def test_metadata_ignores_comments_sidebars_and_site_logo() -> None:
    body = (
        "<header><h1 class='logo'>Career Blog</h1></header>"
        "<aside><time datetime='2020-01-01'>Jan 1</time></aside>"
        f"<article><h1>The real title</h1><p>{filler(6)}</p>"
        "<div class='comments'><span class='author'>Troll</span>"
        "<time datetime='2021-05-05'>May 5</time><p>First!</p></div>"
        "<p class='byline'>By <span class='author'>Ana Silva</span>"
        " <time datetime='2023-07-09'>July 9</time></p></article>"
    )
    doc = extract(html_page(body))
    assert (doc.title, doc.author, doc.published) == ("The real title", "Ana Silva", "2023-07-09")


def test_title_strips_site_suffix_and_prefers_og_title() -> None:
    page = html_page(
        f"<article><p>{filler(6)}</p></article>", head="<title>Career Moves | Site</title>"
    )
    assert extract(page).title == "Career Moves"
    og = '<meta property="og:title" content="From OG"><title>Other | Site</title>'
    assert extract(html_page(f"<article><p>{filler(6)}</p></article>", head=og)).title == "From OG"


def test_hyphenated_title_keeps_its_words() -> None:
    head = "<title>Self-taught to staff - a long road</title>"
    doc = extract(html_page(f"<article><p>{filler(6)}</p></article>", head=head))
    assert doc.title == "Self-taught to staff - a long road"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            '<meta property="article:published_time" content="2024-02-03T10:00:00+02:00">',
            "2024-02-03",
        ),
        ('<meta name="date" content="February 3, 2024">', "2024-02-03"),
        ('<meta name="date" content="sometime in spring">', "sometime in spring"),
    ],
)
def test_published_date_is_normalized_when_possible(markup: str, expected: str) -> None:
    doc = extract(html_page(f"<article><p>{filler(6)}</p></article>", head=markup))
    assert doc.published == expected


def test_time_element_and_byline_give_date_and_author() -> None:
    body = (
        "<article><h1>Byline</h1>"
        "<p class='byline'>By Ana Silva · <time datetime='2023-07-09'>July 9</time></p>"
        f"<p>{filler(6)}</p></article>"
    )
    doc = extract(html_page(body))
    assert (doc.author, doc.published) == ("Ana Silva", "2023-07-09")
    assert "Ana Silva" not in doc.text


def test_document_keeps_page_fetch_fields() -> None:
    page = Page(
        url="https://example.com/p",
        body=f"<article><p>{filler(6)}</p></article>".encode(),
        etag='"abc"',
        last_modified="Tue, 01 Jul 2025 10:00:00 GMT",
        fetched_at="2026-01-02T03:04:05Z",
    )
    doc = extract(page)
    assert (doc.etag, doc.last_modified, doc.fetched_at) == (
        '"abc"',
        "Tue, 01 Jul 2025 10:00:00 GMT",
        "2026-01-02T03:04:05Z",
    )
    assert doc.key == "https://example.com/p"


def test_declared_encoding_is_honoured() -> None:
    text = f"Café résumé naïve. {filler(6)}"
    page = Page(
        url="https://example.com/p",
        body=f"<html><body><article><p>{text}</p></article></body></html>".encode(
            "latin-1", "replace"
        ),
        content_type="text/html; charset=iso-8859-1",
    )
    assert extract(page).text.startswith("Café résumé naïve.")


def test_page_without_meaningful_text_raises_no_content() -> None:
    page = Page(url="https://careers.example.com/missing", body=(PAGES / "stub.html").read_bytes())
    with pytest.raises(ExtractionError) as raised:
        extract(page)
    assert raised.value.reason == "no_content"


def test_empty_body_raises_no_content() -> None:
    with pytest.raises(ExtractionError) as raised:
        extract(Page(url="https://example.com/empty", body=b""))
    assert raised.value.reason == "no_content"


def test_markdown_front_matter_and_structure() -> None:
    doc = extract_fixture("career_notes.md")
    assert block_with(doc, "def first_month").kind == "code"
    assert not any("title:" in b.text for b in doc.blocks)


# --- the bundled sample site


@pytest.mark.skipif(not SAMPLE_PAGES, reason="sample site not generated yet")
@pytest.mark.parametrize("path", SAMPLE_PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_site_pages_extract_without_clutter(path: Path) -> None:
    url = f"https://fieldnotes.example/{path.parent.name}/{path.name}"
    doc = extract(Page(url=url, body=path.read_bytes()))
    leaked = [phrase for phrase in CLUTTER if phrase in doc.text]
    assert not leaked
    assert len(doc.text.split()) > 300
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


def test_extraction_comparison_scores_our_extractor_perfectly_on_the_clutter_pages() -> None:
    from eval.extraction_compare import fixture_golds, run_careerqa, score

    result = score(run_careerqa, fixture_golds())
    assert result.misses == []
    assert result.hits["sentences kept"][1] > 0


def test_extraction_comparison_scores_our_extractor_perfectly_on_the_template_pages() -> None:
    from eval.extraction_compare import fixture_golds, run_careerqa, score

    golds = fixture_golds("patterns")
    assert len(golds) == 3
    assert score(run_careerqa, golds).misses == []

"""Real site templates keep their text and lose their markup: one test per template pattern.

The pages in tests/pages/ are written by us and reproduce what real career sites do
(see tests/pages/expectations.json for the sentences each must keep and drop).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.extraction_report import ARTIFACTS
from ingest.chunk import chunk_document, split_sentences
from ingest.extract import extract
from ingest.records import Document, Page

PAGES = Path(__file__).parent / "pages"
PATTERN_PAGES = [
    "competency_level.html",
    "mkdocs_material.html",
    "interview.html",
    "handbook_liquid.md",
    "kramdown_attributes.md",
    "footnotes.md",
    "admonitions.md",
    "raw_html_lists.md",
    "interview.md",
    "framework_front_matter.md",
    "level_tables.md",
    "2024-04-02-spring_planning-notes.md",
]


def page(name: str, url: str | None = None) -> Document:
    path = PAGES / name
    content_type = "text/html" if path.suffix == ".html" else "text/markdown"
    return extract(
        Page(url=url or path.resolve().as_uri(), body=path.read_bytes(), content_type=content_type)
    )


def markdown(source: str, url: str = "https://example.com/notes/page.md") -> Document:
    return extract(Page(url=url, body=source.encode(), content_type="text/markdown"))


def filler(sentences: int) -> str:
    return " ".join(f"Sentence {i} says how reviews help a team learn." for i in range(sentences))


@pytest.mark.parametrize("name", PATTERN_PAGES)
def test_no_markup_artifact_is_left_in_prose_or_headings(name: str) -> None:
    doc = page(name)
    prose = [b.text for b in doc.blocks if b.kind != "code"]
    prose += [h for b in doc.blocks for h in b.heading_path]
    left = {label: p.findall(t) for label, p in ARTIFACTS.items() for t in prose if p.findall(t)}
    assert left == {}


@pytest.mark.parametrize("name", PATTERN_PAGES)
def test_title_is_never_a_url(name: str) -> None:
    assert not re.match(r"^[a-z]+://", page(name).title)


def test_lead_paragraph_stays_next_to_the_competency_table() -> None:
    doc = page("competency_level.html")
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["paragraph", "paragraph", "table"]
    assert doc.blocks[0].text.startswith("Senior Engineer 2 (S2) engineers are expected")


def test_table_rows_name_their_columns() -> None:
    table = next(b for b in page("level_tables.md").blocks if b.kind == "table")
    assert table.text.split("\n") == [
        "- Level: L1; Title: Associate Engineer; Years at level: 1.5-2",
        "- Level: L2; Title: Engineer; Years at level: 2-3",
        "- Level: L3; Title: Senior Engineer; Years at level: 3 or more",
    ]


def test_html_table_without_th_takes_its_first_row_of_labels_as_header() -> None:
    source = (
        f"# Ladder\n\n{filler(5)}\n\n<table><tr><td>Level</td><td>Scope</td></tr>"
        "<tr><td>Senior</td><td>Owns a service end to end.</td></tr></table>\n"
    )
    table = next(b for b in markdown(source).blocks if b.kind == "table")
    assert table.text == "- Level: Senior; Scope: Owns a service end to end."


def test_list_cells_of_a_wide_row_become_one_line_per_column() -> None:
    items = "".join(
        f"<li>Criterion {i} describes what this level is expected to do well</li>" for i in range(3)
    )
    source = (
        f"# Matrix\n\n{filler(5)}\n\n<table><thead><tr><th>Area</th><th>Engineer</th>"
        f"<th>Senior</th></tr></thead><tbody><tr><td>Impact</td><td><ul>{items}</ul></td>"
        f"<td><ul>{items}</ul></td></tr></tbody></table>\n"
    )
    lines = next(b for b in markdown(source).blocks if b.kind == "table").text.split("\n")
    assert [line.split(";")[0:2] for line in lines] == [
        [
            "- Area: Impact",
            " Engineer: Criterion 0 describes what this level is expected to do well",
        ],
        ["- Area: Impact", " Senior: Criterion 0 describes what this level is expected to do well"],
    ]


def test_footnotes_are_blocks_of_their_own_and_leave_no_marker_in_sentences() -> None:
    doc = page("footnotes.md")
    notes = [b for b in doc.blocks if b.kind == "footnote"]
    assert [b.heading_path[1:] for b in notes] == [("Notes",), ("Notes",)]
    assert (
        notes[0].text
        == "Holidays are the exception: cancel rather than squeeze a meeting into a day off."
    )
    body = doc.blocks[0].text
    sentences = [body[s:e] for s, e in split_sentences(body)]
    assert sentences[0].endswith("stops happening at all.")
    for chunk in chunk_document(doc, 220, 40):
        assert not re.search(r"\[\^?\w+\]", chunk.text)


def test_html_footnote_references_are_removed_from_their_sentence() -> None:
    body = (
        "<article><h1>Notes</h1>"
        '<p>Keep the meeting weekly<sup id="fnref:1">'
        f'<a href="#fn:1" class="footnote">1</a></sup>. {filler(5)}</p>'
        '<div class="footnotes"><ol><li id="fn:1"><p>Skip it on holidays.'
        ' <a href="#fnref:1" class="reversefootnote">&#8617;</a></p></li></ol></div></article>'
    )
    doc = extract(
        Page(url="https://example.com/p", body=f"<html><body>{body}</body></html>".encode())
    )
    assert doc.blocks[0].text.startswith("Keep the meeting weekly. Sentence 0")
    assert doc.blocks[-1].kind == "footnote"
    assert doc.blocks[-1].text == "Skip it on holidays."


def test_admonition_keeps_its_text_and_a_title_that_says_something() -> None:
    doc = page("admonitions.md")
    texts = [b.text for b in doc.blocks]
    assert "Record the pager state" in texts
    assert "Warning" not in texts


def test_template_tags_go_but_code_examples_keep_them() -> None:
    doc = page("handbook_liquid.md")
    code = next(b for b in doc.blocks if b.kind == "code")
    assert "{{ user.name }}" in code.text
    assert "{%" not in doc.text.replace(code.text, "")


def test_link_whose_target_was_a_template_tag_keeps_its_text() -> None:
    doc = page("handbook_liquid.md")
    assert "described on the benefits page." in doc.text


def test_raw_html_split_by_blank_lines_is_still_parsed_as_html() -> None:
    doc = page("raw_html_lists.md")
    assert all(b.kind != "code" for b in doc.blocks)
    assert all("<li>" not in b.text for b in doc.blocks)


def test_html_written_in_markdown_is_content_even_in_an_aside() -> None:
    doc = page("raw_html_lists.md")
    assert "learning to leave the interesting tickets to others" in doc.text


@pytest.mark.parametrize("name", ["interview.md", "interview.html"])
def test_interview_questions_head_their_answers_and_the_note_is_metadata(name: str) -> None:
    doc = page(name)
    questions = [b.heading_path[-1] for b in doc.blocks if b.heading_path[-1].endswith("?")]
    assert len(set(questions)) == 3
    assert not any(b.text.startswith(("A:", "Q:")) for b in doc.blocks)
    assert len(doc.notes) == 1 and "recorded in" in doc.notes[0]
    assert "recorded in" not in doc.text


def test_a_bold_sentence_is_emphasis_not_a_heading() -> None:
    doc = markdown(
        f"# Reviews\n\n**Never merge your own change without a review.**\n\n{filler(6)}\n"
    )
    assert doc.blocks[0].text == "Never merge your own change without a review."
    assert doc.blocks[1].heading_path == ("Reviews",)


def test_framework_in_front_matter_is_body_under_its_field_names() -> None:
    doc = page("framework_front_matter.md")
    paths = {b.heading_path[1:] for b in doc.blocks}
    assert ("Delivery", "Level 1", "Criteria") in paths
    assert ("Mentoring", "Level 3", "Criteria") in paths


def test_frameworks_sharing_a_preamble_are_not_duplicates() -> None:
    first, second = page("framework_front_matter.md"), page("framework_front_matter_other.md")
    assert first.hash != second.hash
    assert "Documents the meaning of every column" in second.text


def test_settings_in_front_matter_stay_out_of_the_body() -> None:
    source = (
        "---\ntitle: Reviews\nredirect_from:\n  - /a/\n  - /b/\nquestions:\n  - help-desk\n"
        "tags: [review, culture]\n---\n\n" + filler(6)
    )
    doc = markdown(source)
    assert doc.text == filler(6)


def test_a_sub_navigation_in_front_matter_is_not_body_text() -> None:
    # 18F pages list their sections as `subnav:` links; they read "Text: ...; Href: ..." as text.
    items = "".join(f"  - text: Why section {i} matters to reviewers\n    href: \"#s{i}\"\n"
                    for i in range(6))
    doc = markdown(f"---\ntitle: Reviews\nsubnav:\n{items}---\n\n{filler(6)}")
    assert doc.text == filler(6)


def test_an_italic_line_under_the_title_is_a_note_not_a_point() -> None:
    doc = markdown(f"_A friendly guide to reviews, for our whole team._\n\n## Why\n\n{filler(6)}")
    assert doc.notes == ("A friendly guide to reviews, for our whole team.",)
    assert doc.text == filler(6)
    # Emphasis inside a sentence, or an italic paragraph after the first, is text.
    doc = markdown(f"{filler(6)}\n\n_Reviews are where a team learns most of what it knows._")
    assert doc.notes == () and "where a team learns" in doc.text
    doc = markdown(f"Reviews are _where_ a team learns.\n\n{filler(6)}")
    assert doc.text.startswith("Reviews are where a team learns.")


@pytest.mark.parametrize(
    ("url", "source", "title"),
    [
        ("file:///docs/review/index.md", f"## Introduction\n\n{filler(6)}", "Introduction"),
        ("file:///docs/review/index.md", filler(6), "Review"),
        ("file:///blog/2019-03-04-on-call_reviews.md", filler(6), "On call reviews"),
        (
            "file:///rfcs/a.md",
            f"---\nname: Incident reviews\nabout: x\n---\n\n{filler(6)}",
            "Incident reviews",
        ),
    ],
)
def test_markdown_title_falls_back_to_heading_then_file_name(
    url: str, source: str, title: str
) -> None:
    assert markdown(source, url=url).title == title


def test_html_title_is_the_heading_the_title_tag_names_not_an_in_body_h1() -> None:
    html = (
        "<html><head><title>How we run support - Example Engineering</title></head><body>"
        "<h1>How we run support</h1><article><h1>Motivation</h1>"
        f"<p>{filler(6)}</p></article></body></html>"
    )
    doc = extract(Page(url="https://example.com/blog/support/", body=html.encode()))
    assert doc.title == "How we run support"


def test_html_without_headings_is_titled_by_its_title_tag_or_its_file_name() -> None:
    head = "<title>Working agreements | Team Playbook</title>"
    body = f"<html><head>{head}</head><body><p>{filler(6)}</p></body></html>"
    assert (
        extract(Page(url="https://example.com/a/", body=body.encode())).title
        == "Working agreements"
    )
    bare = f"<html><body><p>{filler(6)}</p></body></html>"
    doc = extract(
        Page(url="https://example.com/guides/working-agreements.html", body=bare.encode())
    )
    assert doc.title == "Working agreements"


def test_markdown_list_of_page_links_is_content_but_a_table_of_contents_is_not() -> None:
    source = (
        "# Plays\n\n<!-- START doctoc -->\n- [Why](#why)\n- [How](#how)\n- [Next](#next)\n"
        "<!-- END doctoc -->\n\n"
        f"{filler(5)}\n\n"
        '- [Play 1: Learn the team]({% page "/plays/1/" %})\n'
        '- [Play 2: Ask questions]({% page "/plays/2/" %})\n'
        '- [Play 3: Delegate]({% page "/plays/3/" %})\n'
    )
    lists = [b.text for b in markdown(source).blocks if b.kind == "list"]
    assert lists == ["- Play 1: Learn the team\n- Play 2: Ask questions\n- Play 3: Delegate"]


def test_a_docs_page_date_line_goes_but_an_update_note_stays() -> None:
    body = (
        f"<article><h1>Agreements</h1><p>Update: we now review agreements every quarter.</p>"
        f"<p>{filler(6)}</p><div class='md-source-file'><small>Last update: <span>August 26,"
        " 2024</span></small></div></article>"
    )
    doc = extract(
        Page(url="https://example.com/a/", body=f"<html><body>{body}</body></html>".encode())
    )
    assert doc.blocks[0].text == "Update: we now review agreements every quarter."
    assert "August 26" not in doc.text


def test_a_markdown_section_titled_comments_is_content() -> None:
    question = "Did the author explain why the code exists?"
    source = f"# Review\n\n{filler(5)}\n\n## Comments\n\n{question}\n"
    doc = markdown(source)
    assert doc.blocks[-1].text == "Did the author explain why the code exists?"
    assert doc.blocks[-1].heading_path == ("Review", "Comments")


def test_a_site_heading_beside_the_content_does_not_pull_its_neighbours_in() -> None:
    body = (
        "<div class='wrap'><div class='top'><h1>Field Notes</h1></div>"
        f"<div class='post'><p>{filler(8)}</p><p>{filler(8)}</p></div>"
        "<div class='elsewhere'><p>Photos by the author.</p>"
        "<ul><li><a href='/a'>Older posts</a></li><li><a href='/b'>Archive</a></li></ul>"
        "</div></div>"
    )
    doc = extract(
        Page(url="https://example.com/p", body=f"<html><body>{body}</body></html>".encode())
    )
    assert "Photos by the author" not in doc.text
    assert doc.text == f"{filler(8)}\n\n{filler(8)}"


def test_template_syntax_in_an_inline_code_span_is_kept() -> None:
    line = "Write `{{ user.name }}` to greet the reader {% raw %}by name."
    source = f"# Templates\n\n{line}\n\n{filler(6)}"
    doc = markdown(source)
    assert doc.blocks[0].text == "Write {{ user.name }} to greet the reader by name."

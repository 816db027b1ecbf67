"""Answers that answer the question: selection, coverage, follow-ups and numbering.

A small handbook written for these tests (tests/pages/answers: an incident-command page
with a criteria list, a levels page with a table, an interview with its questions and a
byline, a pager-review page with a pointer to a list and a length beside a frequency, a
page defining two terms in two ways, three one-trait articles on on-call work) is ingested
into a real Chroma store with the real model, and asked through the
real service and checker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.answer.quotes import is_byline
from app.check import CitationChecker
from app.condense import RuleCondenser
from app.models import AskRequest, AskResponse, ChatTurn
from app.question import analyse
from app.service import AskService
from tests.conftest import ingested

PAGES = Path(__file__).parent / "pages" / "answers"
BASE = "https://handbook.example/"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, embedder) -> AskService:
    from ingest.sources import LocalPath
    from ingest.store import ChromaStore

    settings = ingested(tmp_path_factory.mktemp("handbook") / "data", embedder,
                        [LocalPath(PAGES, base_url=BASE)])
    return AskService(settings, ChromaStore.from_settings(settings), embedder,
                      CitationChecker.from_settings(settings, embedder))


def _ask(service: AskService, question: str, history: list[ChatTurn] | None = None
         ) -> AskResponse:
    return service.ask(AskRequest(question=question, history=history or []))


def _first_lines(answer: str, n: int = 2) -> str:
    return "\n".join(line for line in answer.splitlines() if line.strip())[:600] if n else ""


def test_fact_in_a_list_is_answered_with_its_lead_in(handbook):
    response = _ask(handbook, "How many major incidents must you shadow before you can be "
                              "an incident commander?")
    lines = [line for line in response.answer.splitlines() if line.strip()]
    # The lead-in alone ("... the following criteria:") would stop before the answer.
    assert lines[0].startswith("To join the incident commander rotation")
    assert lines[1].startswith("- Shadowed at least three major incidents")
    assert response.relevance and response.relevance.answers_question
    assert response.citation_check["passed"]


def test_fact_in_a_table_row_is_answered_by_the_row(handbook):
    response = _ask(handbook, "How many years do engineers usually spend at L2?")
    bullets = [line for line in response.answer.splitlines() if line.startswith("- ")]
    # Extraction writes each row under its column headers, so the row says what 2-3 counts.
    assert bullets and "Level: L2; Typical years at level: 2-3" in bullets[0]
    assert "L1" not in bullets[0]
    assert response.relevance and response.relevance.answers_question


def test_interviewer_questions_and_bylines_are_never_quoted(handbook):
    for question in ("How long after reaching Principal did Priya Raman become Senior "
                     "Principal?", "How does Priya Raman approach mentoring?"):
        response = _ask(handbook, question)
        quotes = [c.quote for c in response.citations]
        quotes += [q.quote for c in response.citations for q in c.quotes]
        assert quotes, question
        assert not any("?" in q for q in quotes), quotes
        assert not any("Learn more" in q for q in quotes), quotes
        assert "Learn more about Priya" not in response.answer
    assert "four years" in _ask(handbook, "How long after reaching Principal did Priya Raman "
                                          "become Senior Principal?").answer.split("\n")[0]


def test_follow_up_is_condensed_into_a_real_question(handbook):
    history = [ChatTurn(role="user", content="What does an incident commander do during a "
                                             "major incident?"),
               ChatTurn(role="assistant", content="The commander assigns each open question "
                                                  "to one person [1].")]
    response = _ask(handbook, "How often do they post status updates?", history)
    assert response.question == "How often do they post status updates?"
    standalone = response.standalone_question
    assert standalone and standalone.endswith("?") and "(" not in standalone
    assert "incident commander" in standalone and standalone.startswith("How often do")
    assert analyse(standalone).kind == "duration"
    assert "thirty minutes" in response.answer
    # The rules alone give the same real question.
    assert RuleCondenser().condense("How often do they post status updates?", history) == (
        standalone)


def test_career_adjacent_question_outside_the_sources_is_refused(handbook):
    for question in ("What is the average salary of an incident commander in Berlin?",
                     "How do I get an H-1B visa to work as an incident commander?"):
        response = _ask(handbook, question)
        assert response.covered is False, question
        assert response.citations == []
        assert response.relevance and not response.relevance.answers_question


def test_partly_covered_question_answers_the_covered_part_and_names_the_rest(handbook):
    response = _ask(handbook, "How often does the incident commander post status updates, "
                              "and what is the salary of an incident commander in Berlin?")
    assert response.covered == "partial"
    assert response.uncovered and "Berlin" in response.uncovered[0]
    assert "thirty minutes" in response.answer
    assert response.answer.rstrip().endswith(f"My sources don't cover {response.uncovered[0]}.")
    assert all("Berlin" not in c.quote for c in response.citations)


def test_sources_are_numbered_by_article_with_a_quote_per_sentence(handbook):
    response = _ask(handbook, "What does an incident commander do during a major incident?")
    urls = [c.url for c in response.citations]
    assert len(urls) == len(set(urls))  # one number per article
    assert [c.id for c in response.citations] == list(range(1, len(urls) + 1))
    markers = {int(m) for m in MARKER.findall(response.answer)}
    assert markers == {c.id for c in response.citations}
    texts = {path.name: path for path in PAGES.iterdir()}
    by_id = {c.id: c for c in response.citations}
    shared = [s for s in response.sentences if s.citations == [1]]
    assert len(shared) >= 2  # several sentences cite the first article under one number
    for sentence in response.sentences:
        assert sentence.quotes, sentence.text
        for quote in sentence.quotes:
            citation = by_id[quote.citation]
            assert quote.quote in [q.quote for q in citation.quotes]
            assert quote.end - quote.start == len(quote.quote)
            assert quote.quote.split()[0] in sentence.text
    assert len({q.quote for s in shared for q in s.quotes}) >= 2  # each keeps its own quote
    assert all(name.endswith(".md") for name in texts)


def _answer_sections(answer: str) -> dict[str, list[str]]:
    """Section heading -> its bullets."""
    sections: dict[str, list[str]] = {}
    heading = None
    for line in answer.splitlines():
        if line.startswith("### "):
            heading = line[4:]
            sections[heading] = []
        elif line.startswith("- ") and heading is not None:
            sections[heading].append(line)
    return sections


def _opening(answer: str) -> str:
    return next(line for line in answer.splitlines() if line.strip())


def test_trait_answer_has_no_one_bullet_section(handbook):
    # Three articles each argue one trait, in one strong sentence and a few weaker ones.
    response = _ask(handbook, "What do great on-call engineers do?")
    assert response.answer.startswith("Here is what the sources say")
    sections = _answer_sections(response.answer)
    assert len(sections) >= 2, response.answer
    assert all(len(bullets) >= 2 for bullets in sections.values()), response.answer
    cited = {c.url.rsplit("/", 1)[-1] for c in response.citations}
    assert len(cited & {"oncall-notes.md", "oncall-help.md", "oncall-alerts.md"}) >= 2, cited


def test_definition_question_opens_with_the_definition(handbook):
    # A sentence whose subject is the asked term, though a scene-setting sentence names
    # decision records first.
    record = _ask(handbook, "What is a decision record?")
    assert _opening(record.answer).startswith("A decision record is a one-page note"), (
        record.answer)
    # A heading naming the term over the list of what it is.
    spike = _ask(handbook, "What is a design spike?")
    lines = [line for line in spike.answer.splitlines() if line.strip()]
    assert lines[0] == "### Design spikes", spike.answer
    assert lines[1].startswith("- Are short, time-boxed investigations"), spike.answer
    assert spike.citation_check["passed"]


def test_a_cross_reference_never_opens_an_answer(handbook):
    response = _ask(handbook, "How is the pager handed over at the end of a shift?")
    opening = _opening(response.answer)
    assert "listed below" not in opening, response.answer
    # The steps themselves answer, and the pointer to them is not quoted at all.
    assert "incoming engineer" in opening, response.answer
    quotes = [q.quote for c in response.citations for q in c.quotes]
    assert quotes and not any("listed below" in q for q in quotes), quotes


def test_follow_up_opens_with_the_asked_quantity(handbook):
    history = [ChatTurn(role="user", content="What does the weekly pager review cover?"),
               ChatTurn(role="assistant", content="Every page the team received [1].")]
    response = _ask(handbook, "How long does it take?", history)
    assert "pager review" in (response.standalone_question or "")
    # "every Monday" is when it happens; the question asks how long it lasts.
    assert "twenty minutes" in _opening(response.answer), response.answer
    assert response.relevance and response.relevance.answers_question


@pytest.mark.parametrize("line", [
    "Learn more about Dan on his blog.", "Follow her on Mastodon.", "Posted by Kim on May 1.",
    "Thanks to Ana and Bo for reading drafts.", "Edit this page on GitHub", "Back to top",
    "Skip to main content", "All Rights Reserved.", "© 2024 Acme", "Table of Contents",
    "See the guide for more.", "For more information, ask HR.", "You can read it on their WEBSITE.",
    "More details can be found in the wiki.", "SIGN UP FOR OUR NEWSLETTER today.",
])
def test_bylines_and_navigation_lines_are_recognised_in_any_case(line):
    assert is_byline(line)


@pytest.mark.parametrize("line", [
    "Staff engineers write the design documents that set a team's direction.",
    "Reviewers should answer within one business day.",
])
def test_ordinary_statements_are_not_bylines(line):
    assert not is_byline(line)

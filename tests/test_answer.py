"""Extractive answers and the orchestrating service, on the real sample store and checker."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from app.answer.draft import Draft, DraftCitation
from app.answer.extractive import ExtractiveAnswerer, trait_name
from app.answer.lead import question_topic
from app.answer.quotes import DANGLING, Quote
from app.answer.vectors import QuoteVectors
from app.check import CitationChecker
from app.condense import RuleCondenser, is_follow_up
from app.fragments import text_fragment_url
from app.models import AskRequest, AskResponse, ChatTurn, Filters
from app.retrieve import HybridRetriever
from app.service import AskService
from app.settings import Settings
from ingest.records import Chunk
from tests.corpus_fixture import SAMPLE_BASE_URL, sample_documents_by_url

STAFF = "What do great staff engineers do?"
KNOWN_ANSWERS = {
    "How did the Portal team reduce video call drops?":
        "case-studies/portal-video-calling-reliability.html",
    "What is the difference between mentoring and sponsorship?":
        "articles/mentoring-and-sponsorship.html",
    "How did an engineer save $10M in cloud costs?":
        "case-studies/ten-million-dollar-debugging.html",
}
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="session")
def service(sample_store, embedder) -> AskService:
    settings = Settings(_env_file=None)
    checker = CitationChecker.from_settings(settings, embedder)
    return AskService(settings, sample_store, embedder, checker)


@pytest.fixture(scope="session")
def staff_answer(service) -> AskResponse:
    return service.ask(AskRequest(question=STAFF))


@pytest.fixture(scope="session")
def documents():
    return sample_documents_by_url()


def _bullets(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("- ")]


# --- the extractive answer reads as an answer ------------------------------------------------


def test_staff_answer_has_a_lead_line_and_a_few_short_trait_sections(staff_answer):
    lines = staff_answer.answer.splitlines()
    assert lines[0] == "Here is what the sources say about what great staff engineers do:"
    headings = [line for line in lines if line.startswith("### ")]
    assert 2 <= len(headings) <= 4
    assert len(set(headings)) == len(headings)
    bullets = _bullets(staff_answer.answer)
    assert 3 <= len(bullets) <= 9
    assert all(MARKER.search(b) and b.rstrip().endswith("]") for b in bullets)


def test_staff_answer_repeats_no_point_and_quotes_no_fragment(staff_answer):
    quotes = [c.quote for c in staff_answer.citations]
    assert len(set(quotes)) == len(quotes)
    for quote in quotes:
        first = re.sub(r"[^\w’']", "", quote.split()[0]).lower()
        assert first not in DANGLING, quote
        assert quote[0].isupper() and quote.rstrip("”’\"')")[-1] in ".!"
        assert "?" not in quote
        assert not re.search(r"\b(I|my|we|our)\b", quote), quote


def test_staff_answer_passes_its_citation_check(staff_answer):
    check = staff_answer.citation_check
    assert check["passed"] and check["recall"] == 1.0 and check["precision"] == 1.0
    assert all(s.supported for s in staff_answer.sentences)
    assert staff_answer.mode == "extractive" and not staff_answer.degraded


def test_citations_are_numbered_by_first_use_and_all_cited(staff_answer):
    used = [int(n) for n in MARKER.findall(staff_answer.answer)]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(first_use) + 1))
    assert [c.id for c in staff_answer.citations] == first_use


@pytest.mark.parametrize("question", [STAFF, *KNOWN_ANSWERS])
def test_every_quote_is_verbatim_in_its_chunk_and_at_its_document_offsets(
    service, documents, question
):
    response = service.ask(AskRequest(question=question))
    assert response.citations
    for c in response.citations:
        doc = documents[c.url]
        assert doc.text[c.start : c.end] == c.quote
        assert c.end - c.start == c.chunk_end - c.chunk_start
        assert c.fragment_url.startswith(c.url + "#:~:text=")
        assert 0 <= c.score <= 1 and c.content_hash and c.chunk_id


@pytest.mark.parametrize(("question", "page"), KNOWN_ANSWERS.items())
def test_known_answers_cite_the_right_article(service, question, page):
    response = service.ask(AskRequest(question=question))
    assert response.covered
    assert SAMPLE_BASE_URL + page in {c.url for c in response.citations}
    assert response.citation_check["passed"], response.citation_check


def test_answerer_embeds_all_candidate_sentences_in_one_call(sample_store, embedder):
    calls: list[int] = []

    class CountingEmbedder:
        name, dim = embedder.name, embedder.dim

        def embed(self, texts: list[str]):
            calls.append(len(texts))
            return embedder.embed(texts)

    retrieval = HybridRetriever(sample_store, embedder, Settings(_env_file=None)).retrieve(STAFF)
    draft = ExtractiveAnswerer(CountingEmbedder()).answer(retrieval)
    assert len(calls) == 1 and calls[0] > 10
    assert draft.citations


def test_trait_names_skip_story_headings():
    def chunk(*path: str) -> Chunk:
        return Chunk(id="x", text="t", url="u", title=path[0], heading_path=path, position=0,
                     start=0, end=1, doc_hash="h", fetched_at="")

    assert trait_name(chunk("Owning Outcomes", "Close the loop")) == "Close the loop"
    assert trait_name(chunk("Portal", "What the engineer did",
                            "Step 2: Build automated detection")) == "Build automated detection"
    assert trait_name(chunk("How a Staff Engineer Cut Drops", "The result")) == (
        "How a Staff Engineer Cut Drops"
    )


def test_lead_topics_read_naturally():
    assert question_topic("What do great staff engineers do?") == "what great staff engineers do"
    assert question_topic("How did the Portal team reduce video call drops?") == (
        "how the Portal team reduced video call drops"
    )
    assert question_topic("What is the difference between mentoring and sponsorship?") == (
        "the difference between mentoring and sponsorship"
    )


# --- the service ------------------------------------------------------------------------------


def test_out_of_scope_question_gets_a_clear_no_and_no_citations(service):
    response = service.ask(AskRequest(question="What is a good sourdough hydration?"))
    assert not response.covered
    assert response.answer.strip() == "My sources don't cover a good sourdough hydration."
    assert response.citations == [] and response.sentences == []
    assert response.uncovered == ["a good sourdough hydration"]
    assert response.citation_check["passed"]


def test_multi_part_question_answers_one_part_and_says_the_other_is_not_covered(service):
    response = service.ask(
        AskRequest(question="What do staff engineers do and what's the best pizza in Naples?")
    )
    assert response.covered and response.citations
    assert response.uncovered == ["the best pizza in Naples"]
    assert response.answer.rstrip().endswith("My sources don't cover the best pizza in Naples.")
    assert "pizza" not in " ".join(c.quote for c in response.citations).lower()
    assert response.citation_check["passed"]


def test_follow_up_is_condensed_with_the_previous_question(service):
    history = [
        ChatTurn(role="user", content="How did the Portal team reduce video call drops?"),
        ChatTurn(role="assistant", content="Many drops traced back to unstable Wi-Fi. [1]"),
    ]
    response = service.ask(AskRequest(question="How did they detect them?", history=history))
    assert "Portal" in response.question
    assert any("portal-video-calling" in c.url for c in response.citations)
    assert "condense" in response.timings_ms


def test_rule_condenser_swaps_the_level_in_a_what_about_follow_up():
    history = [ChatTurn(role="user", content=STAFF),
               ChatTurn(role="assistant", content="Staff engineers own outcomes. [1]")]
    condenser = RuleCondenser()
    assert condenser.condense("what about principal?", history) == (
        "What do great principal engineers do?"
    )
    assert condenser.condense("tell me more about that", history).startswith(
        "What do great staff engineers do"
    )
    assert condenser.condense("What is an SLO?", history) == "What is an SLO?"
    assert condenser.condense("how did they measure it?", []) == "how did they measure it?"


def test_follow_up_detection():
    assert is_follow_up("how did they measure it?")
    assert is_follow_up("what about principal?")
    assert is_follow_up("tell me more")
    assert not is_follow_up("How do I write a design doc?")


def test_filters_reach_retrieval(service):
    prefix = SAMPLE_BASE_URL + "case-studies/"
    response = service.ask(AskRequest(question="How do staff engineers mentor others?",
                                      filters=Filters(url_prefix=prefix)))
    assert response.citations
    assert all(c.url.startswith(prefix) for c in response.citations)


def test_timings_are_reported_per_stage(service):
    response = service.ask(AskRequest(question="How should I write a design doc?"))
    assert {"condense", "retrieve", "answer", "check", "total"} <= set(response.timings_ms)
    stages = sum(response.timings_ms[k] for k in ("condense", "retrieve", "answer", "check"))
    assert response.timings_ms["total"] >= stages * 0.99


def test_stream_sends_citations_deltas_check_done_in_order(service):
    async def collect():
        return [e async for e in service.stream(AskRequest(question=STAFF))]

    events = asyncio.run(collect())
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-2:] == ["check", "done"]
    assert set(names[1:-2]) == {"delta"}
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert events[0][1]["citations"] == done["citations"]
    assert events[0][1]["provisional"] is False
    assert events[-2][1]["citation_check"] == done["citation_check"]


# --- text fragments -----------------------------------------------------------------------------


def test_short_quote_fragment_is_the_whole_quote_percent_encoded():
    url = text_fragment_url("https://x.example/a.html#top", "Own the outcome, not the ticket.")
    assert url == "https://x.example/a.html#:~:text=Own%20the%20outcome%2C%20not%20the%20ticket."


def test_long_quote_fragment_uses_start_and_end_words_with_dashes_encoded():
    quote = "Staff engineers own outcomes that span multiple teams, not a well-known one-off fix."
    assert text_fragment_url("https://x.example/a", quote) == (
        "https://x.example/a#:~:text=Staff%20engineers%20own%20outcomes,"
        "a%20well%2Dknown%20one%2Doff%20fix."
    )


# --- drafts and quote vectors -------------------------------------------------------------------


def _chunk(text: str) -> Chunk:
    return Chunk(id="c", text=text, url="https://x.example/a", title="A", heading_path=("A",),
                 position=0, start=100, end=100 + len(text), doc_hash="h", fetched_at="")


def test_renumbering_follows_first_use_drops_uncited_and_keeps_invalid_markers_last():
    chunk = _chunk("Alpha beta gamma. Delta epsilon zeta.")
    draft = Draft("One [2]. Two [3]. Three [1].", [
        DraftCitation(1, chunk, 0, 17, 0.5), DraftCitation(2, chunk, 18, 37, 0.5),
        DraftCitation(3, chunk, 0, 5, 0.5),
    ], "extractive")
    edited = draft.renumbered("One [2]. Two [9][1].")
    assert edited.answer == "One [1]. Two [3][2]."
    assert [(c.id, c.quote) for c in edited.citations] == [
        (1, "Delta epsilon zeta."), (2, "Alpha beta gamma.")
    ]
    assert edited.citations[0].start == 118 and edited.citations[0].end == 137


def test_quote_vectors_embed_each_sentence_once(embedder):
    calls: list[list[str]] = []

    class Recording:
        name, dim = embedder.name, embedder.dim

        def embed(self, texts: list[str]):
            calls.append(list(texts))
            return embedder.embed(texts)

    chunk = _chunk("Staff engineers own outcomes. They also measure them.")
    single = Quote(chunk, 0, 29, ((0, 29),))
    pair = Quote(chunk, 0, 53, ((0, 29), (30, 53)))
    vectors = QuoteVectors(Recording())
    first, extra = vectors.embed([single, pair], ["a claim"])
    assert calls == [["Staff engineers own outcomes.", "They also measure them.", "a claim"]]
    second, _ = vectors.embed([pair])
    assert len(calls) == 1  # cached
    assert np.allclose(first[1], second[0]) and extra.shape == (1, embedder.dim)
    assert np.isclose(np.linalg.norm(first[1]), 1.0, atol=1e-5)

"""Extractive answers and the orchestrating service, on the real sample store and checker."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from app.answer.draft import Draft, DraftCitation
from app.answer.extractive import ExtractiveAnswerer, trait_name
from app.answer.headings import trait_label
from app.answer.lead import lead_line, question_topic
from app.answer.quotes import DANGLING, Quote, answer_quotes
from app.answer.vectors import QuoteVectors
from app.check import CitationChecker
from app.condense import RuleCondenser, is_follow_up
from app.coverage import split_question
from app.fragments import text_fragment_url
from app.models import AskRequest, AskResponse, ChatTurn, Filters
from app.retrieve import HybridRetriever
from app.service import AskService
from core.settings import Settings
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
# The articles that each argue one trait of great staff engineers.
TRAIT_ARTICLES = {
    f"{SAMPLE_BASE_URL}articles/{name}.html"
    for name in ("ownership-of-outcomes", "technical-depth", "multiplying-through-tooling",
                 "influence-across-teams", "mentoring-and-sponsorship", "questioning-the-map",
                 "setting-technical-direction", "solving-hard-problems", "building-trust")
}
L5_HISTORY = [
    ChatTurn(role="user",
             content="Tell me about the consultative mentorship model for L5 engineers."),
    ChatTurn(role="assistant",
             content="A staff engineer at Meta asked diagnostic questions instead of fixing bugs; "
                     "within a year 3 of the L5 mentees were promo-ready [1]."),
]
ARCHETYPE_HISTORY = [
    ChatTurn(role="user", content="What are the staff engineer archetypes?"),
    ChatTurn(role="assistant", content="The four classic archetypes are the tech lead, the "
                                       "architect, the solver and the right hand [1]."),
]


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


def _sections(response: AskResponse) -> dict[str, list[int]]:
    """Section heading -> the citation ids its bullets carry."""
    sections: dict[str, list[int]] = {}
    heading = ""
    for line in response.answer.splitlines():
        if line.startswith("### "):
            heading = line[4:]
            sections[heading] = []
        elif line.startswith("- ") and heading:
            sections[heading].extend(dict.fromkeys(int(n) for n in MARKER.findall(line)))
    return sections


# --- the extractive answer reads as an answer ------------------------------------------------


def test_staff_answer_is_four_to_six_trait_sections_one_article_each(staff_answer):
    lines = staff_answer.answer.splitlines()
    assert lines[0] == "Here is what the sources say about what great staff engineers do:"
    sections = _sections(staff_answer)
    assert 4 <= len(sections) <= 6
    url_of = {c.id: c.url for c in staff_answer.citations}
    articles = [{url_of[cid] for cid in ids} for ids in sections.values()]
    assert all(len(urls) == 1 for urls in articles)  # a section is one article's trait
    assert len({next(iter(urls)) for urls in articles}) == len(sections)
    assert all(1 <= len(ids) <= 2 for ids in sections.values())
    # Short trait names, not article titles: "Owning outcomes", "Technical depth".
    assert all(len(name.split()) <= 6 and ":" not in name for name in sections)
    assert {"Owning outcomes", "Technical depth", "Mentoring and sponsorship"} <= set(sections)
    cited = {c.url for c in staff_answer.citations}
    assert len(cited & TRAIT_ARTICLES) >= 4
    bullets = _bullets(staff_answer.answer)
    assert all(MARKER.search(b) and b.rstrip().endswith("]") for b in bullets)


def test_staff_answer_states_behaviours_not_anecdotes(staff_answer):
    for c in staff_answer.citations:
        # No story (names, figures, past tense) and no reference to an unquoted sentence.
        assert not re.search(r"\d|\bMeta\b|Larson|\bwas\b|\bwere\b", c.quote), c.quote
        assert not re.search(r"(?<!^)\b(?:this|these|those|such)\b", c.quote), c.quote
        assert not re.search(r"\b(?:that|this) (?:gap|work|drift|team)\b", c.quote), c.quote
    assert "case-studies/" not in " ".join(c.url for c in staff_answer.citations)


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


def test_how_did_question_is_answered_step_by_step_with_the_result(service):
    response = service.ask(AskRequest(question="How did the Portal team reduce video call drops?"))
    portal = SAMPLE_BASE_URL + "case-studies/portal-video-calling-reliability.html"
    assert {c.url for c in response.citations} == {portal}
    headings = list(_sections(response))
    assert headings[:2] == ["Classify the drops before fixing anything",
                            "Build automated detection"]
    assert headings[-1] == "The result"
    for fact in ("Wi-Fi", "CallPulse", "retry logic", "health checks", "fell by 5%"):
        assert fact in response.answer, fact
    assert response.citation_check["passed"]


@pytest.mark.parametrize("top_k", [1, 3])
def test_an_explicit_top_k_caps_the_chunks_an_answer_cites(service, top_k):
    for question in (STAFF, "How did the Portal team reduce video call drops?"):
        response = service.ask(AskRequest(question=question, top_k=top_k))
        assert 1 <= len({c.chunk_id for c in response.citations}) <= top_k
        assert response.citation_check["passed"]


def test_numbered_list_items_are_quoted_without_their_numbers():
    chunk = _chunk("What to take from it.\n\n"
                   "1. Tie a new idea to a metric leadership already tracks.\n"
                   "4. Build a cross-functional team early, with quality evaluation inside it.\n"
                   "- Pick one primary metric that a non-engineer would recognize.")
    quotes = [q.text for q in answer_quotes(chunk)]
    assert quotes == ["Tie a new idea to a metric leadership already tracks.",
                      "Build a cross-functional team early, with quality evaluation inside it.",
                      "Pick one primary metric that a non-engineer would recognize."]
    # Exact slices of the chunk, so the citations' offsets stay exact.
    assert all(chunk.text[q.start : q.end] == q.text for q in answer_quotes(chunk))


def test_answer_bullets_carry_no_list_numbers_and_every_claim_is_cited(service):
    response = service.ask(
        AskRequest(question="What should I do in my first 90 days as a new staff engineer?"))
    assert not [b for b in _bullets(response.answer) if re.match(r"- \d{1,3}[.)]\s", b)]
    assert not any(re.match(r"\d{1,3}[.)]\s", c.quote) for c in response.citations)
    assert all(s.citations for s in response.sentences)
    assert response.citation_check["recall"] == 1.0
    assert "30-60-90" in response.answer or "listening tour" in response.answer


@pytest.mark.parametrize(
    ("history", "question", "page", "fact"),
    [
        (L5_HISTORY, "How big was the cohort?", "case-studies/l5-mentorship-program.html",
         "a cohort of five L5 engineers"),
        (ARCHETYPE_HISTORY, "Which one fits someone who loses interest once a problem is solved?",
         "articles/staff-archetypes.html", "solver or Fixer path"),
    ],
)
def test_follow_up_carries_the_topic_of_the_conversation(service, history, question, page, fact):
    response = service.ask(AskRequest(question=question, history=history))
    assert response.covered and response.uncovered == []
    assert response.question.startswith(question.rstrip("?"))  # the follow-up, then its topic
    assert SAMPLE_BASE_URL + page in {c.url for c in response.citations}
    assert fact in response.answer


def test_by_how_much_question_is_covered_and_leads_with_the_figure(service):
    response = service.ask(AskRequest(
        question="By how much did escalations drop at Robinhood after the on-call training "
                 "program?"))
    assert response.covered and response.uncovered == []
    # The figure opens the answer, before any section (app/answer/direct.py).
    assert "40%" in response.answer.splitlines()[0]
    assert response.relevance and response.relevance.answers_question
    assert "50%" not in response.answer  # Instagram's figure answers another question


def test_rule_condenser_writes_one_real_question():
    # The follow-up says what it refers to in its own grammar, no topic glued on.
    condenser = RuleCondenser()
    condensed = condenser.condense("How big was the cohort?", L5_HISTORY)
    assert condensed == (
        "How big was the cohort of the consultative mentorship model for L5 engineers?"
    )
    assert len(split_question(condensed)) == 1  # judged for coverage as one question
    assert condenser.condense(
        "Which one fits someone who loses interest once a problem is solved?", ARCHETYPE_HISTORY
    ) == ("Which of the staff engineer archetypes fits someone who loses interest once a "
          "problem is solved?")


def test_lead_topics_read_naturally():
    assert question_topic("What do great staff engineers do?") == "what great staff engineers do"
    assert question_topic("How did the Portal team reduce video call drops?") == (
        "how the Portal team reduced video call drops"
    )
    assert question_topic("What is the difference between mentoring and sponsorship?") == (
        "the difference between mentoring and sponsorship"
    )
    assert question_topic("What do principal engineers do differently from staff?") == (
        "what principal engineers do differently from staff"
    )
    assert question_topic("What should I do in my first 90 days?") == (
        "what to do in your first 90 days"
    )


def test_lead_line_stays_a_short_connective():
    long = "How long does it usually take to build the trust needed for a staff promotion?"
    assert lead_line(long) == "Here is what the sources say:"  # 20+ words would be a claim
    assert "?" not in lead_line("How big was the cohort (the L5 mentorship model)?")
    assert len(lead_line("What makes a great staff engineer?").split()) <= 20


def test_trait_labels_shorten_article_titles_to_the_trait():
    assert trait_label("Owning Outcomes, Not Tickets") == "Owning outcomes"
    assert trait_label("Technical Depth That Others Lean On") == "Technical depth"
    assert trait_label("Multiplying Your Team Through Tooling and Infrastructure") == (
        "Multiplying your team through tooling"
    )
    assert trait_label("Building Trust Is a Long Game") == "Building trust"
    assert trait_label("Rebuilding On-Call at Instagram: Half the Alert Fatigue",
                       "An engineer at Instagram fixed on-call.") == (
        "Rebuilding on-call at Instagram"
    )


# --- the service ------------------------------------------------------------------------------


def test_out_of_scope_question_gets_a_clear_no_and_no_citations(service):
    response = service.ask(AskRequest(question="What is a good sourdough hydration?"))
    assert not response.covered
    assert response.answer.strip() == "My sources don't cover a good sourdough hydration."
    assert response.citations == [] and response.sentences == []
    assert response.uncovered == ["a good sourdough hydration"]
    assert response.citation_check["passed"]


def test_a_long_uncovered_topic_is_shortened_without_a_stray_full_stop(service):
    question = "What is the best way to negotiate stock options at a startup in London?"
    response = service.ask(AskRequest(question=question))
    assert not response.covered
    # Ten words named back, then the ellipsis ends the sentence.
    assert response.answer.strip() == (
        "My sources don't cover the best way to negotiate stock options at a startup …")
    assert response.citation_check["passed"]


def test_a_figure_that_counts_something_else_is_not_taken_for_the_asked_count(service):
    # The sample's Instagram story gives percentages, never how many engineers were on call.
    response = service.ask(AskRequest(question="How many engineers were on the Instagram "
                                               "on-call rotation?"))
    assert "Alert fatigue fell by 50%" not in response.answer.split("\n")[0]
    assert response.relevance is not None and response.relevance.answers_question is False


def test_a_polite_request_is_named_back_as_its_topic(service):
    response = service.ask(AskRequest(question="Can you recommend a good science fiction novel?"))
    assert not response.covered
    assert response.answer.strip() == "My sources don't cover a good science fiction novel."


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
    # The visitor's words stay the question; the rewrite is what was searched.
    assert response.question == "How did they detect them?"
    assert response.standalone_question and "Portal" in response.standalone_question
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
    assert is_follow_up("Which one fits someone who loses interest once a problem is solved?")
    assert is_follow_up("How big was the cohort?")
    assert not is_follow_up("How do I write a design doc?")
    assert not is_follow_up("What is the difference between mentoring and sponsorship?")
    assert not is_follow_up("What is the capital of Australia?")


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


def test_a_fact_stated_twice_on_its_page_is_quoted_once(service):
    # The Robinhood case study states its result in the summary and again under "The result":
    # the answer opens with it and does not repeat it as a supporting point.
    response = service.ask(AskRequest(
        question="By how much did escalations fall in the Robinhood on-call program?"))
    assert response.answer.startswith("Escalations fell by 40%.")
    quoted = [" ".join(s.text.split("[")[0].lstrip("- ").split()) for s in response.sentences
              if s.citations]
    assert quoted.count("Escalations fell by 40%.") == 1, quoted


@pytest.mark.parametrize(
    ("question", "acts", "other"),
    [
        ("What do great code reviewers do?",
         "Reviewers look for the design of a change before its style.",
         "Code reviews are an important part of how a team ships software."),
        ("What do great managers do?",
         "Good managers give each report honest feedback every week.",
         "Management is a different job from engineering."),
    ],
)
def test_a_trait_question_prefers_sentences_where_its_own_role_acts(
    question: str, acts: str, other: str
) -> None:
    # "reviewers" is no role of the engineering ladder, and its terms ("review") also match
    # the activity: the behaviour cue must follow the role the question names.
    from app.answer.scoring import QuestionProfile, score

    profile = QuestionProfile.of(question, np.zeros(4, dtype=np.float32), broad=True)
    assert profile.traits

    def value(text: str) -> float:
        chunk = Chunk(id="c", text=text, url="https://x.example/a", title="Working notes",
                      heading_path=("Working notes",), position=3, start=0, end=len(text),
                      doc_hash="h", fetched_at="")
        (quote,) = answer_quotes(chunk)
        return score(quote, profile, similarity=0.5, retrieval=0.5, centrality=0.3)

    assert value(acts) > value(other) + 0.1

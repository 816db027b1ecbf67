"""The default answerer, no LLM: an answer composed of exact sentences from the retrieved chunks.

Sentences are scored against the question (embedding similarity, shared content words,
the chunk's retrieval score), near-duplicates are dropped, and the rest are grouped
into short sections named after the section of the article they come from, so the
answer reads as "traits" rather than as a pile of quotes. Every bullet is a verbatim
sentence, so the citation check has nothing to catch but a wrong retrieval.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from app.answer.draft import AnswerMode, Draft, DraftCitation
from app.answer.lead import lead_line, question_subject
from app.answer.quotes import Quote, answer_quotes, every_quote
from app.retrieve import Retrieval
from app.terms import overlap, term_set, terms
from ingest.embed import Embedder
from ingest.records import Chunk

# Weights of the sentence score. Similarity dominates; lexical overlap rewards the
# sentences that use the question's own words, novelty those that add words of their
# own (a sentence that only restates the question, "the initiative reduced call
# drops", answers no "how"); the chunk's fused retrieval score breaks ties towards
# chunks both retrievers liked.
_W_DENSE, _W_LEXICAL, _W_NOVELTY, _W_RETRIEVAL = (
    float(x) for x in __import__("os").environ.get("W", "0.55 0.15 0.15 0.15").split()
)
_PAIR_PENALTY = 0.03  # a two-sentence quote is longer to read than it is better
_DUPLICATE = 0.85  # cosine above which two sentences make the same point
_KEEP_RATIO = 0.7  # a sentence must score this share of the best one to be used
_SECOND_RATIO = 0.8
_BROAD_ARTICLES = 4  # best sentences from this many articles: a broad question

# Section names that say where in a story we are, not what the section is about.
_GENERIC_HEADING_TERMS = frozenset(
    terms(
        "situation result results outcome outcomes take takeaway takeaways lesson lessons step "
        "steps overview introduction conclusion background summary engineer engineers staff "
        "changed change stood starting point work worked happened next did made kind case study "
        "wrap final thoughts"
    )
)
_STEP_PREFIX = re.compile(r"^(?:step|phase|part|days?)\s*[\d–-]+\s*[:.–-]\s*|^case study:\s*", re.I)


# "one of them", "a lot of that work": the sentence leans on one we did not quote.
_OBJECT_ANAPHORA = re.compile(
    r"\b(?:of|in|on|to|for|with|from|at|by|into|about|like)\s+(?:it|them|this|that|these|those)\b",
    re.IGNORECASE,
)
_ANAPHORA_PENALTY = 0.08
# "What do staff engineers do?" is answered by sentences about staff engineers:
# those that open with the question's subject ("A staff engineer owns outcomes ...").
_W_SUBJECT = 0.1
# A question in the present ("what do staff engineers do") wants general statements,
# not one story's events ("the staff engineer also handed ownership ... to L4s").
_PAST_QUESTION = re.compile(r"\b(?:did|was|were|had)\b|\b\w+ed\b", re.IGNORECASE)
_PAST_VERB = re.compile(
    r"\b(?<!is )(?<!are )(?<!be )(?<!been )(?<!being )(?<!get )(?<!gets )"
    r"(?:\w{3,}ed|was|were|had|did|took|made|built|led|became|wrote|found|grew|went|began|"
    r"gave|got|spent|saw|ran|cut|set|put)\b"
)
_NARRATIVE_PENALTY = 0.06


def is_narrative(text: str) -> bool:
    """Past-tense storytelling: a past verb among the first words of the sentence."""
    head = " ".join(text.split()[:10])
    return bool(_PAST_VERB.search(head))


@dataclass
class _Candidate:
    quote: Quote
    score: float
    vector: np.ndarray
    retrieval_score: float
    trait: str


class ExtractiveAnswerer:
    """Composes a cited answer from retrieved sentences; deterministic and fast."""

    mode: AnswerMode = "extractive"

    def __init__(
        self, embedder: Embedder, *, max_sections: int = 4, per_section: int = 3,
        max_points: int = 9,
    ) -> None:
        self.embedder = embedder
        self.max_sections = max_sections
        self.per_section = per_section
        self.max_points = max_points

    def answer(self, retrieval: Retrieval) -> Draft:
        started = time.perf_counter()
        candidates = self._candidates(retrieval)
        embedded = time.perf_counter()
        sections = self._select(candidates)
        draft = _render(retrieval.query, sections)
        draft.timings_ms = {
            "embed_sentences": (embedded - started) * 1000,
            "compose": (time.perf_counter() - embedded) * 1000,
        }
        return draft

    def _candidates(self, retrieval: Retrieval) -> list[_Candidate]:
        pairs: list[tuple[Quote, float]] = []
        for hit in retrieval.hits:
            pairs.extend((q, hit.score) for q in answer_quotes(hit.chunk))
        if not pairs:  # only lists and fragments: take whatever sentences there are
            for hit in retrieval.hits[:3]:
                pairs.extend((q, hit.score) for q in every_quote(hit.chunk, min_words=4))
        if not pairs:
            return []
        vectors = self.embedder.embed([q.text for q, _ in pairs])  # one batch for all
        question_terms = term_set(retrieval.query)
        present_tense = not _PAST_QUESTION.search(retrieval.query)
        subject_terms = term_set(question_subject(retrieval.query))
        out = []
        for (quote, retrieval_score), vector in zip(pairs, vectors, strict=True):
            quote_terms = term_set(quote.text)
            style = _ANAPHORA_PENALTY * bool(_OBJECT_ANAPHORA.search(quote.sentence_texts()[0]))
            if present_tense:
                style += _NARRATIVE_PENALTY * is_narrative(quote.text)
            opening = term_set(" ".join(quote.text.split()[:5]))
            score = (
                _W_SUBJECT * overlap(subject_terms, opening)
                + _W_DENSE * float(vector @ retrieval.query_vector)
                + _W_LEXICAL * overlap(question_terms, quote_terms)
                + _W_NOVELTY * (1.0 - overlap(quote_terms, question_terms))
                + _W_RETRIEVAL * retrieval_score
                - (_PAIR_PENALTY if len(quote.sentences) > 1 else 0.0)
                - style
            )
            out.append(_Candidate(quote, score, vector, retrieval_score, trait_name(quote.chunk)))
        return out

    def _select(self, candidates: list[_Candidate]) -> list[tuple[str, list[_Candidate]]]:
        """The best distinct sentences, grouped into at most `max_sections` sections.

        When the best sentences come from several articles (a broad question), each
        article is a section named by its title, since every article argues one trait;
        when they come from one or two (a specific question), sections follow the
        articles' own headings (steps, results).
        """
        ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
        if not ranked:
            return []
        floor = ranked[0].score * _KEEP_RATIO
        pool: list[_Candidate] = []
        for cand in ranked:
            if cand.score < floor or len(pool) >= 3 * self.max_points:
                break
            if not any(_same_point(cand, other) for other in pool):
                pool.append(cand)
        broad = len({c.quote.chunk.url for c in pool[: self.max_points]}) >= _BROAD_ARTICLES
        per_section = 2 if broad else self.per_section
        sections: dict[str, list[_Candidate]] = {}
        taken = 0
        for cand in pool:
            key = cand.quote.chunk.url if broad else cand.trait.lower()
            if key not in sections and len(sections) >= self.max_sections:
                continue
            if len(sections.get(key, [])) >= per_section or taken >= self.max_points:
                continue
            if key in sections and cand.score < ranked[0].score * _SECOND_RATIO:
                continue  # a section's further points must be strong ones
            if broad:
                cand.trait = cand.quote.chunk.title or cand.trait
            sections.setdefault(key, []).append(cand)
            taken += 1
        # Sections by their best sentence; inside one, the articles' own reading order.
        return [
            (group[0].trait, sorted(group, key=_reading_order))
            for group in sorted(sections.values(), key=lambda g: -max(c.score for c in g))
        ]


def _reading_order(cand: _Candidate) -> tuple[str, int]:
    return cand.quote.chunk.url, cand.quote.chunk.start + cand.quote.start


def _same_point(a: _Candidate, b: _Candidate) -> bool:
    """Near-identical sentences, or overlapping text (a pair containing a chosen sentence,
    the same sentence in two overlapping chunks)."""
    if float(a.vector @ b.vector) > _DUPLICATE:
        return True
    ca, cb = a.quote.chunk, b.quote.chunk
    if ca.url != cb.url:
        return False
    a_start, a_end = ca.start + a.quote.start, ca.start + a.quote.end
    b_start, b_end = cb.start + b.quote.start, cb.start + b.quote.end
    return a_start < b_end and b_start < a_end


def trait_name(chunk: Chunk) -> str:
    """The section heading that names what a chunk is about.

    The h2 usually names a trait ("Close the loop"); story headings ("The result",
    "What the engineer did") fall through to the h3 ("Step 2: Build automated
    detection" -> "Build automated detection") and then to the article title.
    """
    for heading in chunk.heading_path[1:]:
        name = _STEP_PREFIX.sub("", heading).strip().rstrip(":.")
        if name and set(terms(name)) - _GENERIC_HEADING_TERMS:
            return name[0].upper() + name[1:]
    return chunk.title or (chunk.heading_path[0] if chunk.heading_path else "From the sources")


def _render(question: str, sections: list[tuple[str, list[_Candidate]]]) -> Draft:
    """Markdown: a lead line, then "### trait" sections of "- sentence [n]" bullets."""
    if not sections:
        return Draft("My sources mention this topic, but no sentence in them answers it.", [],
                     "extractive")
    lines = [lead_line(question), ""]
    citations: list[DraftCitation] = []
    for trait, group in sections:
        lines.append(f"### {trait}")
        for cand in group:
            cid = len(citations) + 1
            quote = cand.quote
            citations.append(
                DraftCitation(cid, quote.chunk, quote.start, quote.end, cand.retrieval_score)
            )
            # Each sentence of a joined pair carries the marker, so each is a cited claim.
            lines.append("- " + " ".join(f"{s} [{cid}]" for s in quote.sentence_texts()))
        lines.append("")
    return Draft("\n".join(lines).rstrip() + "\n", citations, "extractive")

"""The default answerer, no LLM: an answer composed of exact sentences from the retrieved chunks.

Sentences are scored against the question (see `scoring`), near-duplicates are
dropped, and the rest are grouped into a few short sections named after what they
are about, so the answer reads as "traits" rather than as a pile of quotes. Every
bullet is a verbatim sentence, so the citation check has nothing to catch but a
wrong retrieval.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from app.answer.draft import AnswerMode, Draft, DraftCitation
from app.answer.lead import lead_line
from app.answer.quotes import Quote, answer_quotes, every_quote
from app.answer.scoring import QuestionProfile, score
from app.answer.vectors import QuoteVectors
from app.retrieve import Retrieval
from app.terms import jaccard, term_set, terms
from ingest.embed import Embedder
from ingest.records import Chunk

_KEEP_RATIO = 0.7  # a sentence must score this share of the best one to be used at all
_SECOND_RATIO = 0.8  # ... and this share to be a section's second or third point
_BROAD_ARTICLES = 3  # the best points come from this many articles: a broad question

# Two candidates make the same point when any of these holds. MiniLM puts two wordings
# of one fact at about 0.85 ("Refactoring the system saved $10M a year" vs "The
# refactor saved $10M a year"), so shared words and shared figures count too.
_DUPLICATE = 0.8  # cosine
_SAME_TERMS = 0.5  # Jaccard of content words
_CONTAINED, _MIN_CONTAINED = 0.8, 4  # one holds 80% of the other's (4+) content words
_SAME_FIGURE_COSINE = 0.6  # the same number and a related wording
# Of two quotes making one point, the one from the chunk retrieval ranked clearly
# higher (the case study itself, not an article retelling it) wins if it scored
# almost as well.
_PRIMARY_MARGIN, _SCORE_SLACK = 0.02, 0.1

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
_NOTHING_QUOTABLE = "My sources mention this topic but do not answer it in so many words."


@dataclass
class _Candidate:
    quote: Quote
    score: float
    vector: np.ndarray
    retrieval_score: float
    terms: frozenset[str]

    @property
    def figures(self) -> set[str]:
        return {t for t in self.terms if any(ch.isdigit() for ch in t)}

    @property
    def doc_span(self) -> tuple[int, int]:
        return self.quote.chunk.start + self.quote.start, self.quote.chunk.start + self.quote.end


class ExtractiveAnswerer:
    """Composes a cited answer from retrieved sentences; deterministic, no model but the
    embedder."""

    mode: AnswerMode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        *,
        vectors: QuoteVectors | None = None,
        max_sections: int = 4,
        per_section: int = 3,
        max_points: int = 9,
    ) -> None:
        self.vectors = vectors or QuoteVectors(embedder)
        self.max_sections = max_sections
        self.per_section = per_section
        self.max_points = max_points

    def answer(self, retrieval: Retrieval) -> Draft:
        started = time.perf_counter()
        candidates = self._candidates(retrieval)
        scored = time.perf_counter()
        draft = _render(retrieval.query, self._sections(_distinct(candidates, self.max_points)))
        draft.timings_ms = {
            "embed_sentences": (scored - started) * 1000,
            "compose": (time.perf_counter() - scored) * 1000,
        }
        return draft

    def _candidates(self, retrieval: Retrieval) -> list[_Candidate]:
        quotes: list[tuple[Quote, float]] = []
        for hit in retrieval.hits:
            quotes.extend((q, hit.score) for q in answer_quotes(hit.chunk))
        if not quotes:  # only lists and fragments: take whatever sentences there are
            for hit in retrieval.hits[:3]:
                quotes.extend((q, hit.score) for q in every_quote(hit.chunk, min_words=4))
        if not quotes:
            return []
        vectors, _ = self.vectors.embed([q for q, _ in quotes])  # one embedder call at most
        profile = QuestionProfile.of(retrieval.query, retrieval.query_vector)
        return [
            _Candidate(quote, score(quote, vector, r_score, profile), vector, r_score,
                       term_set(quote.text))
            for (quote, r_score), vector in zip(quotes, vectors, strict=True)
        ]

    def _sections(self, pool: list[_Candidate]) -> list[tuple[str, list[_Candidate]]]:
        """The distinct points grouped into at most `max_sections` named sections.

        When the best points come from several articles (a broad question), each article
        is a section named by its title, since each article argues one trait; when they
        come from one or two (a specific question), sections follow the articles' own
        headings (steps, results).
        """
        if not pool:
            return []
        best = pool[0].score
        broad = len({c.quote.chunk.url for c in pool[: self.max_points]}) >= _BROAD_ARTICLES
        per_section = 2 if broad else self.per_section
        sections: dict[str, list[_Candidate]] = {}
        names: dict[str, str] = {}
        taken = 0
        for cand in pool:
            chunk = cand.quote.chunk
            key = chunk.url if broad else trait_name(chunk).lower()
            group = sections.get(key)
            if group is None and len(sections) >= self.max_sections:
                continue
            if group is not None and (len(group) >= per_section
                                      or cand.score < best * _SECOND_RATIO):
                continue
            sections.setdefault(key, []).append(cand)
            names.setdefault(key, chunk.title if broad and chunk.title else trait_name(chunk))
            taken += 1
            if taken >= self.max_points:
                break
        # Sections by their best point; inside one, the articles' own reading order.
        order = sorted(sections, key=lambda k: -max(c.score for c in sections[k]))
        return [(names[k], sorted(sections[k], key=_reading_order)) for k in order]


def _distinct(candidates: list[_Candidate], max_points: int) -> list[_Candidate]:
    """Candidates above the floor, best first, one per point made."""
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    floor = ranked[0].score * _KEEP_RATIO
    pool: list[_Candidate] = []
    for cand in ranked:
        if cand.score < floor or len(pool) >= 3 * max_points:
            break
        twins = [i for i, other in enumerate(pool) if _same_point(cand, other)]
        if not twins:
            pool.append(cand)
        elif len(twins) == 1 and _primary(cand, pool[twins[0]]):
            pool[twins[0]] = cand
    return pool


def _same_point(a: _Candidate, b: _Candidate) -> bool:
    """Near-identical wording, or overlapping text (a pair holding a chosen sentence, one
    sentence in two overlapping chunks)."""
    cosine = float(a.vector @ b.vector)
    if cosine > _DUPLICATE or jaccard(a.terms, b.terms) >= _SAME_TERMS:
        return True
    smaller = min(len(a.terms), len(b.terms))
    if smaller >= _MIN_CONTAINED and len(a.terms & b.terms) / smaller >= _CONTAINED:
        return True
    if cosine > _SAME_FIGURE_COSINE and a.figures & b.figures:
        return True
    if a.quote.chunk.url != b.quote.chunk.url:
        return False
    (a_start, a_end), (b_start, b_end) = a.doc_span, b.doc_span
    return a_start < b_end and b_start < a_end


def _primary(cand: _Candidate, twin: _Candidate) -> bool:
    return (cand.retrieval_score > twin.retrieval_score + _PRIMARY_MARGIN
            and cand.score >= twin.score - _SCORE_SLACK)


def _reading_order(cand: _Candidate) -> tuple[str, int]:
    return cand.quote.chunk.url, cand.doc_span[0]


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
        return Draft(_NOTHING_QUOTABLE + "\n", [], "extractive")
    lines = [lead_line(question), ""]
    citations: list[DraftCitation] = []
    for name, group in sections:
        lines.append(f"### {name}")
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

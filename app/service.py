"""AskService: condense -> retrieve -> answer -> check, for /v1/ask and its streaming twin.

Every answer, extractive or LLM, goes through the citation check before it is sent;
strict mode then drops what the check did not find supported. An LLM that fails or
times out never fails the request: the extractive answerer answers instead and the
response says `degraded: true`.

Streaming events, in order:

- `citations` {citations, question, mode, covered, uncovered, provisional, restart}:
  in extractive mode the final citations. In LLM mode, `provisional: true`: the
  candidate sources numbered as in the prompt (the ids the streamed [n] markers use),
  without quotes, since the final quotes and numbering exist only once the text is
  complete. If the LLM fails mid-stream, a second `citations` event with
  `restart: true` tells the client to discard the text so far; the extractive
  answer follows.
- `delta` {text}: answer text, repeatedly.
- `check` {sentences, citation_check}: the verdicts, for the final (renumbered) answer.
- `done`: the full AskResponse. Its `answer` and `citations` are authoritative: in LLM
  mode the markers are renumbered by first use there, so they can differ from the
  streamed text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.answer.draft import Draft, DraftCitation, StreamingAnswerer, rewrite_markers
from app.answer.modes import AnswerModes, Choice, answer_modes
from app.answer.vectors import QuoteVectors
from app.check.models import CheckReport, CitationId, SourceText
from app.check.strip import strip_unsupported
from app.fragments import text_fragment_url
from app.keyword_index import KeywordIndex
from app.llm import ChatClient
from app.markdown_safety import StreamSanitizer, sanitize_markdown
from app.models import (
    AnswerSentence,
    AskRequest,
    AskResponse,
    Citation,
    CitationQuote,
    SentenceQuote,
)
from app.question import analyse
from app.question_cost import check_question_cost
from app.relevance import judge_relevance
from app.retrieve import HybridRetriever, Retrieval
from app.sample_urls import published_url
from core.settings import Settings
from ingest.embed import Embedder
from ingest.store import VectorStore

ResolvedMode = Literal["extractive", "llm"]
_TOPIC_WORDS = 10  # longer uncovered parts are shortened when named back


class Checker(Protocol):
    """The citation checker as the service uses it (app.check.CitationChecker)."""

    def check(
        self,
        answer: str,
        sources: Sequence[SourceText],
        quotes: dict[CitationId, str] | None = None,
        extra_sources: Iterable[SourceText] = (),
    ) -> CheckReport: ...


@dataclass
class _Turn:
    """One request on its way through the stages."""

    request: AskRequest
    choice: Choice
    mode: ResolvedMode
    strict: bool
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    question: str = ""
    retrieval: Retrieval | None = None
    degraded: bool = False
    notice: str | None = None

    def lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - since) * 1000
        return now


class AskService:
    """Answers questions from one store; built once per app in the lifespan.

    The answerer (and condenser) for each request comes from `modes`, built by
    `app.answer.modes.answer_modes` from the settings and `llm` unless given.
    """

    def __init__(
        self,
        settings: Settings,
        store: VectorStore,
        embedder: Embedder,
        checker: Checker,
        llm: ChatClient | None = None,
        vectors: QuoteVectors | None = None,
        modes: AnswerModes | None = None,
        keywords: KeywordIndex | None = None,
    ) -> None:
        self.settings = settings
        self.checker = checker
        self.retriever = HybridRetriever(store, embedder, settings, keywords=keywords)
        self.modes = modes or answer_modes(settings, embedder, llm, vectors)

    def refresh(self) -> None:
        """Call after an ingest: catches the keyword index up."""
        self.retriever.refresh()

    # --- the request/response API -----------------------------------------------------------

    def ask(self, request: AskRequest) -> AskResponse:
        turn = self._turn(request)
        self._prepare(turn)
        assert turn.retrieval is not None
        if not turn.retrieval.covered:
            return self._finish(turn, _not_covered_draft(turn.retrieval))
        t0 = time.perf_counter()
        draft = self._draft(turn)
        turn.lap("answer", t0)
        return self._finish(turn, draft)

    async def stream(self, request: AskRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The same answer as events (see the module docstring for their order and meaning)."""
        turn = self._turn(request)
        await asyncio.to_thread(self._prepare, turn)
        assert turn.retrieval is not None
        retrieval = turn.retrieval
        answerer = turn.choice.answerer
        t0 = time.perf_counter()
        if not retrieval.covered:
            draft = _not_covered_draft(retrieval)
        elif isinstance(answerer, StreamingAnswerer):
            yield "citations", self._citations_event(turn, candidates=True)
            parts: list[str] = []
            safe = StreamSanitizer()
            try:
                async for delta in answerer.astream(retrieval):
                    parts.append(delta)
                    if text := safe.feed(delta):
                        yield "delta", {"text": text}
                if text := safe.flush():
                    yield "delta", {"text": text}
                draft = await asyncio.to_thread(answerer.finish, "".join(parts), retrieval)
            except Exception as exc:
                recovered = await asyncio.to_thread(answerer.recover, retrieval, exc)
                if recovered is None:
                    raise
                # The fallback's answer replaces the text so far, in its final numbering.
                draft = self._fell_back(turn, recovered)
                turn.lap("answer", t0)
                response = await asyncio.to_thread(self._finish, turn, draft)
                yield "citations", self._citations_event(turn, response=response,
                                                         restart=bool(parts))
                for piece in _pieces(response.answer):
                    yield "delta", {"text": piece}
                yield "check", _check_event(response)
                yield "done", response.model_dump()
                return
            turn.lap("answer", t0)
            response = await asyncio.to_thread(self._finish, turn, draft)
            if retrieval.uncovered:  # `_finish` added it to the answer the deltas built
                yield "delta", {"text": "\n\n" + _uncovered_line(retrieval.uncovered)}
            yield "check", _check_event(response)
            yield "done", response.model_dump()
            return
        else:
            draft = await asyncio.to_thread(self._draft, turn)
            turn.lap("answer", t0)
        response = await asyncio.to_thread(self._finish, turn, draft)
        yield "citations", self._citations_event(turn, response=response)
        for piece in _pieces(response.answer):
            yield "delta", {"text": piece}
        yield "check", _check_event(response)
        yield "done", response.model_dump()

    # --- stages -----------------------------------------------------------------------------

    def _turn(self, request: AskRequest) -> _Turn:
        check_question_cost(request.question, max_chars=self.settings.max_question_chars,
                            max_parts=self.settings.max_question_parts)
        choice = self.modes.choose(request.mode or self.settings.answer_mode)
        strict = self.settings.check_strict if request.strict is None else request.strict
        turn = _Turn(request, choice, choice.mode, strict)
        if choice.notice:  # the mode asked for is not configured: another stands in
            turn.degraded, turn.notice = True, choice.notice
        return turn

    def _prepare(self, turn: _Turn) -> None:
        """Condense (when there is history), then retrieve."""
        request = turn.request
        t0 = time.perf_counter()
        question = request.question.strip()
        if request.history:
            question = turn.choice.condenser.condense(question, request.history)
        turn.question = question
        t0 = turn.lap("condense", t0)
        turn.retrieval = self.retriever.retrieve(question, request.top_k, request.filters)
        turn.lap("retrieve", t0)

    def _draft(self, turn: _Turn) -> Draft:
        assert turn.retrieval is not None
        draft = turn.choice.answerer.answer(turn.retrieval)
        return self._fell_back(turn, draft) if draft.notice else draft

    @staticmethod
    def _fell_back(turn: _Turn, draft: Draft) -> Draft:
        """The answerer asked for failed and another answered: the response says so."""
        turn.mode, turn.degraded, turn.notice = draft.mode, True, draft.notice
        return draft

    def _finish(self, turn: _Turn, draft: Draft) -> AskResponse:
        """Add the uncovered parts, check the citations (strict: drop failures), respond."""
        assert turn.retrieval is not None
        retrieval = turn.retrieval
        # Answers quote pages: no page's HTML or script link leaves in the Markdown.
        draft.answer = sanitize_markdown(draft.answer)
        if retrieval.covered and retrieval.uncovered:
            draft.answer = draft.answer.rstrip() + "\n\n" + _uncovered_line(retrieval.uncovered)
        t0 = time.perf_counter()
        report = self._check(draft, retrieval)
        if turn.strict and any(s.verdict == "unsupported" for s in report.sentences):
            draft = draft.renumbered(strip_unsupported(draft.answer, report))
            report = self._check(draft, retrieval)
        turn.lap("check", t0)
        covered: bool | Literal["partial"] = retrieval.covered
        if retrieval.covered and retrieval.uncovered:
            covered = "partial"
        relevance = judge_relevance(retrieval.analysis or analyse(retrieval.query),
                                    [(c.quote, " ".join([c.chunk.title, *c.chunk.heading_path]))
                                     for c in draft.citations], covered)
        numbers = _article_numbers(draft)
        turn.timings["total"] = (time.perf_counter() - turn.started) * 1000
        asked = turn.request.question.strip()
        return AskResponse(
            answer=_renumber(draft.answer, numbers),
            sentences=_sentences(draft, report, numbers),
            citations=_article_citations(draft, numbers, self.settings.public_url),
            citation_check=_summary(report),
            covered=covered,
            uncovered=retrieval.uncovered,
            question=asked,
            standalone_question=turn.question if turn.question != asked else None,
            relevance=relevance,
            mode=turn.mode,
            degraded=turn.degraded,
            notice=turn.notice or (_uncovered_line(retrieval.uncovered)
                                   if retrieval.uncovered else None),
            timings_ms={k: round(v, 2) for k, v in turn.timings.items()},
        )

    def _check(self, draft: Draft, retrieval: Retrieval) -> CheckReport:
        """Cited chunks are the sources; the other retrieved chunks are candidates for
        misattribution ("source 2 says that, not source 1")."""
        cited = {c.chunk.id for c in draft.citations}
        sources = [SourceText(id=c.id, text=c.chunk.text, url=c.chunk.url)
                   for c in draft.citations]
        extras = [
            SourceText(id=f"r{i}", text=hit.chunk.text, url=hit.chunk.url)
            for i, hit in enumerate(retrieval.hits, 1)
            if hit.chunk.id not in cited
        ]
        quotes: dict[CitationId, str] = {c.id: c.quote for c in draft.citations}
        return self.checker.check(draft.answer, sources, quotes=quotes, extra_sources=extras)

    def _citations_event(
        self,
        turn: _Turn,
        *,
        response: AskResponse | None = None,
        candidates: bool = False,
        restart: bool = False,
    ) -> dict[str, Any]:
        assert turn.retrieval is not None
        if candidates:
            items = [
                {"id": i, "url": published_url(h.chunk.url, self.settings.public_url),
                 "title": h.chunk.title,
                 "heading_path": list(h.chunk.heading_path), "chunk_id": h.chunk.id,
                 "score": round(h.score, 4)}
                for i, h in enumerate(turn.retrieval.hits, 1)
            ]
        else:
            items = [c.model_dump() for c in response.citations] if response else []
        return {
            "citations": items,
            "question": turn.request.question.strip(),
            "standalone_question": (turn.question if turn.question != turn.request.question.strip()
                                    else None),
            "mode": turn.mode,
            "covered": turn.retrieval.covered,
            "uncovered": turn.retrieval.uncovered,
            "provisional": candidates,
            "restart": restart,
        }


# --- pure helpers ---------------------------------------------------------------------------


def _not_covered_draft(retrieval: Retrieval) -> Draft:
    topics = retrieval.uncovered or [retrieval.question]
    return Draft(_uncovered_line(topics) + "\n", [], "extractive")


def _uncovered_line(topics: list[str]) -> str:
    """"My sources don't cover X." The checker reads this as a statement about the
    sources, not a claim needing a citation, as long as it stays short."""
    named = [_shorten(t) for t in topics]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    # A shortened topic already ends in "…": no full stop after it.
    return f"My sources don't cover {listed}" + ("" if listed.endswith("…") else ".")


def _shorten(topic: str) -> str:
    words = topic.split()
    return topic if len(words) <= _TOPIC_WORDS else " ".join(words[:_TOPIC_WORDS]) + " …"


def _citation(c: DraftCitation, public_url: str) -> Citation:
    """The API's citation; a sample page's URL is where this service serves it now."""
    chunk = c.chunk
    url = published_url(chunk.url, public_url)
    return Citation(
        id=c.id,
        url=url,
        fragment_url=text_fragment_url(url, c.quote),
        title=chunk.title,
        author=chunk.author,
        published=chunk.published,
        heading_path=list(chunk.heading_path),
        quote=c.quote,
        start=c.start,
        end=c.end,
        chunk_id=chunk.id,
        chunk_start=c.chunk_start,
        chunk_end=c.chunk_end,
        score=round(c.score, 4),
        content_hash=chunk.doc_hash,
        fetched_at=chunk.fetched_at,
    )


def _article_numbers(draft: Draft) -> dict[CitationId, int]:
    """Each quote's citation id -> its article's number: articles numbered by first use,
    so every sentence citing one article shares its number."""
    by_url: dict[str, int] = {}
    numbers: dict[CitationId, int] = {}
    for c in sorted(draft.citations, key=lambda c: c.id):
        numbers[c.id] = by_url.setdefault(c.chunk.url, len(by_url) + 1)
    return numbers


def _renumber(text: str, numbers: dict[CitationId, int]) -> str:
    return rewrite_markers(text, lambda cid, _pos: [numbers.get(cid, cid)])


def _article_citations(draft: Draft, numbers: dict[CitationId, int],
                       public_url: str) -> list[Citation]:
    """One citation per article: its first quote's fields, and every quote in `quotes`."""
    grouped: dict[int, list[DraftCitation]] = {}
    for c in sorted(draft.citations, key=lambda c: c.id):
        grouped.setdefault(numbers[c.id], []).append(c)
    out: list[Citation] = []
    for number, group in grouped.items():
        first = _citation(group[0], public_url).model_copy(update={"id": number})
        seen: set[tuple[str, int, int]] = set()
        for c in group:
            key = (c.chunk.id, c.chunk_start, c.chunk_end)
            if key in seen:
                continue
            seen.add(key)
            first.quotes.append(CitationQuote(
                quote=c.quote, fragment_url=text_fragment_url(first.url, c.quote),
                start=c.start, end=c.end, chunk_id=c.chunk.id, chunk_start=c.chunk_start,
                chunk_end=c.chunk_end, heading_path=list(c.chunk.heading_path)))
        out.append(first)
    return out


def _sentences(
    draft: Draft, report: CheckReport, numbers: dict[CitationId, int]
) -> list[AnswerSentence]:
    """The claims of the answer with their verdicts (headings and connectives left out),
    each with the exact quote behind each of its markers."""
    by_id = {c.id: c for c in draft.citations}
    out: list[AnswerSentence] = []
    for s in report.sentences:
        if s.verdict == "not_a_claim":
            continue
        ids = [c for c in s.citations if isinstance(c, int)]
        quotes = [SentenceQuote(citation=numbers[c], quote=by_id[c].quote, start=by_id[c].start,
                                end=by_id[c].end) for c in ids if c in by_id]
        out.append(AnswerSentence(
            text=_renumber(draft.answer[s.start : s.end], numbers),
            citations=list(dict.fromkeys(numbers.get(c, c) for c in ids)),
            supported=s.verdict == "supported",
            verdict=s.verdict,
            score=round(s.score or 0.0, 4),
            reason=s.message or s.reason,
            quotes=quotes,
        ))
    return out


def _summary(report: CheckReport) -> dict[str, Any]:
    return {
        "recall": round(report.recall, 4),
        "precision": round(report.precision, 4),
        "passed": report.passed,
        "problems": [p.model_dump() for p in report.problems],
        "judge": report.judge,
    }


def _check_event(response: AskResponse) -> dict[str, Any]:
    return {
        "sentences": [s.model_dump() for s in response.sentences],
        "citation_check": response.citation_check,
    }


def _pieces(answer: str) -> list[str]:
    """An extractive answer streamed line by line, newlines kept, so it renders as it comes."""
    return [line for line in answer.splitlines(keepends=True) if line]

"""The LLM answerer: numbered, fenced sources in the prompt; [n] markers mapped to exact quotes.

The model writes the prose; we own the citations. Its markers are read back, each
(sentence, source) pair is tied to the sentence of that source that best matches the
claim (embedding + shared words), and the citations are renumbered by first use.
Markers naming a source that was never given are kept, numbered after the real ones,
so the citation check reports them instead of us hiding them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from html import escape

from app.answer.draft import AnswerMode, Draft, DraftCitation, rewrite_markers
from app.answer.quotes import Quote, best_quote, every_quote
from app.answer.vectors import QuoteVectors
from app.check.claims import Claim, split_claims
from app.check.models import CitationId
from app.llm import ChatClient
from app.prompts import Prompt
from app.retrieve import Hit, Retrieval
from ingest.embed import Embedder


class LLMAnswerer:
    """Answers with an OpenAI-compatible chat model from the retrieved chunks."""

    mode: AnswerMode = "llm"

    def __init__(
        self,
        llm: ChatClient,
        embedder: Embedder,
        prompt: Prompt,
        *,
        vectors: QuoteVectors | None = None,
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.vectors = vectors or QuoteVectors(embedder)

    def messages(self, retrieval: Retrieval) -> list[dict[str, str]]:
        """The chat messages: sources numbered 1..k in retrieval order, each fenced."""
        return self.prompt.messages(
            sources=format_sources(retrieval.hits), question=retrieval.query
        )

    def answer(self, retrieval: Retrieval) -> Draft:
        started = time.perf_counter()
        text = self.llm.complete(self.messages(retrieval))
        generated = time.perf_counter()
        draft = self.finish(text, retrieval)
        draft.timings_ms = {
            "generate": (generated - started) * 1000,
            "map_quotes": (time.perf_counter() - generated) * 1000,
        }
        return draft

    def stream(self, retrieval: Retrieval) -> Iterator[str]:
        """Text deltas with the prompt's numbering; pass the joined text to `finish`."""
        return self.llm.stream(self.messages(retrieval))

    def astream(self, retrieval: Retrieval) -> AsyncIterator[str]:
        return self.llm.astream(self.messages(retrieval))

    def finish(self, text: str, retrieval: Retrieval) -> Draft:
        """Map the model's markers to exact quotes and renumber them by first use."""
        sources = {i: hit for i, hit in enumerate(retrieval.hits, 1)}
        claims = [c for c in split_claims(text) if c.citations]
        quotes = self._best_quotes(claims, sources)

        numbers: dict[tuple[str, int, int], int] = {}  # (chunk id, start, end) -> new id
        citations: list[DraftCitation] = []
        first_for_source: dict[int, int] = {}
        by_claim: dict[tuple[int, int], int] = {}
        for claim in claims:
            for cid in claim.citations:
                quote = quotes.get((claim.index, cid)) if isinstance(cid, int) else None
                if quote is None:
                    continue
                key = (quote.chunk.id, quote.start, quote.end)
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                    citations.append(DraftCitation(numbers[key], quote.chunk, quote.start,
                                                   quote.end, sources[cid].score))
                by_claim[(claim.index, cid)] = numbers[key]
                first_for_source.setdefault(cid, numbers[key])
        invalid: dict[CitationId, int] = {}

        def renumber(cid: CitationId, position: int) -> list[CitationId]:
            claim = _claim_at(claims, position)
            if claim is not None and (claim.index, cid) in by_claim:
                return [by_claim[(claim.index, cid)]]
            if isinstance(cid, int) and cid in first_for_source:
                return [first_for_source[cid]]
            invalid.setdefault(cid, len(citations) + len(invalid) + 1)
            return [invalid[cid]]

        return Draft(rewrite_markers(text, renumber).strip() + "\n", citations, "llm")

    def _best_quotes(
        self, claims: list[Claim], sources: dict[int, Hit]
    ) -> dict[tuple[int, int], Quote]:
        """The best quote of each cited source for each claim citing it, one embedding call."""
        pairs = [
            (claim, cid) for claim in claims for cid in claim.citations
            if isinstance(cid, int) and cid in sources
        ]
        if not pairs:
            return {}
        candidates = {cid: every_quote(sources[cid].chunk) for _, cid in pairs}
        for cid, found in candidates.items():
            if not found:  # a chunk of one short line: quote it whole
                chunk = sources[cid].chunk
                candidates[cid] = [Quote(chunk, 0, len(chunk.text), ((0, len(chunk.text)),))]
        claim_list = list(dict.fromkeys(claim for claim, _ in pairs))
        order = sorted(candidates)
        flat = [q for cid in order for q in candidates[cid]]
        flat_vectors, claim_rows = self.vectors.embed(flat, [c.text for c in claim_list])
        claim_vectors = {claim.index: claim_rows[i] for i, claim in enumerate(claim_list)}
        quote_vectors, offset = {}, 0
        for cid in order:
            n = len(candidates[cid])
            quote_vectors[cid] = flat_vectors[offset : offset + n]
            offset += n
        out = {}
        for claim, cid in pairs:
            found = best_quote(claim.text, claim_vectors[claim.index], candidates[cid],
                               quote_vectors[cid])
            if found is not None:
                out[(claim.index, cid)] = found[0]
        return out


def format_sources(hits: list[Hit]) -> str:
    """Sources as <source id="n" ...> blocks; the text is escaped so it cannot close its fence."""
    blocks = []
    for i, hit in enumerate(hits, 1):
        chunk = hit.chunk
        section = " > ".join(chunk.heading_path[1:])
        attrs = f'id="{i}" title="{escape(chunk.title)}"'
        if section:
            attrs += f' section="{escape(section)}"'
        body = chunk.text.replace("</source", "&lt;/source").replace("<source", "&lt;source")
        blocks.append(f"<source {attrs}>\n{body}\n</source>")
    return "\n\n".join(blocks)


def _claim_at(claims: list[Claim], position: int) -> Claim | None:
    """The claim whose span holds `position` (markers sit inside their claim's span)."""
    for claim in claims:
        if claim.start <= position < claim.end:
            return claim
    return None

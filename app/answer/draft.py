"""What an answerer returns: answer markdown with [n] markers and the exact quotes behind them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from app.check.claims import MARKER, parse_markers
from app.check.models import CitationId
from app.retrieve import Retrieval
from ingest.records import Chunk

AnswerMode = Literal["extractive", "llm"]


@dataclass(frozen=True)
class DraftCitation:
    """One numbered citation: an exact quote of a chunk, located in the chunk and the document.

    Two quotes from the same chunk are two citations: each [n] points at the one
    sentence (or sentence pair) that backs the answer sentence carrying it.
    """

    id: int
    chunk: Chunk
    chunk_start: int  # offsets of the quote in chunk.text
    chunk_end: int
    score: float  # the chunk's fused retrieval score, 0..1

    @property
    def quote(self) -> str:
        return self.chunk.text[self.chunk_start : self.chunk_end]

    @property
    def start(self) -> int:
        """Offset of the quote in the document's text."""
        return self.chunk.start + self.chunk_start

    @property
    def end(self) -> int:
        return self.chunk.start + self.chunk_end


@dataclass
class Draft:
    """An answer before checking. Citations are numbered 1..n in order of first use."""

    answer: str
    citations: list[DraftCitation]
    mode: AnswerMode
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Set when the answerer asked for could not answer and another did: says why.
    notice: str | None = None

    def renumbered(self, answer: str | None = None) -> Draft:
        """This draft (or `answer`, an edited text of it) with citations renumbered by first
        use and uncited ones dropped; markers naming no citation are kept, numbered after."""
        text = self.answer if answer is None else answer
        by_id = {c.id: c for c in self.citations}
        used = dict.fromkeys(
            cid for marker in MARKER.finditer(text) for cid in parse_markers(marker.group(0))[1]
        )
        valid = [cid for cid in used if cid in by_id]
        order = {cid: n for n, cid in enumerate(valid + [c for c in used if c not in by_id], 1)}
        new_text = rewrite_markers(text, lambda cid, _pos: [order[cid]])
        citations = sorted(
            (
                DraftCitation(order[c.id], c.chunk, c.chunk_start, c.chunk_end, c.score)
                for c in self.citations
                if c.id in order
            ),
            key=lambda c: c.id,
        )
        return Draft(new_text, citations, self.mode, dict(self.timings_ms), self.notice)


class Answerer(Protocol):
    """Turns a retrieval into a cited draft answer."""

    mode: AnswerMode

    def answer(self, retrieval: Retrieval) -> Draft:
        """Answer `retrieval.query` from `retrieval.hits`, citing exact quotes."""
        ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An answerer whose text can be sent as it is written (the LLM's): `astream` gives the
    text deltas, `finish` turns the whole text into the draft, and `recover` gives the
    draft that replaces a stream that failed (None: the failure is not one it answers for)."""

    def astream(self, retrieval: Retrieval) -> AsyncIterator[str]: ...

    def finish(self, text: str, retrieval: Retrieval) -> Draft: ...

    def recover(self, retrieval: Retrieval, error: Exception) -> Draft | None: ...


def rewrite_markers(text: str, new_ids: Callable[[CitationId, int], list[CitationId]]) -> str:
    """Replace every citation marker in `text`: `new_ids(old_id, marker_offset)` gives the
    ids it becomes. "[1, 3]" becomes "[1][3]", the form every renderer understands."""

    def replace(match: re.Match[str]) -> str:
        ids: list[CitationId] = []
        for cid in parse_markers(match.group(0))[1]:
            for new in new_ids(cid, match.start()):
                if new not in ids:
                    ids.append(new)
        return "".join(f"[{i}]" for i in ids)

    return MARKER.sub(replace, text)

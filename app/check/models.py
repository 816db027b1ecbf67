"""The checker's contract: the sources it reads, the report it returns, the records judges exchange.

The pydantic models are part of the HTTP API (they appear in `/docs`), so each field says what it
means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

CitationId = int | str
"""What a `[n]` marker names: usually the 1-based number of a source in the answer."""

Verdict = Literal["supported", "partial", "unsupported", "not_a_claim"]
JudgeVerdict = Literal["supported", "partial", "unsupported"]
Reason = Literal[
    "number_mismatch",
    "negation",
    "entity_mismatch",
    "wrong_source",
    "extra_clause",
    "no_citation",
    "invalid_citation",
    "quote_not_found",
    "low_similarity",
]

REASON_TEXT: dict[str, str] = {
    "number_mismatch": "a number, percentage or amount differs from the source",
    "negation": "the sentence flips a negation in the source",
    "entity_mismatch": "a name, company or role does not match the source",
    "wrong_source": "the cited source does not support it, but another source does",
    "extra_clause": "part of the sentence is supported, another clause is not",
    "no_citation": "a factual sentence carries no citation",
    "invalid_citation": "the citation points to a source that does not exist",
    "quote_not_found": "the quoted text does not occur in the cited source",
    "low_similarity": "the cited source does not say this",
}


class SourceText(BaseModel):
    """One source the answer may cite: the text the citation marker refers to."""

    id: CitationId = Field(description="The id used in citation markers, e.g. 1 for `[1]`.")
    text: str = Field(description="The source passage (a retrieved chunk or a whole article).")
    url: str | None = Field(None, description="Where the passage comes from.")


class CitationCheck(BaseModel):
    """How one citation of one sentence fared."""

    id: CitationId = Field(description="The cited source id as written in the marker.")
    valid: bool = Field(description="False when no source has this id (an `invalid_citation`).")
    supports: bool = Field(description="This source alone fully supports the sentence.")
    irrelevant: bool = Field(
        description=(
            "ALCE: the citation does not support the sentence alone and removing it does not "
            "change whether the remaining citations support it. Invalid citations are irrelevant."
        )
    )
    quote: str | None = Field(None, description="The quote the answer attributed to this source.")
    quote_found: bool | None = Field(
        None, description="Whether that quote occurs in the source (None when no quote was given)."
    )


class SentenceCheck(BaseModel):
    """The verdict on one sentence (claim) of the answer."""

    index: int = Field(description="Position of the sentence in the answer, from 0.")
    text: str = Field(description="The sentence without its citation markers and list bullet.")
    start: int = Field(description="Offset of the sentence (with its markers) in the answer.")
    end: int = Field(description="End offset (exclusive) of the sentence in the answer.")
    citations: list[CitationId] = Field(description="Cited source ids, ranges expanded, in order.")
    verdict: Verdict = Field(
        description=(
            "supported: the cited sources together back every part of it; partial: only some of "
            "it or only loosely; unsupported: they do not; not_a_claim: a heading or connective."
        )
    )
    score: float | None = Field(
        None, ge=0, le=1, description="Support strength from the judge (None for non-claims)."
    )
    best_quote: str | None = Field(
        None,
        description="Exact substring of `best_source` that best matches the sentence.",
    )
    best_source: CitationId | None = Field(
        None,
        description=(
            "Source of `best_quote`: the best cited source, or the source that actually supports "
            "the sentence when the reason is wrong_source."
        ),
    )
    reason: Reason | None = Field(None, description="Why the sentence failed; None when it passed.")
    message: str | None = Field(None, description="A human-readable explanation of `reason`.")
    supported_by: CitationId | None = Field(
        None,
        description="Another provided source that supports the sentence (set for wrong_source and "
        "as a hint for uncited or invalidly cited sentences).",
    )
    citation_checks: list[CitationCheck] = Field(
        default_factory=list, description="One entry per citation, in marker order."
    )


class Problem(BaseModel):
    """One thing wrong with the answer, for display or for a retry prompt."""

    sentence_index: int = Field(description="Index of the sentence the problem is in.")
    reason: Reason = Field(description="Machine-readable problem code.")
    message: str = Field(description="What is wrong, in words.")
    citation: CitationId | None = Field(None, description="The citation concerned, if any.")


class CheckReport(BaseModel):
    """Citation accuracy of one answer, following ALCE's citation recall and precision."""

    sentences: list[SentenceCheck] = Field(description="Every segment of the answer, in order.")
    recall: float = Field(
        ge=0,
        le=1,
        description="Share of claims fully supported by their citations together (1 if no claims).",
    )
    precision: float = Field(
        ge=0,
        le=1,
        description="Share of citations that are not irrelevant (1 if there are no citations).",
    )
    partial_recall: float = Field(
        ge=0, le=1, description="Like recall, but a partial sentence counts 0.5."
    )
    passed: bool = Field(description="recall >= threshold and no citation names a missing source.")
    threshold: float = Field(description="The recall threshold used for `passed`.")
    judge: str = Field(description="Which judge produced the verdicts.")
    n_claims: int = Field(description="Sentences that make a claim.")
    n_citations: int = Field(description="Citations counted for precision.")
    problems: list[Problem] = Field(default_factory=list, description="Everything that failed.")
    strict_answer: str | None = Field(
        None, description="In strict mode: the answer with unsupported sentences removed."
    )


@dataclass(frozen=True)
class SupportQuery:
    """Ask a judge whether `cited` supports `claim`; `others` are candidates for misattribution."""

    claim: str
    cited: tuple[SourceText, ...]
    others: tuple[SourceText, ...] = ()


@dataclass(frozen=True)
class Judgement:
    """A judge's answer to one SupportQuery."""

    verdict: JudgeVerdict
    score: float
    reason: Reason | None = None
    message: str | None = None
    best_source: CitationId | None = None
    best_quote: str | None = None
    supported_by: CitationId | None = None

    @property
    def supported(self) -> bool:
        return self.verdict == "supported"

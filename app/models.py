"""Request and response models of the HTTP API: the contract that /docs shows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Mode = Literal["extractive", "llm", "auto"]

# Request bodies are validated strictly: `"strict": 0` or `"id": false` is a mistake to
# report, not a value to coerce into False or 0.
_REQUEST = ConfigDict(extra="forbid", strict=True)


def _has_words(text: str) -> str:
    """Refuse text with nothing to search for: blanks, NBSPs, punctuation only."""
    if not any(ch.isalnum() for ch in text):
        raise ValueError("must contain words, not only spaces or punctuation")
    return text


Question = Annotated[str, AfterValidator(_has_words)]


class ChatTurn(BaseModel):
    """One earlier turn of the conversation, so a follow-up can be understood."""

    model_config = _REQUEST

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(max_length=8000, description="What was said.")


class Filters(BaseModel):
    """Optional restrictions on which chunks may be retrieved."""

    model_config = _REQUEST

    site: str | None = Field(None, description="Host name, e.g. `blog.example.com`.")
    url_prefix: str | None = Field(None, description="Only URLs starting with this.")
    heading: str | None = Field(None, description="Case-insensitive text in the heading path.")


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far, filters and an answering mode."""

    model_config = ConfigDict(
        **_REQUEST,
        json_schema_extra={
            "examples": [
                {"question": "What do great staff engineers do?", "top_k": 8, "mode": "extractive"}
            ]
        },
    )

    question: Question = Field(
        min_length=1, max_length=2000,
        description="The question to answer (at most `CAREERQA_MAX_QUESTION_CHARS` characters "
        "and `CAREERQA_MAX_QUESTION_PARTS` separate questions).",
    )
    history: list[ChatTurn] = Field(
        default_factory=list, max_length=40, description="Earlier turns, oldest first."
    )
    top_k: int | None = Field(None, ge=1, le=50, description="How many chunks to retrieve.")
    mode: Mode | None = Field(None, description="Answering mode; the server default if omitted.")
    filters: Filters | None = None
    strict: bool | None = Field(None, description="Drop sentences the check finds unsupported.")


class CitationQuote(BaseModel):
    """One exact quote of a cited article; the article's sentences may rely on several."""

    quote: str = Field(description="Exact text from the source chunk.")
    fragment_url: str = Field(description="URL with a `#:~:text=` fragment scrolling to the quote.")
    start: int = Field(description="Offset of the quote in the source document's text.")
    end: int
    chunk_id: str
    chunk_start: int = Field(description="Offset of the quote within the chunk text.")
    chunk_end: int
    heading_path: list[str] = Field(default_factory=list)


class Citation(BaseModel):
    """A numbered source (one article) that the answer cites, with the exact quotes it
    relies on. The top-level quote fields are its first quote; `quotes` lists them all, in
    order of first use."""

    id: int = Field(description="The number used in `[n]` markers: one per article, in order "
                                "of first use.")
    url: str
    fragment_url: str = Field(description="URL with a `#:~:text=` fragment scrolling to the quote.")
    title: str
    author: str | None = None
    published: str | None = None
    heading_path: list[str] = Field(default_factory=list)
    quote: str = Field(description="Exact text from the source chunk.")
    start: int = Field(description="Offset of the quote in the source document's text.")
    end: int
    chunk_id: str
    chunk_start: int = Field(description="Offset of the quote within the chunk text.")
    chunk_end: int
    score: float = Field(description="Retrieval score of the chunk (fused, 0..1).")
    content_hash: str = Field(description="Version of the source the quote was read from.")
    fetched_at: str
    quotes: list[CitationQuote] = Field(
        default_factory=list, description="Every quote of this article the answer relies on.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "url": "https://example.org/articles/ownership.html",
                    "fragment_url": "https://example.org/articles/ownership.html#:~:text=own%20outcomes",
                    "title": "Owning Outcomes, Not Tickets",
                    "author": "Priya Raman",
                    "published": "2025-03-02",
                    "heading_path": ["Owning Outcomes, Not Tickets", "Closing the loop"],
                    "quote": "Staff engineers own outcomes.",
                    "start": 120,
                    "end": 149,
                    "chunk_id": "3f2a9c",
                    "chunk_start": 0,
                    "chunk_end": 29,
                    "score": 0.82,
                    "content_hash": "9b1d0e...",
                    "fetched_at": "2026-11-24T10:00:00+00:00",
                }
            ]
        }
    )


class SentenceQuote(BaseModel):
    """The exact text a sentence's `[n]` relies on, and where it is in the document."""

    citation: int
    quote: str
    start: int
    end: int


class AnswerSentence(BaseModel):
    """One claim of the answer with the citation check's verdict on it."""

    text: str = Field(description="The sentence as it appears in the answer (with markers).")
    citations: list[int] = Field(description="Citation ids the sentence carries.")
    supported: bool = Field(description="The check's verdict for this sentence.")
    verdict: str = Field(description="supported | partial | unsupported")
    score: float
    reason: str | None = Field(None, description="Why it failed, when it did.")
    quotes: list[SentenceQuote] = Field(
        default_factory=list, description="The exact quote behind each of the sentence's markers.")


class Relevance(BaseModel):
    """Whether the answer contains what the question asks for (a cited answer can still
    miss the question: the right page, the wrong sentence)."""

    answers_question: bool
    score: float = Field(description="0..1; how much of what is asked the answer holds.")
    reason: str


class AskResponse(BaseModel):
    """A cited answer: `[n]` markers in `answer` name `citations` by id, each with its quote."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "Here is what the sources say about how the Portal team reduced "
                              "video call drops:\n\n### The result\n- Video call drops on "
                              "Portal fell by 5% across the fleet. [1]\n",
                    "sentences": [{
                        "text": "- Video call drops on Portal fell by 5% across the fleet. [1]",
                        "citations": [1], "supported": True, "verdict": "supported",
                        "score": 1.0, "reason": None,
                    }],
                    "citations": [Citation.model_config["json_schema_extra"]["examples"][0]],
                    "citation_check": {"recall": 1.0, "precision": 1.0, "passed": True,
                                       "problems": [], "judge": "offline"},
                    "covered": True,
                    "uncovered": [],
                    "question": "How did the Portal team reduce video call drops?",
                    "mode": "extractive",
                    "degraded": False,
                    "notice": None,
                    "timings_ms": {"condense": 0.01, "retrieve": 41.2, "answer": 120.5,
                                   "check": 35.8, "total": 197.6},
                }
            ]
        }
    )

    answer: str = Field(description="Markdown answer with `[n]` markers.")
    sentences: list[AnswerSentence]
    citations: list[Citation]
    citation_check: dict[str, Any] = Field(
        description="recall, precision, passed, problems (see /v1/check)."
    )
    covered: bool | Literal["partial"] = Field(
        description="False when the sources do not cover the question; \"partial\" when they "
                    "cover part of it (the answer names the rest, see `uncovered`).")
    uncovered: list[str] = Field(
        default_factory=list, description="Parts of the question that found no support."
    )
    question: str = Field(description="The question in the visitor's words.")
    standalone_question: str | None = Field(
        None, description="A follow-up rewritten to stand alone, as it was searched; None "
                          "when the question was searched as asked.")
    relevance: Relevance | None = Field(
        None, description="Does the answer contain what the question asks for?")
    mode: Literal["extractive", "llm"]
    degraded: bool = Field(description="True when the LLM failed and extractive answered.")
    notice: str | None = None
    timings_ms: dict[str, float]


class CheckSource(BaseModel):
    """A source the checked answer cites; `id` is what its `[n]` markers name."""

    model_config = _REQUEST

    id: int | str
    text: str = Field(
        description="The source text; up to `CAREERQA_CHECK_MAX_SOURCE_CHARS` characters "
        "(default 1,000,000; longer is a 413)."
    )
    url: str | None = None


class CheckRequest(BaseModel):
    """An answer with `[n]` markers and the sources those markers name."""

    model_config = ConfigDict(
        **_REQUEST,
        json_schema_extra={
            "examples": [
                {
                    "answer": "The team cut call drops by 5% [1].",
                    "sources": [{"id": 1, "text": "The effort reduced dropped calls by 5%."}],
                }
            ]
        },
    )

    answer: str = Field(min_length=1, max_length=20_000)
    sources: list[CheckSource] = Field(min_length=1, max_length=50)
    quotes: dict[str, str] | None = Field(
        None, description="Optional exact quote per citation id, checked against its source."
    )


class FeedbackRequest(BaseModel):
    """A reader's verdict on an answer, or a flag on one citation that misquotes its source."""

    model_config = ConfigDict(
        **_REQUEST,
        json_schema_extra={
            "examples": [
                {"rating": "down", "question": "q", "answer": "a", "comment": "wrong number"}
            ]
        },
    )

    rating: Literal["up", "down", "flag"] = Field(
        description="Thumbs up/down, or `flag`: this source doesn't say that."
    )
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20_000)
    comment: str | None = Field(None, max_length=2000)
    citation: Citation | None = Field(None, description="The flagged citation, for `flag`.")
    sentence: str | None = Field(None, max_length=2000)


class FeedbackResponse(BaseModel):
    """The stored feedback's id."""

    id: int
    stored: bool = True


class ErrorResponse(BaseModel):
    """Every error of the API (except the OpenAI-compatible routes) has this shape."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "error": "validation_error",
        "message": "Invalid request: question: String should have at least 1 character",
        "details": [{"field": "question",
                     "message": "String should have at least 1 character"}],
    }]})

    error: str = Field(description="Machine-readable code, e.g. `validation_error`.")
    message: str = Field(description="What was wrong, for a person.")
    details: list[dict[str, Any]] | None = None

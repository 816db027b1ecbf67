"""Which answerer serves each answering mode, built once from the settings.

A request asks for `extractive`, `llm` or `auto` (the setting `answer_mode` when it names
none). `answer_modes` builds the answerers and condensers for the modes this service can
offer; `AnswerModes.choose` maps a request's mode to one `Choice`. The service calls the
chosen answerer through the `Answerer` protocol and never looks at the mode itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.draft import Answerer, AnswerMode
from app.answer.extractive import ExtractiveAnswerer
from app.answer.fallback import FallbackAnswerer
from app.answer.llm import LLMAnswerer
from app.answer.vectors import QuoteVectors
from app.condense import Condenser, LLMCondenser, RuleCondenser
from app.llm import ChatClient
from app.prompts import load_prompt
from core.settings import Settings
from ingest.embed import Embedder

NO_LLM_NOTICE = "No language model is configured; this answer quotes the sources."


@dataclass(frozen=True)
class Choice:
    """What answers one request: the answerer, the condenser of follow-up questions, and,
    when the mode asked for is not configured here, the notice that says so."""

    answerer: Answerer
    condenser: Condenser
    notice: str | None = None

    @property
    def mode(self) -> AnswerMode:
        return self.answerer.mode


class AnswerModes:
    """The choice for each mode; `llm` is None when no language model is configured."""

    def __init__(self, extractive: Choice, llm: Choice | None = None, *,
                 auto_is_llm: bool = False) -> None:
        self.extractive = extractive
        self.llm = llm
        self.auto_is_llm = auto_is_llm and llm is not None
        self._stand_in = Choice(extractive.answerer, extractive.condenser, NO_LLM_NOTICE)

    def choose(self, mode: str) -> Choice:
        """The choice for `mode`: `auto` is the LLM where one is configured; `llm` without
        one is answered extractively, with a notice."""
        if mode == "auto":
            mode = "llm" if self.auto_is_llm else "extractive"
        if mode == "llm":
            return self.llm or self._stand_in
        return self.extractive


def answer_modes(settings: Settings, embedder: Embedder, llm: ChatClient | None = None,
                 vectors: QuoteVectors | None = None) -> AnswerModes:
    """The answerers this service offers: always extractive; the LLM's, falling back to
    extractive on its failures, when a chat client is given."""
    # Shared: both answerers embed the same chunks' sentences.
    vectors = vectors or QuoteVectors(embedder)
    rules = RuleCondenser()
    extractive = Choice(ExtractiveAnswerer(embedder, vectors=vectors), rules)
    if llm is None:
        return AnswerModes(extractive)
    answerer = LLMAnswerer(llm, embedder, load_prompt(settings, "answer"), vectors=vectors)
    chosen = Choice(FallbackAnswerer(answerer, extractive.answerer),
                    LLMCondenser(llm, load_prompt(settings, "condense"), rules))
    # `auto` means the LLM only where the settings name one (a client handed in by a
    # caller whose settings name none serves explicit `llm` requests alone).
    return AnswerModes(extractive, chosen, auto_is_llm=bool(settings.llm_base_url))

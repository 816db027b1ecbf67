"""An LLM answer that falls back to a quoting one: a model that fails never fails a request.

`FallbackAnswerer` answers with its first answerer (the LLM's) and, when that raises an
`LLMError` (timeout, HTTP error, unusable reply), with its fallback (the extractive
answerer), marking the draft with a notice that says why. Streaming works the same way:
a stream that fails part-way is recovered with the fallback's draft.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from app.answer.draft import Answerer, AnswerMode, Draft
from app.answer.llm import LLMAnswerer
from app.llm import LLMError
from app.retrieve import Retrieval

log = logging.getLogger("careerqa.service")


class FallbackAnswerer:
    """The LLM answerer, with the extractive answerer standing by for its failures."""

    def __init__(self, primary: LLMAnswerer, fallback: Answerer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.mode: AnswerMode = primary.mode

    def answer(self, retrieval: Retrieval) -> Draft:
        try:
            return self.primary.answer(retrieval)
        except LLMError as exc:
            return self._fall_back(retrieval, exc)

    def astream(self, retrieval: Retrieval) -> AsyncIterator[str]:
        return self.primary.astream(retrieval)

    def finish(self, text: str, retrieval: Retrieval) -> Draft:
        return self.primary.finish(text, retrieval)

    def recover(self, retrieval: Retrieval, error: Exception) -> Draft | None:
        return self._fall_back(retrieval, error) if isinstance(error, LLMError) else None

    def _fall_back(self, retrieval: Retrieval, exc: LLMError) -> Draft:
        log.warning("LLM answer failed (%s: %s); answering extractively", exc.reason, exc)
        draft = self.fallback.answer(retrieval)
        draft.notice = (f"The language model was unavailable ({exc.reason}); "
                        "this answer quotes the sources instead.")
        return draft

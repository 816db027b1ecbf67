"""The Judge protocol all verdict-makers implement, and `make_judge`, which picks one by settings.

A judge answers, for a batch of claims, "do these cited sources support this sentence, and if not,
does one of these other sources?". Batching lets the offline judge embed everything in one call
and lets model-backed judges send one request per batch if they can.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from app.check.llm_judge import LLMJudge
from app.check.models import Judgement, SupportQuery
from app.check.nli import NLIJudge
from app.check.offline import OfflineJudge

if TYPE_CHECKING:
    from core.settings import Settings
    from ingest.embed import Embedder

log = logging.getLogger(__name__)


class Judge(Protocol):
    """Decides whether sources support claims."""

    name: str

    def judge(self, queries: Sequence[SupportQuery]) -> list[Judgement]:
        """One Judgement per query, in order."""
        ...


class ChatModel(Protocol):
    """The one call LLMJudge needs from an OpenAI-compatible chat endpoint."""

    def complete(self, messages: list[dict[str, str]], *, temperature: float = 0.0) -> str:
        """Return the assistant's reply to `messages`; raise on transport errors or timeouts."""
        ...


def make_judge(
    settings: Settings, embedder: Embedder | None, chat: ChatModel | None = None
) -> Judge:
    """The judge `settings.judge` names; the offline judge when that one cannot be built."""
    offline = OfflineJudge(embedder)
    if settings.judge == "nli":
        if not settings.nli_model:
            log.warning("judge=nli but no nli_model is set; using the offline judge")
            return offline
        try:
            return NLIJudge(settings.nli_model, diagnostics=OfflineJudge(None))
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning(
                "could not load NLI model %s (%s); using the offline judge", settings.nli_model, exc
            )
            return offline
    if settings.judge == "llm":
        if chat is None:
            log.warning("judge=llm but no chat model was provided; using the offline judge")
            return offline
        return LLMJudge(chat, fallback=offline)
    return offline

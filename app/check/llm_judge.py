"""LLMJudge: asks a chat model (any OpenAI-compatible endpoint) for a JSON verdict per sentence.

Models wrap JSON in prose or code fences, invent quotes and mistype ids, so the reply is parsed
leniently and then validated against the sources: a quote that is not an exact substring is
replaced by the lexical alignment, an unknown source id is dropped. Any failure — transport error,
timeout, unparseable reply — falls back to the offline judge for that sentence.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from app.check.models import CitationId, Judgement, JudgeVerdict, Reason, SourceText, SupportQuery
from app.check.offline import OfflineJudge

if TYPE_CHECKING:
    from app.check.judges import ChatModel, Judge

log = logging.getLogger(__name__)

PROMPT_PATH = Path(__file__).with_name("judge_prompt.txt")
JUDGE_REASONS = frozenset(get_args(Reason)) - {"no_citation", "invalid_citation", "quote_not_found"}
VERDICT_WORDS: dict[str, JudgeVerdict] = {
    "supported": "supported",
    "yes": "supported",
    "true": "supported",
    "entailed": "supported",
    "fully_supported": "supported",
    "partial": "partial",
    "partially_supported": "partial",
    "partly_supported": "partial",
    "unsupported": "unsupported",
    "not_supported": "unsupported",
    "no": "unsupported",
    "false": "unsupported",
    "contradicted": "unsupported",
}


class JudgeReplyError(ValueError):
    """The chat model's reply held no usable verdict."""


def parse_reply(reply: str) -> dict[str, Any]:
    """The first JSON object in `reply`, despite code fences, surrounding prose, trailing commas."""
    text = re.sub(r"```(?:json)?", "", reply)
    start = text.find("{")
    if start < 0:
        raise JudgeReplyError(f"no JSON object in reply: {reply[:120]!r}")
    depth, in_string, escaped = 0, False, False
    for i, char in enumerate(text[start:], start):
        if in_string:
            escaped = char == "\\" and not escaped
            if char == '"' and not escaped:
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                body = re.sub(r",\s*([}\]])", r"\1", text[start : i + 1])
                try:
                    data = json.loads(body)
                except json.JSONDecodeError as exc:
                    raise JudgeReplyError(f"bad JSON in reply: {exc}") from exc
                if not isinstance(data, dict):
                    raise JudgeReplyError("reply JSON is not an object")
                return data
    raise JudgeReplyError("unterminated JSON object in reply")


class LLMJudge:
    """Verdicts from a chat model, validated against the sources, with an offline fallback."""

    name = "llm"

    def __init__(
        self, chat: ChatModel, *, fallback: Judge | None = None, prompt: str | None = None
    ) -> None:
        self.chat = chat
        self.fallback: Judge = fallback or OfflineJudge(None)
        self.prompt = prompt or PROMPT_PATH.read_text(encoding="utf-8")
        self._lexical = OfflineJudge(None)

    def judge(self, queries: Sequence[SupportQuery]) -> list[Judgement]:
        results: list[Judgement | None] = []
        failed: dict[int, str] = {}
        unreachable: str | None = None
        for i, query in enumerate(queries):
            if unreachable is not None:
                # One timeout or connection error is enough: don't wait on it once per sentence.
                failed[i] = unreachable
                results.append(None)
                continue
            try:
                reply = self.chat.complete(self.messages(query), temperature=0.0)
                results.append(self._judgement(query, parse_reply(reply)))
            except JudgeReplyError as exc:
                log.warning("LLM judge reply unusable (%s); using the offline judge", exc)
                failed[i] = f"unusable reply: {exc}"
                results.append(None)
            except Exception as exc:  # any transport failure or timeout: the endpoint is down
                log.warning("LLM judge unreachable (%r); using the offline judge", exc)
                failed[i] = unreachable = f"{type(exc).__name__}: {exc}"
                results.append(None)
        if failed:
            backup = self.fallback.judge([queries[i] for i in failed])
            for (i, error), judgement in zip(failed.items(), backup, strict=True):
                note = f"offline verdict (LLM judge failed: {error[:100]})"
                message = f"{judgement.message}; {note}" if judgement.message else note
                results[i] = replace(judgement, message=message)
        return [r for r in results if r is not None]

    def messages(self, query: SupportQuery) -> list[dict[str, str]]:
        def block(sources: Sequence[SourceText]) -> str:
            return "\n\n".join(f"[{s.id}] {s.text}" for s in sources) or "(none)"

        user = (
            f"Sentence: {query.claim}\n\nCited sources:\n{block(query.cited)}\n\n"
            f"Other sources:\n{block(query.others)}\n\nReply with the JSON object only."
        )
        return [{"role": "system", "content": self.prompt}, {"role": "user", "content": user}]

    def _judgement(self, query: SupportQuery, data: dict[str, Any]) -> Judgement:
        verdict = VERDICT_WORDS.get(str(data.get("verdict", "")).strip().lower().replace(" ", "_"))
        if verdict is None:
            raise JudgeReplyError(f"unknown verdict {data.get('verdict')!r}")
        others = {str(s.id): s for s in query.others}
        supported_by = _lookup(data.get("supported_by"), others)
        reason = data.get("reason") if data.get("reason") in JUDGE_REASONS else None
        if verdict != "supported":
            if supported_by is not None:
                reason = "wrong_source"
            elif reason in (None, "wrong_source"):
                reason = "low_similarity"
        else:
            reason, supported_by = None, None
        score = data.get("score")
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            score = {"supported": 1.0, "partial": 0.5, "unsupported": 0.0}[verdict]
        best_source, best_quote = self._quote(query, data, supported_by)
        return Judgement(
            verdict=verdict,
            score=float(score),
            reason=reason,
            message=str(data.get("explanation") or "") or None,
            best_source=best_source,
            best_quote=best_quote,
            supported_by=supported_by,
        )

    def _quote(
        self, query: SupportQuery, data: dict[str, Any], supported_by: CitationId | None
    ) -> tuple[CitationId | None, str | None]:
        """The model's quote if it really occurs in a source, else the lexical alignment's."""
        pool = {str(s.id): s for s in (*query.cited, *query.others)}
        quote = data.get("quote")
        source = pool.get(str(data.get("source")))
        if isinstance(quote, str) and quote.strip():
            for candidate in ([source] if source else []) + list(pool.values()):
                if quote.strip() in candidate.text:
                    return candidate.id, quote.strip()
        cited = [s for s in query.others if s.id == supported_by] or list(query.cited)
        lexical = self._lexical.judge([SupportQuery(query.claim, tuple(cited))])[0]
        return lexical.best_source, lexical.best_quote


def _lookup(value: Any, sources: dict[str, SourceText]) -> CitationId | None:
    if value is None:
        return None
    key = str(value).strip().strip("[]")
    return sources[key].id if key in sources else None

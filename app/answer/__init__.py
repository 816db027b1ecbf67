"""Answerers: turn a retrieval into a draft answer whose [n] markers point at exact quotes.

`ExtractiveAnswerer` (no LLM, the default) and `LLMAnswerer` both return a `Draft`;
the service checks every draft's citations before it is sent.
"""

from app.answer.draft import Answerer, AnswerMode, Draft, DraftCitation
from app.answer.extractive import ExtractiveAnswerer
from app.answer.llm import LLMAnswerer

__all__ = ["Answerer", "AnswerMode", "Draft", "DraftCitation", "ExtractiveAnswerer", "LLMAnswerer"]

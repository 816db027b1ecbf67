"""Each answering mode's answerer comes from one factory (`app.answer.modes`) and answers
through the `Answerer` protocol: extractive offline, the LLM's against a real local server
speaking the OpenAI protocol, and the extractive answer in its place when the LLM fails."""

from __future__ import annotations

import asyncio

import pytest

from app.answer.draft import StreamingAnswerer
from app.answer.modes import NO_LLM_NOTICE, answer_modes
from app.check import CitationChecker
from app.llm import OpenAIChat
from app.models import AskRequest
from app.retrieve import HybridRetriever, Retrieval
from app.service import AskService
from core.settings import Settings
from tests.openai_server import RESULT, WIFI, Reply, source_saying

QUESTION = "How did the Portal team reduce video call drops?"


@pytest.fixture(scope="module")
def retrieval(sample_store, embedder, sample_settings) -> Retrieval:
    return HybridRetriever(sample_store, embedder, sample_settings).retrieve(QUESTION)


@pytest.fixture(scope="module")
def llm_settings(fake_llm) -> Settings:
    return Settings(_env_file=None, llm_base_url=fake_llm.base_url, llm_model="scripted",
                    llm_timeout=1.0)


def _quotes_are_exact(draft) -> bool:
    return bool(draft.citations) and all(c.quote and c.quote in c.chunk.text
                                         for c in draft.citations)


def test_without_a_model_every_mode_answers_extractively_and_llm_says_why(
        sample_settings, embedder, retrieval):
    modes = answer_modes(sample_settings, embedder)
    for mode in ("extractive", "auto"):
        choice = modes.choose(mode)
        draft = choice.answerer.answer(retrieval)
        assert (choice.mode, choice.notice, draft.mode) == ("extractive", None, "extractive")
        assert _quotes_are_exact(draft) and draft.notice is None
    stand_in = modes.choose("llm")
    assert stand_in.mode == "extractive" and stand_in.notice == NO_LLM_NOTICE
    assert _quotes_are_exact(stand_in.answerer.answer(retrieval))


def test_llm_mode_asks_the_model_and_maps_its_markers_to_exact_quotes(
        llm_settings, embedder, retrieval, fake_llm):
    fake_llm.requests.clear()
    fake_llm.reply = lambda body: Reply(
        f"Many drops traced back to unstable Wi-Fi [{source_saying(body, WIFI)}]. "
        f"Video call drops fell by 5% across the fleet [{source_saying(body, RESULT)}].")
    modes = answer_modes(llm_settings, embedder, OpenAIChat.from_settings(llm_settings))
    for mode in ("llm", "auto"):  # auto is the model where the settings name one
        choice = modes.choose(mode)
        assert isinstance(choice.answerer, StreamingAnswerer)
        draft = choice.answerer.answer(retrieval)
        assert draft.mode == "llm" and draft.notice is None and _quotes_are_exact(draft)
    assert len(fake_llm.requests) == 2
    assert modes.choose("extractive").answerer.answer(retrieval).mode == "extractive"
    assert len(fake_llm.requests) == 2  # extractive never reaches the model


def test_a_client_without_a_configured_url_serves_only_explicit_llm_requests(
        llm_settings, sample_settings, embedder):
    modes = answer_modes(sample_settings, embedder, OpenAIChat.from_settings(llm_settings))
    assert modes.choose("auto").mode == "extractive"
    assert modes.choose("llm").mode == "llm"


def test_a_failing_model_is_replaced_by_the_extractive_answer_with_the_reason(
        llm_settings, embedder, retrieval, fake_llm):
    fake_llm.reply = lambda body: Reply("overloaded", status=503)
    answerer = answer_modes(llm_settings, embedder,
                            OpenAIChat.from_settings(llm_settings)).choose("llm").answerer
    draft = answerer.answer(retrieval)
    assert draft.mode == "extractive" and _quotes_are_exact(draft)
    assert "http_status" in (draft.notice or "")

    async def stream_then_recover():
        try:
            async for _ in answerer.astream(retrieval):
                pass
        except Exception as exc:  # what the service does with a failed stream
            return answerer.recover(retrieval, exc)
        return None

    recovered = asyncio.run(stream_then_recover())
    assert recovered is not None and recovered.mode == "extractive"
    assert "http_status" in (recovered.notice or "")
    assert answerer.recover(retrieval, ValueError("not the model's")) is None


def test_the_service_answers_through_the_factory_it_is_given(
        llm_settings, sample_store, embedder, fake_llm):
    fake_llm.reply = lambda body: Reply("overloaded", status=503)
    modes = answer_modes(llm_settings, embedder, OpenAIChat.from_settings(llm_settings))
    service = AskService(llm_settings, sample_store, embedder,
                         CitationChecker.from_settings(llm_settings, embedder), modes=modes)
    response = service.ask(AskRequest(question=QUESTION, mode="llm"))
    assert response.degraded and response.mode == "extractive" and response.citations
    assert "http_status" in (response.notice or "")
    offline = AskService(llm_settings, sample_store, embedder,
                         CitationChecker.from_settings(llm_settings, embedder))
    response = offline.ask(AskRequest(question=QUESTION, mode="llm"))
    assert response.degraded and response.notice == NO_LLM_NOTICE

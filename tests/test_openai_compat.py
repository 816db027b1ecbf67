"""The OpenAI-compatible routes, driven by the official `openai` SDK as chat UIs drive them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from app.main import create_app
from app.models import AskResponse
from app.routes.openai_compat import with_footnotes
from tests.corpus_fixture import SAMPLE_BASE_URL
from tests.widget_support import run_service

PORTAL = "How did the Portal team reduce video call drops?"
PORTAL_PAGE = SAMPLE_BASE_URL + "case-studies/portal-video-calling-reliability.html"
FOOTNOTE = re.compile(r'^\[\^(\d+)\]: \[(.+)\]\((\S+)\) — "(.+)"$', re.MULTILINE)


@pytest.fixture(scope="module")
def sdk(client) -> openai.OpenAI:
    """The SDK over the in-process app (a TestClient is an httpx client)."""
    return openai.OpenAI(base_url=f"{client.base_url}/v1", api_key="unused", http_client=client)


@pytest.fixture(scope="module")
def completion(sdk):
    return sdk.chat.completions.create(
        model="careerqa",
        messages=[{"role": "system", "content": "Answer briefly."},
                  {"role": "user", "content": PORTAL}],
    )


@pytest.fixture(scope="module")
def served_sdk(sample_settings, embedder) -> Iterator[openai.OpenAI]:
    """The SDK over a real socket: uvicorn in a thread, httpx in the SDK."""
    with run_service(create_app(sample_settings, embedder=embedder)) as url, \
            httpx.Client(timeout=60) as http:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", http_client=http)


def extra(obj: Any) -> dict[str, Any]:
    return obj.model_extra or {}


def test_models_are_the_answering_modes(sdk):
    models = sdk.models.list()
    assert [m.id for m in models.data] == ["careerqa", "careerqa-extractive", "careerqa-llm"]
    assert all(m.object == "model" and m.owned_by == "careerqa" for m in models.data)


def test_completion_parses_and_carries_the_answer_with_footnotes(completion):
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and completion.model == "careerqa"
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert completion.usage.total_tokens == (completion.usage.prompt_tokens
                                             + completion.usage.completion_tokens) > 0

    content = choice.message.content
    citations = extra(completion)["citations"]
    assert PORTAL_PAGE in {c["url"] for c in citations}
    notes = FOOTNOTE.findall(content)
    assert [(int(n), title, url, quote) for n, title, url, quote in notes] == [
        (c["id"], c["title"], c["fragment_url"], c["quote"]) for c in citations
    ]
    body = content.split("\n\n[^1]:")[0]
    assert sorted({int(n) for n in re.findall(r"\[\^(\d+)\]", body)}) == [
        c["id"] for c in citations
    ]
    assert not re.search(r"(?<!\^)\[\d+\]", body)  # every marker became a footnote


def test_completion_extra_fields_hold_the_check_and_the_plain_answer(completion):
    fields = extra(completion)
    assert fields["citation_check"]["passed"]
    assert fields["careerqa"]["mode"] == "extractive" and fields["careerqa"]["covered"]
    plain = fields["careerqa"]["answer"]
    footnoted = completion.choices[0].message.content.split("\n\n[^1]:")[0]
    assert re.sub(r"\[(\d+)\]", r"[^\1]", plain).strip() == footnoted.strip()


def test_streaming_completion_parses_and_adds_up_to_the_same_answer(sdk, completion):
    chunks = list(sdk.chat.completions.create(
        model="careerqa", messages=[{"role": "user", "content": PORTAL}], stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len(chunks) > 3 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == completion.choices[0].message.content
    assert extra(chunks[-1])["citations"] == extra(completion)["citations"]


def test_streaming_over_a_real_socket(served_sdk, completion):
    stream = served_sdk.chat.completions.create(
        model="careerqa-extractive", messages=[{"role": "user", "content": PORTAL}],
        stream=True)
    chunks = list(stream)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == (
        completion.choices[0].message.content)


def test_content_parts_and_history_are_understood(sdk):
    response = sdk.chat.completions.create(model="careerqa", messages=[
        {"role": "user", "content": [{"type": "text", "text": PORTAL}]},
        {"role": "assistant", "content": "Many drops traced back to unstable Wi-Fi. [^1]"},
        {"role": "user", "content": [{"type": "text", "text": "How did they detect them?"}]},
    ])
    assert PORTAL_PAGE in {c["url"] for c in extra(response)["citations"]}


def test_out_of_scope_question_says_it_is_not_covered(sdk):
    response = sdk.chat.completions.create(
        model="careerqa", messages=[{"role": "user", "content": "What is a good sourdough "
                                                                "hydration?"}])
    assert response.choices[0].message.content.startswith("My sources don't cover")
    assert extra(response)["citations"] == [] and not extra(response)["careerqa"]["covered"]


def test_llm_model_without_a_configured_llm_answers_extractively_and_says_so(sdk):
    response = sdk.chat.completions.create(
        model="careerqa-llm", messages=[{"role": "user", "content": "What is SizeBot?"}])
    state = extra(response)["careerqa"]
    assert state["mode"] == "extractive" and state["degraded"] is True
    assert extra(response)["citations"]


def test_unknown_model_is_a_404_the_sdk_can_read(sdk, client):
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
    error = caught.value
    assert error.status_code == 404 and error.code == "model_not_found" and error.param == "model"
    assert "Unknown model 'gpt-4'" in error.message and "careerqa-extractive" in error.message

    raw = client.post("/v1/chat/completions",
                      json={"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]})
    assert raw.status_code == 404 and raw.headers["content-type"] == "application/json"
    assert raw.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("messages", [
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
    [{"role": "system", "content": "Be brief."}],
    [{"role": "user", "content": "   "}],
])
def test_last_message_must_be_a_user_question(sdk, messages):
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        sdk.chat.completions.create(model="careerqa", messages=messages)
    assert caught.value.status_code == 422 and caught.value.param == "messages"
    assert "last message must be a user turn" in caught.value.message


def test_malformed_request_is_a_422_naming_the_field(client):
    response = client.post("/v1/chat/completions", json={"model": "careerqa", "messages": []})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["param"] == "messages"
    assert "messages: " in error["message"]


def test_footnotes_from_hostile_page_titles_and_quotes_are_plain_text():
    example = AskResponse.model_config["json_schema_extra"]["examples"][0]
    citation = {**example["citations"][0],
                "title": "Runbook](javascript:alert(1)) <img src=x onerror=alert(1)>",
                "quote": "Click [here](javascript:alert(2)) <script>x</script>now."}
    response = AskResponse.model_validate({**example, "citations": [citation]})

    content = with_footnotes(response)

    assert "javascript:" not in content and "<img" not in content and "<script" not in content
    assert "[^1]" in content and "now." in content


def test_llm_model_without_a_language_model_says_so_in_the_message(sdk):
    completion = sdk.chat.completions.create(
        model="careerqa-llm", messages=[{"role": "user", "content": PORTAL}])

    content = completion.choices[0].message.content
    assert extra(completion)["careerqa"]["degraded"] is True
    assert content.startswith("*No language model is configured; this answer quotes the sources.*")
    assert FOOTNOTE.search(content)

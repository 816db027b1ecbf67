"""Bad requests are 4xx naming the field: blank and costly questions, loose types, the spec."""

from __future__ import annotations

import pytest

BLANKS = ["   ", "\n", "\u00a0", "\t \u00a0\n", "?!"]


@pytest.mark.parametrize("question", BLANKS)
def test_blank_question_is_422_naming_the_field(client, question):
    response = client.post("/v1/ask", json={"question": question})

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["details"][0]["field"] == "question"
    assert "words" in body["details"][0]["message"]


@pytest.mark.parametrize("question", BLANKS[:3])
def test_blank_question_on_the_stream_is_422_before_any_event(client, question):
    response = client.post("/v1/ask/stream", json={"question": question})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json()["details"][0]["field"] == "question"


def test_blank_chat_completion_question_is_422_in_openai_shape(client):
    response = client.post("/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": "?? !!"}]})

    assert response.status_code == 422
    assert response.json()["error"]["param"] == "messages"


def test_question_with_too_many_parts_is_422_saying_so(client, sample_settings):
    many = "; ".join(f"what is the role of team {n} in incident review" for n in range(12))

    for path in ("/v1/ask", "/v1/ask/stream"):
        response = client.post(path, json={"question": many})
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert body["error"] == "question_too_complex"
        assert body["details"] == [{"field": "question", "message": body["message"]}]
        assert f"more than the {sample_settings.max_question_parts} allowed" in body["message"]


def test_overlong_question_is_422_saying_so(client, sample_settings):
    long = "How do staff engineers " + "really " * sample_settings.max_question_chars

    response = client.post("/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": long[:1900]}]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "question_too_complex"
    assert "characters" in response.json()["error"]["message"]


def test_a_question_within_the_caps_is_answered(client):
    response = client.post(
        "/v1/ask", json={"question": "What is SizeBot and how did Robinhood train on-call?"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/ask", {"question": "What is SizeBot?", "strict": 0}, "strict"),
    ("/v1/ask", {"question": "What is SizeBot?", "top_k": "3"}, "top_k"),
    ("/v1/ask", {"question": "What is SizeBot?", "top_k": 3.0}, "top_k"),
    ("/v1/ask", {"question": 42}, "question"),
    ("/v1/check", {"answer": "A [1].", "sources": [{"id": False, "text": "A."}]}, "sources.0.id"),
    ("/v1/feedback", {"rating": "up", "question": "q", "answer": 1}, "answer"),
])
def test_loose_types_are_refused(client, path, body, field):
    response = client.post(path, json=body)

    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["details"]} or any(
        d["field"].startswith(field) for d in response.json()["details"])


@pytest.mark.parametrize(("path", "method", "statuses"), [
    ("/v1/ask", "post", {"400", "401", "413", "422", "429", "503"}),
    ("/v1/ask/stream", "post", {"400", "401", "413", "422", "429", "503"}),
    ("/v1/check", "post", {"400", "401", "413", "422", "429"}),
    ("/v1/feedback", "post", {"400", "401", "413", "422", "429"}),
    ("/v1/chat/completions", "post", {"400", "401", "404", "413", "422", "429", "503"}),
    ("/v1/ingest", "post", {"400", "401", "403", "413", "422"}),
    ("/v1/ingest/{job_id}", "get", {"401", "403", "404"}),
    ("/v1/sources", "get", {"401", "429", "503"}),
])
def test_openapi_lists_every_error_status_a_route_returns(client, path, method, statuses):
    operation = client.get("/openapi.json").json()["paths"][path][method]

    assert statuses <= set(operation["responses"]), sorted(operation["responses"])
    for status in statuses:
        assert operation["responses"][status]["description"]

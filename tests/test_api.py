"""The HTTP API as its clients see it: the real app over the real sample store.

Most tests share the session `client`; apps are built only where settings must differ
(keys, CORS, rate limit, an LLM, an empty store), all sharing the session embedder.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from tests.corpus_fixture import SAMPLE_BASE_URL, sample_documents_by_url
from tests.openai_server import RESULT, WIFI, FakeOpenAI, Reply, source_saying, sources_in
from tests.widget_support import feedback_rows, run_service

PORTAL = "How did the Portal team reduce video call drops?"
KNOWN_ANSWERS = {
    PORTAL: "case-studies/portal-video-calling-reliability.html",
    "How did an engineer save $10M in cloud costs?":
        "case-studies/ten-million-dollar-debugging.html",
    "What is the difference between mentoring and sponsorship?":
        "articles/mentoring-and-sponsorship.html",
    "How did Robinhood reduce on-call escalations?":
        "case-studies/robinhood-on-call-training.html",
    "What is SizeBot?": "case-studies/binary-size-automation.html",
}
MARKER = re.compile(r"\[(\d+)\]")
ADMIN_KEY, READER_KEY = "admin-secret", "reader-secret"
ALLOWED_ORIGIN = "https://allowed.example"


@pytest.fixture(scope="module")
def ask(client) -> Callable[..., dict[str, Any]]:
    """POST /v1/ask, each distinct request once per module (answers are deterministic)."""
    answers: dict[str, dict[str, Any]] = {}

    def asking(question: str, **fields: Any) -> dict[str, Any]:
        body = {"question": question, **fields}
        key = json.dumps(body, sort_keys=True)
        if key not in answers:
            response = client.post("/v1/ask", json=body)
            assert response.status_code == 200, response.text
            answers[key] = response.json()
        return answers[key]

    return asking


@pytest.fixture(scope="module")
def documents():
    return sample_documents_by_url()


@pytest.fixture(scope="module")
def chunks_by_id(sample_store):
    return {chunk.id: chunk for chunk in sample_store.all_chunks()}


def app_client(settings: Settings, embedder) -> TestClient:
    """A client of a second app, for tests whose settings differ from the session's."""
    return TestClient(create_app(settings, embedder=embedder))


@pytest.fixture(scope="module")
def locked(sample_settings, embedder) -> Iterator[TestClient]:
    """The sample store behind keys, with CORS limited to one origin."""
    settings = sample_settings.model_copy(update={
        "admin_api_key": ADMIN_KEY, "api_keys": [READER_KEY], "cors_origins": [ALLOWED_ORIGIN],
    })
    with app_client(settings, embedder) as locked_client:
        yield locked_client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Server-sent events as (event, data) pairs."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# --- POST /v1/ask: cited answers -------------------------------------------------------------


@pytest.mark.parametrize(("question", "page"), KNOWN_ANSWERS.items())
def test_known_questions_cite_the_article_that_answers_them(ask, question, page):
    answer = ask(question)
    assert answer["covered"] and answer["mode"] == "extractive" and not answer["degraded"]
    assert SAMPLE_BASE_URL + page in {c["url"] for c in answer["citations"]}, answer["answer"]
    assert answer["citation_check"]["passed"], answer["citation_check"]


@pytest.mark.parametrize("question", KNOWN_ANSWERS)
def test_every_quote_is_verbatim_in_its_chunk_and_document_at_its_offsets(
    ask, documents, chunks_by_id, question
):
    for c in ask(question)["citations"]:
        chunk = chunks_by_id[c["chunk_id"]]
        assert chunk.url == c["url"] and chunk.doc_hash == c["content_hash"]
        assert chunk.text[c["chunk_start"] : c["chunk_end"]] == c["quote"]
        assert documents[c["url"]].text[c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize("question", KNOWN_ANSWERS)
def test_citations_are_numbered_by_first_use_and_only_cited_ones_are_returned(ask, question):
    answer = ask(question)
    first_use = list(dict.fromkeys(int(n) for n in MARKER.findall(answer["answer"])))
    assert first_use == list(range(1, len(first_use) + 1))
    assert [c["id"] for c in answer["citations"]] == first_use
    for sentence in answer["sentences"]:
        assert set(sentence["citations"]) <= set(first_use)


def test_fragment_urls_open_the_page_at_the_quote(ask):
    for c in ask(PORTAL)["citations"]:
        page, directive = c["fragment_url"].split("#:~:text=")
        assert page == c["url"]
        words = " ".join(c["quote"].split())
        start, _, end = (unquote(part) for part in directive.partition(","))
        assert words.startswith(start) and words.endswith(end or start)


def test_cited_pages_are_served_by_the_app_and_contain_the_quote(client, ask):
    citation = ask(PORTAL)["citations"][0]
    page = client.get(urlsplit(citation["url"]).path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert " ".join(citation["quote"].split()[:5]) in page.text


def test_answer_reports_its_citation_check_and_per_sentence_verdicts(ask):
    answer = ask(PORTAL)
    check = answer["citation_check"]
    assert set(check) >= {"recall", "precision", "passed", "problems", "judge"}
    assert check["recall"] == 1.0 and check["precision"] == 1.0 and check["problems"] == []
    assert answer["sentences"]
    for sentence in answer["sentences"]:
        assert sentence["text"] in answer["answer"]
        assert sentence["verdict"] == "supported" and sentence["supported"]
        assert sentence["citations"] and sentence["reason"] is None


def test_answer_reports_time_per_stage(ask):
    timings = ask(PORTAL)["timings_ms"]
    assert {"condense", "retrieve", "answer", "check", "total"} <= set(timings)
    assert all(ms >= 0 for ms in timings.values())
    assert timings["total"] >= timings["retrieve"] + timings["answer"]


def test_out_of_scope_question_is_not_covered_and_says_so(ask):
    answer = ask("What is a good sourdough hydration?")
    assert answer["covered"] is False
    assert answer["answer"].startswith("My sources don't cover")
    assert "sourdough hydration" in answer["answer"]
    assert answer["citations"] == [] and answer["sentences"] == []


def test_multi_part_question_answers_one_part_and_names_the_other(ask):
    answer = ask("How did the Portal team reduce video call drops and what is the best pizza "
                 "in Naples?")
    assert answer["covered"] and answer["citations"]
    assert answer["uncovered"] == ["the best pizza in Naples"]
    assert answer["answer"].rstrip().endswith("My sources don't cover the best pizza in Naples.")
    assert answer["notice"] == "My sources don't cover the best pizza in Naples."


def test_follow_up_is_rewritten_with_the_history(ask):
    history = [{"role": "user", "content": PORTAL},
               {"role": "assistant", "content": "Many drops traced back to unstable Wi-Fi. [1]"}]
    answer = ask("How did they detect them?", history=history)
    # `question` stays the visitor's words; the rewrite searched is `standalone_question`.
    assert answer["question"] == "How did they detect them?"
    assert "Portal" in answer["standalone_question"]
    assert any("portal-video-calling" in c["url"] for c in answer["citations"])


def test_url_prefix_filter_keeps_citations_inside_it(ask):
    prefix = SAMPLE_BASE_URL + "case-studies/"
    answer = ask("How do staff engineers mentor others?", filters={"url_prefix": prefix})
    assert answer["citations"]
    assert all(c["url"].startswith(prefix) for c in answer["citations"])


def test_site_filter_for_a_site_we_do_not_hold_is_not_covered(ask):
    answer = ask(PORTAL, filters={"site": "elsewhere.example"})
    assert answer["covered"] is False and answer["citations"] == []


def test_top_k_limits_the_chunks_an_answer_draws_on(ask):
    answer = ask(PORTAL, top_k=1)
    assert answer["citations"]
    assert len({c["chunk_id"] for c in answer["citations"]}) == 1


def test_strict_extractive_answer_keeps_only_supported_sentences(ask):
    answer = ask(PORTAL, strict=True)
    assert answer["citation_check"]["passed"]
    assert all(s["supported"] for s in answer["sentences"])


# --- POST /v1/ask/stream ----------------------------------------------------------------------


def test_stream_sends_citations_deltas_check_then_done_equal_to_ask(client, ask):
    response = client.post("/v1/ask/stream", json={"question": PORTAL})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-2:] == ["check", "done"]
    assert set(names[1:-2]) == {"delta"}

    done, plain = events[-1][1], ask(PORTAL)
    assert set(done) == set(plain)
    assert done["answer"] == plain["answer"] and done["citations"] == plain["citations"]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert events[0][1]["citations"] == done["citations"]
    assert events[-2][1] == {"sentences": done["sentences"],
                             "citation_check": done["citation_check"]}


def test_stream_of_an_invalid_request_is_a_plain_422(client):
    response = client.post("/v1/ask/stream", json={"question": ""})
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


# --- POST /v1/check ---------------------------------------------------------------------------


def test_check_gives_a_verdict_per_sentence_and_recall_and_precision(client):
    sources = [{"id": 1, "text": "Video call drops on Portal fell by 5% across the fleet after "
                                 "the team shipped CallPulse."},
               {"id": 2, "text": "Escalations fell by 40% after the pairing program."}]
    answer = ("Video call drops on Portal fell by 5% across the fleet [1]. "
              "Video call drops on Portal fell by 15% across the fleet [1]. "
              "Escalations fell by 40% [3].")
    response = client.post("/v1/check", json={"answer": answer, "sources": sources})
    assert response.status_code == 200
    report = response.json()
    verdicts = [(s["verdict"], s["reason"]) for s in report["sentences"]]
    assert verdicts == [("supported", None), ("unsupported", "number_mismatch"),
                        ("unsupported", "invalid_citation")]
    assert report["recall"] == pytest.approx(1 / 3)
    assert report["precision"] == pytest.approx(1 / 3)  # only the first [1] is relevant
    assert report["passed"] is False
    assert {p["reason"] for p in report["problems"]} == {"number_mismatch", "invalid_citation"}
    assert report["sentences"][2]["supported_by"] == 2  # the source it should have cited


def test_check_verifies_quotes_against_their_sources(client):
    sources = [{"id": 1, "text": "Escalations fell by 40% after the pairing program."}]
    response = client.post("/v1/check", json={
        "answer": "Escalations fell by 40% [1].", "sources": sources,
        "quotes": {"1": "Escalations fell by 60%."},
    })
    sentence = response.json()["sentences"][0]
    assert sentence["citation_checks"][0]["quote_found"] is False


# --- validation and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "question", "Field required"),
        ({"question": ""}, "question", "at least 1 character"),
        ({"question": "What is SizeBot?", "top_k": 0}, "top_k", "greater than or equal to 1"),
        ({"question": "What is SizeBot?", "colour": "red"}, "colour", "Extra inputs"),
        ({"question": "What is SizeBot?", "filters": {"host": "x"}}, "filters.host",
         "Extra inputs"),
    ],
)
def test_invalid_ask_is_422_naming_the_field(client, body, field, words):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "validation_error"
    assert f"{field}: " in error["message"] and words in error["message"]
    assert error["details"][0]["field"] == field


def test_malformed_json_is_a_422_json_error(client):
    response = client.post("/v1/ask", content=b'{"question": "What is', headers={
        "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert "JSON" in response.json()["message"]


def test_body_over_the_size_limit_is_413_json(client, sample_settings):
    huge = {"question": "x" * (sample_settings.max_request_bytes + 1)}
    response = client.post("/v1/ask", json=huge)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert str(sample_settings.max_request_bytes) in response.json()["message"]


def test_chunked_body_over_the_size_limit_is_413_over_a_real_socket(sample_settings, embedder):
    """No Content-Length: the limit is enforced while the body streams in."""
    limit = sample_settings.max_request_bytes

    def body() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    with run_service(create_app(sample_settings, embedder=embedder)) as url:
        response = httpx.post(url + "/v1/ask", content=body(),
                              headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/v1/nothing-here", 404, "not_found"),
    ("GET", "/v1/ask", 405, "method_not_allowed"),
])
def test_unknown_routes_and_methods_are_json_errors(client, method, path, status, code):
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == code


def test_unexpected_failure_is_a_json_500_without_internals(settings, embedder):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = settings.model_copy(update={"ingest_sample_on_start": False})
    with TestClient(create_app(settings, embedder=embedder),
                    raise_server_exceptions=False) as broken:
        # Someone drops the collection under the running service: nothing planned for that.
        same_as_the_app = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        chromadb.PersistentClient(path=str(settings.chroma_path),
                                  settings=same_as_the_app).delete_collection(settings.collection)
        response = broken.post("/v1/ask", json={"question": PORTAL})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error",
                               "message": "An unexpected error occurred; it has been logged."}


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/ingest"),
                                              ("DELETE", "/v1/sources/abc")])
def test_admin_endpoints_are_closed_when_no_admin_key_is_configured(client, method, path):
    response = client.request(method, path, json={"sources": [{"urls": ["https://a.example/"]}]},
                              headers=bearer("anything"))
    assert response.status_code == 403
    assert response.json()["error"] == "admin_disabled"
    assert "CAREERQA_ADMIN_API_KEY" in response.json()["message"]


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), bearer(READER_KEY)])
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/ingest"),
                                              ("DELETE", "/v1/sources/abc")])
def test_admin_endpoints_need_the_admin_key(locked, method, path, headers):
    response = locked.request(method, path, json={"sources": [{"urls": ["x"]}]}, headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_admin_key_opens_the_admin_endpoints(locked):
    bad = locked.post("/v1/ingest", json={"sources": [{"urls": ["not a url"]}]},
                      headers=bearer(ADMIN_KEY))
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_sources"
    missing = locked.delete("/v1/sources/0123456789abcdef", headers=bearer(ADMIN_KEY))
    assert missing.status_code == 404 and missing.json()["error"] == "source_not_found"


@pytest.mark.parametrize(("body", "problem"), [
    ({"sources": [{"urls": ["not a url"]}]}, "sources[0].urls: expected an http(s) URL"),
    ({"sources": [{"rss": "https://a.example/feed"}]}, "sources[0]: unknown key 'rss'"),
    ({"sources": [{"crawl": {"start": "https://a.example/", "depth": 2}}]},
     "unknown key 'depth'"),
    ({"sources": [{"local": "/etc"}]}, "sources[0].local: reads server files"),
    ({"sources": [{"url_file": "urls.txt"}]}, "sources[0].url_file: reads server files"),
])
def test_invalid_ingest_sources_are_422_naming_the_problem(locked, body, problem):
    response = locked.post("/v1/ingest", json=body, headers=bearer(ADMIN_KEY))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_sources"
    assert problem in response.json()["message"]


def test_ask_endpoints_are_open_when_no_keys_are_configured(client):
    assert client.get("/v1/sources").status_code == 200
    assert client.post("/v1/check", json={"answer": "A [1].", "sources": [
        {"id": 1, "text": "A."}]}).status_code == 200


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"X-API-Key": "wrong"},
                                     {"Authorization": READER_KEY}])
@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream", "/v1/check", "/v1/feedback",
                                  "/v1/chat/completions"])
def test_ask_endpoints_need_a_key_when_keys_are_configured(locked, path, headers):
    response = locked.post(path, json={}, headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["code"] if isinstance(error, dict) else error) == "unauthorized"


@pytest.mark.parametrize("headers", [bearer(READER_KEY), {"X-API-Key": READER_KEY},
                                     bearer(ADMIN_KEY)])
def test_a_configured_key_opens_the_ask_endpoints(locked, headers):
    response = locked.post("/v1/ask", json={"question": "What is SizeBot?"}, headers=headers)
    assert response.status_code == 200 and response.json()["citations"]


# --- CORS -------------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str):
    return client.options("/v1/ask", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    })


def test_preflight_from_an_allowed_origin_is_allowed(locked, client):
    response = preflight(locked, ALLOWED_ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert preflight(client, "https://any.example").headers[
        "access-control-allow-origin"] == "*"  # the default allows every origin


def test_preflight_from_another_origin_is_not_allowed(locked):
    response = preflight(locked, "https://evil.example")
    assert "access-control-allow-origin" not in response.headers


def test_cross_origin_responses_expose_retry_after(locked):
    response = locked.post("/v1/ask", json={}, headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


def test_cross_origin_413_is_readable_by_the_browser(locked, sample_settings):
    response = locked.post("/v1/ask", content=b"x" * (sample_settings.max_request_bytes + 1),
                           headers={"Origin": ALLOWED_ORIGIN, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


# --- rate limit -------------------------------------------------------------------------------


@pytest.fixture
def limited(sample_settings, embedder) -> Iterator[TestClient]:
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 3})
    with app_client(settings, embedder) as limited_client:
        yield limited_client


def test_fourth_request_in_a_minute_is_429_with_retry_after(limited):
    for _ in range(3):
        assert limited.get("/v1/sources").status_code == 200
    response = limited.post("/v1/ask", json={"question": "What is SizeBot?"})
    assert response.status_code == 429
    retry = int(response.headers["retry-after"])
    assert 1 <= retry <= 20  # one token of 3 per minute comes back within 20 s
    assert response.json() == {"error": "rate_limited", "retry_after": retry,
                               "message": f"Too many requests; retry after {retry} s."}


def test_made_up_bearer_tokens_do_not_escape_the_limit(limited):
    for _ in range(3):
        assert limited.get("/v1/sources").status_code == 200
    for n in range(3):
        response = limited.get("/v1/sources", headers=bearer(f"made-up-{n}"))
        assert response.status_code == 429


# --- feedback ---------------------------------------------------------------------------------




def test_200_concurrent_feedback_posts_get_200_distinct_ids(client, sample_settings):
    """One shared connection and `lastrowid` once handed the same id to several requests."""
    from concurrent.futures import ThreadPoolExecutor

    def post(n: int) -> int:
        response = client.post("/v1/feedback", json={
            "rating": "up", "question": f"concurrent feedback {n}", "answer": "a"})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(50) as pool:
        ids = list(pool.map(post, range(200)))
    assert len(set(ids)) == 200
    rows = {row["id"]: row["question"] for row in feedback_rows(sample_settings)}
    # Each id names the row its own request wrote.
    assert {rows[i] for i in ids} == {f"concurrent feedback {n}" for n in range(200)}
    assert [rows[i] for i in ids] == [f"concurrent feedback {n}" for n in range(200)]


def test_feedback_is_stored_with_the_flagged_citation(client, ask, sample_settings):
    answer = ask(PORTAL)
    citation = answer["citations"][0]
    thumbs = client.post("/v1/feedback", json={
        "rating": "up", "question": PORTAL, "answer": answer["answer"], "comment": "clear"})
    flag = client.post("/v1/feedback", json={
        "rating": "flag", "question": PORTAL, "answer": answer["answer"],
        "sentence": answer["sentences"][0]["text"], "citation": citation,
        "comment": "the source doesn't say that"})
    assert thumbs.status_code == 201 and flag.status_code == 201
    assert flag.json() == {"id": thumbs.json()["id"] + 1, "stored": True}

    rows = {row["id"]: row for row in feedback_rows(sample_settings)}
    up, flagged = rows[thumbs.json()["id"]], rows[flag.json()["id"]]
    assert (up["rating"], up["question"], up["comment"], up["citation"]) == (
        "up", PORTAL, "clear", None)
    assert flagged["rating"] == "flag" and flagged["sentence"] == answer["sentences"][0]["text"]
    stored = json.loads(flagged["citation"])
    assert stored["content_hash"] == citation["content_hash"]
    assert stored["quote"] == citation["quote"] and stored["url"] == citation["url"]


def test_feedback_with_an_unknown_rating_is_422(client):
    response = client.post("/v1/feedback", json={"rating": "meh", "question": "q", "answer": "a"})
    assert response.status_code == 422 and "rating" in response.json()["message"]


# --- operations -------------------------------------------------------------------------------


def test_health_and_readiness(client, sample_store):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["chunks"] == sample_store.count() > 0


def test_metrics_count_requests_stages_and_checks(client):
    assert client.post("/v1/ask", json={"question": "What is SizeBot?"}).status_code == 200
    text = client.get("/metrics").text
    assert re.search(r'careerqa_requests_total\{route="/v1/ask",status="200"\} [1-9]', text)
    assert re.search(r'careerqa_stage_seconds_count\{stage="retrieve"\} [1-9]', text)
    assert re.search(r'careerqa_citation_checks_total\{passed="true"\} [1-9]', text)


def test_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_documents_every_v1_model_with_a_description_or_example(client):
    schema = client.get("/openapi.json").json()
    models = schema["components"]["schemas"]
    for name in ("AskRequest", "CheckRequest", "FeedbackRequest", "Citation",
                 "ChatCompletionRequest", "AskResponse"):
        assert models[name].get("examples"), name
    seen: set[str] = set()
    todo = [ref for path, item in schema["paths"].items() if path.startswith("/v1/")
            for ref in _refs(item)]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(models[name]))
    assert {"AskRequest", "AskResponse", "Citation", "CheckReport", "ErrorResponse"} <= seen
    undocumented = sorted(n for n in seen
                          if not models[n].get("description") and not models[n].get("examples"))
    assert undocumented == []


def test_openapi_example_of_an_ask_is_a_valid_ask(client):
    example = client.get("/openapi.json").json()["components"]["schemas"]["AskRequest"][
        "examples"][0]
    assert client.post("/v1/ask", json=example).status_code == 200


# --- widget -----------------------------------------------------------------------------------


def test_widget_script_has_an_etag_and_revalidates_with_304(client):
    first = client.get("/widget.js")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/javascript")
    etag = first.headers["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"stale", {etag}'):
        again = client.get("/widget.js", headers={"If-None-Match": if_none_match})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    changed = client.get("/widget.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == first.content


def test_root_serves_the_demo_page_with_the_widget(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/html")
    assert "widget.js" in response.text


# --- admin ingest over HTTP -------------------------------------------------------------------


def await_job(admin: TestClient, job_id: int, timeout: float = 120) -> dict[str, Any]:
    """Poll GET /v1/ingest/{id} until the job is done or failed (the in-process worker runs
    it), then wait for the index generation the job left to be served."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = admin.get(f"/v1/ingest/{job_id}", headers=bearer(ADMIN_KEY)).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"ingest job {job_id} still {job['status']} after {timeout} s")


def test_admin_ingest_lists_answers_from_and_deletes_a_page(settings, sample_site, embedder):
    settings = settings.model_copy(update={"admin_api_key": ADMIN_KEY,
                                           "ingest_sample_on_start": False})
    url = sample_site.url_for("/case-studies/binary-size-automation.html")
    with app_client(settings, embedder) as admin:
        assert admin.get("/readyz").json()["chunks"] == 0
        assert admin.post("/v1/ask", json={"question": "What is SizeBot?"}).json()[
            "covered"] is False

        queued = admin.post("/v1/ingest", json={"sources": [{"urls": [url]}]},
                            headers=bearer(ADMIN_KEY))
        assert queued.status_code == 202, queued.text
        job = await_job(admin, queued.json()["id"])
        assert job["status"] == "done", job
        summary = job["summary"]
        assert summary["stored"] == 1 and summary["chunks_added"] > 0

        (source,) = admin.get("/v1/sources").json()
        assert source["url"] == url and source["status"] == "stored"
        assert source["chunks"] == summary["chunks_added"]
        assert source["title"] == "Automating APK Size Regressions Out of Existence"

        answer = admin.post("/v1/ask", json={"question": "What is SizeBot?"}).json()
        assert answer["covered"] and {c["url"] for c in answer["citations"]} == {url}

        deleted = admin.delete(f"/v1/sources/{source['id']}", headers=bearer(ADMIN_KEY))
        assert deleted.json() == {"id": source["id"], "url": url,
                                  "chunks_removed": source["chunks"], "promoted": None}
        assert admin.get("/v1/sources").json() == []
        assert admin.get("/readyz").json()["chunks"] == 0
        after = admin.post("/v1/ask", json={"question": "What is SizeBot?"}).json()
        assert after["covered"] is False and after["citations"] == []
        again = admin.delete(f"/v1/sources/{source['id']}", headers=bearer(ADMIN_KEY))
        assert again.status_code == 404


# --- LLM mode over HTTP -----------------------------------------------------------------------

LLM_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def llm_client(sample_settings, embedder, fake_llm) -> Iterator[TestClient]:
    """The sample store answered by a (scripted) language model."""
    settings = sample_settings.model_copy(update={
        "llm_base_url": fake_llm.base_url, "llm_model": "scripted", "llm_timeout": LLM_TIMEOUT,
        "answer_mode": "llm",
    })
    with app_client(settings, embedder) as llm_app:
        yield llm_app


def portal_reply(body: dict[str, Any], *, wifi: int | None = None, result: int | None = None,
                 drop: str = "5%") -> str:
    """The model's answer, citing the prompt's sources by number (or the ones given)."""
    wifi = wifi or source_saying(body, WIFI)
    result = result or source_saying(body, RESULT)
    return (
        "The sources describe two things:\n\n"
        "- Many drops traced back to environmental causes such as unstable Wi-Fi rather than "
        f"to bugs in the calling stack [{wifi}].\n"
        f"- Video call drops on Portal fell by {drop} across the fleet [{result}].\n"
    )


def unrelated_source(body: dict[str, Any]) -> int:
    """A source in the prompt that says neither of the reply's facts, in any words (chunks
    overlap, and other articles retell the Portal story)."""
    return next(n for n, text in sorted(sources_in(body).items(), reverse=True)
                if "wi-fi" not in text.lower() and "5%" not in text)


def ask_llm(llm_client: TestClient, fake_llm: FakeOpenAI,
            reply: Callable[[dict[str, Any]], Reply], **fields: Any) -> dict[str, Any]:
    fake_llm.reply = reply
    response = llm_client.post("/v1/ask", json={"question": PORTAL, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def test_llm_answer_that_cites_correctly_passes(llm_client, fake_llm, documents):
    answer = ask_llm(llm_client, fake_llm, lambda body: Reply(portal_reply(body)))
    assert answer["mode"] == "llm" and not answer["degraded"]
    assert MARKER.findall(answer["answer"]) == ["1", "2"]
    assert answer["citation_check"]["passed"], answer["citation_check"]
    for c in answer["citations"]:
        assert documents[c["url"]].text[c["start"] : c["end"]] == c["quote"]


def test_llm_answer_citing_the_wrong_source_is_flagged(llm_client, fake_llm):
    answer = ask_llm(llm_client, fake_llm, lambda body: Reply(
        portal_reply(body, result=unrelated_source(body))))
    bad = next(s for s in answer["sentences"] if RESULT in s["text"])
    assert not bad["supported"]
    assert not answer["citation_check"]["passed"]
    reasons = {p["reason"] for p in answer["citation_check"]["problems"]}
    assert reasons & {"wrong_source", "low_similarity"}


def test_llm_answer_with_an_invented_number_is_flagged(llm_client, fake_llm):
    answer = ask_llm(llm_client, fake_llm, lambda body: Reply(portal_reply(body, drop="15%")))
    bad = next(s for s in answer["sentences"] if "15%" in s["text"])
    assert not bad["supported"] and bad["verdict"] != "supported"
    assert not answer["citation_check"]["passed"]
    assert "number_mismatch" in {p["reason"] for p in answer["citation_check"]["problems"]}


def test_strict_mode_drops_what_the_check_does_not_support(llm_client, fake_llm):
    answer = ask_llm(llm_client, fake_llm, lambda body: Reply(
        portal_reply(body, wifi=unrelated_source(body))), strict=True)
    assert "Wi-Fi" not in answer["answer"] and RESULT in answer["answer"]
    assert MARKER.findall(answer["answer"]) == ["1"]
    assert [c["id"] for c in answer["citations"]] == [1]
    assert answer["citation_check"]["passed"]


def test_llm_timeout_degrades_to_an_extractive_answer(llm_client, fake_llm):
    answer = ask_llm(llm_client, fake_llm, lambda body: Reply(
        portal_reply(body), delay=LLM_TIMEOUT + 1.5))
    assert answer["degraded"] is True and answer["mode"] == "extractive"
    assert "timeout" in answer["notice"]
    assert answer["citations"] and answer["citation_check"]["passed"]


def test_llm_stream_relays_the_model_and_ends_with_the_checked_answer(llm_client, fake_llm):
    fake_llm.reply = lambda body: Reply(portal_reply(body), chunk_chars=9)
    response = llm_client.post("/v1/ask/stream", json={"question": PORTAL})
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "citations" and events[0][1]["provisional"] is True
    assert names[-2:] == ["check", "done"] and names.count("delta") > 5
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == portal_reply(fake_llm.requests[-1])
    assert events[-1][1]["mode"] == "llm" and events[-1][1]["citation_check"]["passed"]

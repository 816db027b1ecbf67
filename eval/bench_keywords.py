"""`careerqa bench keywords`: bm25s in memory vs the database keyword index, in one run.

Two in-process apps over the same store (CAREERQA_DATA_DIR) and the same model, one per
keyword index, answer every question of a set through `/v1/ask`; the follow-ups are
searched in the standalone form the app condensed them to, as `careerqa eval` does. For
each index: recall@5 and MRR of the retrieved pages against the set's gold pages (overall
and per `eval.splits` side: dev was open while tuning, test was not), the median time of
the keyword search alone, of retrieval, and of `/v1/ask`. Questions alternate between the
two apps, so both pay for the same machine noise; a first untimed pass fills the shared
sentence cache, so neither app's timing includes embedding sentences the other one did.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from core.settings import Settings
from core.terms import terms
from eval import metrics as m
from eval.datasets import QuestionCase, load_questions
from eval.splits import split_of

KINDS = ("memory", "database")


def run(questions: Path, settings: Settings, *, k: int = 5, rounds: int = 2) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from ingest.embed import embedder_from_settings

    cases = load_questions(questions)
    embedder = embedder_from_settings(settings)
    load = [round(x, 2) for x in os.getloadavg()]
    clients, started = {}, {}
    for kind in KINDS:
        local = settings.model_copy(update={
            "keyword_index": kind, "rate_limit_per_minute": 0, "start_in_background": False,
            "sentence_warmup": False, "ingest_sample_on_start": False,
            "worker_in_process": False, "answer_mode": "extractive"})
        t0 = time.perf_counter()
        client = TestClient(create_app(local, embedder=embedder))
        client.__enter__()
        started[kind] = round(time.perf_counter() - t0, 2)
        clients[kind] = client
    try:
        rows = {kind: _pass(clients[kind], cases, k) for kind in KINDS}
        times: dict[str, dict[str, list[float]]] = {
            kind: {"ask": [], "retrieve": [], "keyword": []} for kind in KINDS}
        for _ in range(rounds):
            for case in cases:
                for kind in KINDS:
                    _time_one(clients[kind], case, k, times[kind])
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
    result: dict[str, Any] = {
        "questions": str(questions), "cases": len(cases), "k": k, "rounds": rounds,
        "store": str(settings.chroma_url or settings.data_dir),
        "load_average_at_start": load, "load_average_at_end":
        [round(x, 2) for x in os.getloadavg()], "indexes": {}}
    for kind in KINDS:
        result["indexes"][kind] = {
            "app_start_seconds": started[kind],
            "quality": _quality(cases, rows[kind]),
            "median_ms": {name: round(statistics.median(ms), 2) if ms else None
                          for name, ms in times[kind].items()},
            # The first timed round: no question asked through this app before but once.
            "first_round_median_ms": {name: round(statistics.median(ms[:len(cases)]), 2)
                                      if ms else None for name, ms in times[kind].items()},
        }
    result["agreement_top5_pages"] = _agreement(rows["memory"], rows["database"])
    return result


def _ask(client: Any, case: QuestionCase, k: int) -> dict[str, Any]:
    body = {"question": case.question, "top_k": k, "mode": "extractive",
            "history": [{"role": t.role, "content": t.content} for t in case.history]}
    response = client.post("/v1/ask", json=body)
    if response.status_code != 200:
        raise RuntimeError(f"/v1/ask answered {response.status_code}: {response.text[:200]}")
    return response.json()


def _searched(case: QuestionCase, data: dict[str, Any]) -> str:
    return data.get("standalone_question") or data.get("question") or case.question


def _pass(client: Any, cases: list[QuestionCase], k: int) -> dict[str, list[str]]:
    """Each case's retrieved pages (URLs, best first), as the eval's retrieve hook sees them."""
    retriever = client.app.state.parts.service.retriever
    out = {}
    for case in cases:
        data = _ask(client, case, k)
        out[case.id] = [h.chunk.url for h in retriever.retrieve(_searched(case, data), k).hits]
    return out


def _time_one(client: Any, case: QuestionCase, k: int, times: dict[str, list[float]]) -> None:
    retriever = client.app.state.parts.service.retriever
    t0 = time.perf_counter()
    data = _ask(client, case, k)
    times["ask"].append((time.perf_counter() - t0) * 1000)
    searched = _searched(case, data)
    t0 = time.perf_counter()
    retriever.retrieve(searched, k)
    times["retrieve"].append((time.perf_counter() - t0) * 1000)
    query = terms(searched)
    t0 = time.perf_counter()
    retriever.keywords.search(query, 32)
    times["keyword"].append((time.perf_counter() - t0) * 1000)


def _quality(cases: list[QuestionCase], rows: dict[str, list[str]]) -> dict[str, Any]:
    sides: dict[str, list[tuple[float, float]]] = {"all": [], "dev": [], "test": []}
    for case in cases:
        if case.out_of_scope or not case.gold_urls:
            continue
        urls = rows[case.id]
        pair = (m.recall_at_k(urls, case.gold_urls, 5), m.reciprocal_rank(urls, case.gold_urls))
        sides["all"].append(pair)
        sides[split_of(case.id)].append(pair)
    return {side: {"n": len(pairs),
                   "recall_at_5":
                   round(statistics.fmean(p[0] for p in pairs), 3) if pairs else None,
                   "mrr": round(statistics.fmean(p[1] for p in pairs), 3) if pairs else None}
            for side, pairs in sides.items()}


def _agreement(a: dict[str, list[str]], b: dict[str, list[str]]) -> float:
    """Mean share of one index's top-5 pages the other also retrieved."""
    shares = []
    for cid, urls in a.items():
        top_a, top_b = set(urls[:5]), set(b.get(cid, [])[:5])
        if top_a or top_b:
            shares.append(len(top_a & top_b) / max(len(top_a), len(top_b)))
    return round(statistics.fmean(shares), 3) if shares else 1.0

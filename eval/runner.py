"""One eval run: answer the question set, judge the answers, score the checker set and baselines.

The run produces a plain results dict (see eval/README.md): flat `metrics` for gates and
comparisons, `metric_judges` saying who produced each figure, and per-question and
per-case rows for the report. I/O is limited to talking to the target and loading the
model; every figure comes from the pure functions in eval.metrics.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from core.settings import Settings
from eval import metrics as m
from eval.answer_citations import complete_citations
from eval.baselines import (
    EMBEDDING_THRESHOLD,
    LEXICAL_THRESHOLD,
    embedding_scores,
    lexical_overlap_scores,
)
from eval.checker_suites import CheckerSuite, Split, load_suite
from eval.corpus import Corpus, FetchedPages, corpus_from_store, is_store_dir, load_store
from eval.datasets import (
    DEFAULT_CHECKER_SET,
    DEFAULT_QUESTIONS,
    QuestionCase,
    fast_questions,
    load_questions,
)
from eval.judging import EvidenceLookup, judge_answer, pick_answer_judge, quote_checks
from eval.targets import (
    AnswerRecord,
    AnswersFileTarget,
    AnswerTarget,
    CheckerTarget,
    LocalChecker,
    RetrievedSource,
    ServiceTarget,
)
from eval.url_sources import UrlResolver
from eval.validity import AnswerPair, LabelledSentence, correlations, true_precision, true_recall

RESULTS_VERSION = 1
MAX_MISSES_LISTED = 40


@dataclass
class RunOptions:
    questions: Path = DEFAULT_QUESTIONS
    checker_set: Path | str = DEFAULT_CHECKER_SET  # a file, or "wice" / "llm"
    split: Split | None = None  # None: "test" for wice/llm, every case for a file
    k: int = 5
    fast: bool = False
    url: str | None = None
    answers: Path | None = None
    only: str | None = None  # "questions" | "checker"
    max_cases: int | None = None  # the first N checker cases only, for a quick look
    progress: bool = True
    timeout: float = 60.0


@dataclass
class _Context:
    """What the run holds open: the answering and checking targets and the model."""

    answer_target: AnswerTarget
    checker_target: CheckerTarget
    label: str
    store: Any | None
    corpus: Corpus | FetchedPages | None
    embedder: Any
    retrieval_source: str
    checker_label: str
    pages: UrlResolver | None = None
    scoring_careerqa: bool = True  # False: another system's answers (careerqa only judges)


def _load_embedder(settings: Settings) -> Any:
    from ingest.embed import embedder_from_settings

    return embedder_from_settings(settings)


@contextmanager
def _targets(options: RunOptions, settings: Settings, embedder: Any,
             answers: AnswersFileTarget | None) -> Iterator[_Context]:
    """Open the target the options name; the in-process app lives for the whole run."""
    api_key = settings.api_keys[0] if settings.api_keys else None
    if answers is not None:
        from app.check.checker import CitationChecker

        checker = LocalChecker(CitationChecker.from_settings(settings, embedder))
        store = _local_store(settings)
        corpus = _safe_corpus(settings) if store is not None else None
        yield _Context(answers, checker,
                       f"answers file {options.answers}", store, corpus, embedder,
                       "retrieved list in the answers file", "careerqa checker (local)",
                       pages=UrlResolver(corpus, settings), scoring_careerqa=False)
        return
    if options.url:
        import httpx

        with httpx.Client(base_url=options.url, timeout=options.timeout) as client:
            target = ServiceTarget(client, options.url, api_key=api_key)
            store = _local_store(settings)
            local = _safe_corpus(settings) if store is not None else None
            yield _Context(target, target, options.url, store, FetchedPages(local), embedder,
                           "cited pages (the deployment does not expose retrieval)",
                           f"careerqa checker at {options.url}",
                           pages=UrlResolver(local, settings))
        return

    from fastapi.testclient import TestClient

    from app.main import create_app

    # Rate limiting protects a public deployment from clients, not the app from its eval;
    # the run needs the loaded parts as soon as the app is up.
    local = settings.model_copy(update={"rate_limit_per_minute": 0,
                                        "start_in_background": False})
    app = create_app(local, embedder=embedder)
    with TestClient(app) as client:
        parts = app.state.parts
        if parts.store.count() == 0:
            parts.finish_queued_ingest()  # a first start: the sample corpus job
        retriever = getattr(parts.service, "retriever", None)

        def retrieve(question: str, k: int) -> list[RetrievedSource]:
            hits = retriever.retrieve(question, k).hits if retriever is not None else []
            return [RetrievedSource(h.chunk.url, h.chunk.text) for h in hits]

        target = ServiceTarget(client, "in-process", api_key=api_key,
                               retrieve=retrieve if retriever is not None else None)
        corpus = corpus_from_store(parts.store, "in-process store")
        yield _Context(target, target, "in-process service", parts.store, corpus, embedder,
                       "retriever" if retriever is not None else "cited pages",
                       f"careerqa checker (judge: {settings.judge})",
                       pages=UrlResolver(corpus, settings))


def _local_store(settings: Settings) -> Any | None:
    """The local store, when there is one; never creates an empty store as a side effect."""
    if settings.chroma_url is None and not is_store_dir(settings.data_dir):
        return None
    from ingest.errors import StoreUnavailable
    from ingest.store import ChromaStore

    try:
        return ChromaStore.from_settings(settings)
    except StoreUnavailable:
        return None


def _safe_corpus(settings: Settings) -> Corpus | None:
    from eval.datasets import DatasetError

    try:
        return load_store(settings)
    except DatasetError:
        return None


# --- the question set


def _score_questions(
    cases: list[QuestionCase], ctx: _Context, options: RunOptions, settings: Settings,
    results: dict[str, Any],
) -> None:
    started = time.perf_counter()
    records: list[AnswerRecord] = []
    for case in tqdm(cases, desc="questions", unit="q", disable=not options.progress):
        records.append(complete_citations(ctx.answer_target.answer(case, options.k)))
    answered_s = time.perf_counter() - started

    judge = pick_answer_judge(settings, ctx.embedder, scoring_careerqa=ctx.scoring_careerqa)
    evidence = EvidenceLookup(ctx.store, ctx.pages)
    evidence.prefetch(records)
    validity: list[AnswerPair] = []
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    scores: list[m.AnswerCitationScores] = []
    quotes: list[bool | None] = []
    retrieval: dict[str, list[float]] = {"recall": [], "rr": [], "ndcg": []}
    proxy = False
    for case, record in tqdm(list(zip(cases, records, strict=True)), desc="judging", unit="q",
                             disable=not options.progress):
        row: dict[str, Any] = {
            "id": case.id, "stratum": case.stratum, "question": case.question,
            "covered": record.covered, "latency_ms": record.latency_ms, "error": record.error,
            "status": "missing" if record.missing else "errored" if record.error else "answered",
            "answer": record.answer,
        }
        rows.append(row)
        if record.error:
            continue
        row["citations"] = evidence.describe(record)
        if not case.out_of_scope and case.gold_urls:
            if record.retrieved is not None:
                urls = [r.url for r in record.retrieved]
            else:
                proxy = True
                urls = [c.url for c in record.citations]
            row["recall_at_k"] = m.recall_at_k(urls, case.gold_urls, options.k)
            row["reciprocal_rank"] = m.reciprocal_rank(urls, case.gold_urls)
            row["ndcg_at_k"] = m.ndcg_at_k(urls, case.gold_urls, options.k)
            retrieval["recall"].append(row["recall_at_k"])
            retrieval["rr"].append(row["reciprocal_rank"])
            retrieval["ndcg"].append(row["ndcg_at_k"])
        if not case.out_of_scope:
            row["key_point_coverage"] = m.key_point_coverage(
                m.normalize_space(record.answer), case.key_points
            )
        sentences = judge_answer(record, judge.judge, evidence)
        answer_scores = m.answer_citation_scores(sentences)
        scores.append(answer_scores)
        row.update(citation_recall=answer_scores.recall if answer_scores.n_claims else None,
                   citation_precision=answer_scores.precision
                   if answer_scores.n_citations else None,
                   n_claims=answer_scores.n_claims, n_citations=answer_scores.n_citations,
                   unsupported=[s.text for s in sentences if s.is_claim and not s.supported])
        if record.gold_sentences:
            gold = [LabelledSentence(g.text, g.supported) for g in record.gold_sentences]
            validity.append(AnswerPair(case.id, row["citation_recall"], true_recall(gold),
                                       row["citation_precision"], true_precision(gold)))
        found = quote_checks(record, ctx.corpus, evidence)
        quotes.extend(found)
        checked = [q for q in found if q is not None]
        row["quote_exact"] = sum(checked) / len(checked) if checked else None

    judged_s = time.perf_counter() - started
    in_scope = [r for c, r in zip(cases, rows, strict=True) if not c.out_of_scope]
    oos = [r for c, r in zip(cases, rows, strict=True) if c.out_of_scope]
    latencies = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    checked_quotes = [q for q in quotes if q is not None]
    lat = m.latency_summary(latencies)
    citation = m.aggregate_citation_scores(scores)
    answered_oos = [r for r in oos if not r["error"] and r["covered"] is not None]
    answered_in = [r for r in in_scope if not r["error"] and r["covered"] is not None]
    figures: dict[str, tuple[float | None, str]] = {
        "retrieval.recall_at_k": (m.mean_or_none(retrieval["recall"]), "gold URLs"),
        "retrieval.mrr": (m.mean_or_none(retrieval["rr"]), "gold URLs"),
        "retrieval.ndcg_at_k": (m.mean_or_none(retrieval["ndcg"]), "gold URLs"),
        **{f"citations.{k}": (v, judge.label) for k, v in citation.items()},
        "answers.quote_exact_rate": (
            sum(checked_quotes) / len(checked_quotes) if checked_quotes else None,
            "exact-quote test against the current source text",
        ),
        "answers.key_point_coverage": (
            m.mean_or_none(r.get("key_point_coverage") for r in in_scope), "gold key points"
        ),
        "answers.refusal_accuracy": (
            sum(1 for r in answered_oos if r["covered"] is False) / len(answered_oos)
            if answered_oos else None, "gold out_of_scope labels",
        ),
        "answers.false_refusal_rate": (
            sum(1 for r in answered_in if r["covered"] is False) / len(answered_in)
            if answered_in else None, "gold out_of_scope labels",
        ),
        "answers.error_rate": (sum(1 for r in rows if r["error"]) / len(rows) if rows else None,
                               "the target: failed requests and questions it gave no answer"),
        "answers.latency_median_ms": (lat["median_ms"], "wall clock"),
        "answers.latency_p95_ms": (lat["p95_ms"], "wall clock"),
    }
    if proxy:
        for name in ("retrieval.recall_at_k", "retrieval.mrr", "retrieval.ndcg_at_k"):
            figures[name] = (figures[name][0], "gold URLs, on cited pages (no retrieval list)")
    for name, (value, by) in figures.items():
        results["metrics"][name] = value
        results["metric_judges"][name] = by
    results["questions"] = rows
    results["coverage"] = _coverage(rows, ctx.answer_target, cases)
    if validity:
        _record_validity(results, validity, f"gold sentence labels in the answers file vs "
                                            f"{judge.label}", "answers.validity")
    results["judges"].update(
        answers=judge.label, answers_independent=judge.independent,
        evidence_used=dict(evidence.used),
        retrieval_source=ctx.retrieval_source if not proxy else "cited pages (proxy)",
    )
    results["timings"].update(answers_s=round(answered_s, 2), judging_s=round(judged_s, 2))


def _coverage(rows: list[dict[str, Any]], target: AnswerTarget,
              cases: list[QuestionCase]) -> dict[str, Any]:
    """How many questions were answered, errored or had no answer, and answers left unused.

    `skipped` counts lines of an answers file whose id is not in the question set (they are
    not scored); `partial` is true when some question has no answer at all.
    """
    counts = {status: sum(1 for r in rows if r["status"] == status)
              for status in ("answered", "errored", "missing")}
    asked = {c.id for c in cases}
    extra = sorted(set(getattr(target, "records", {})) - asked)
    return {"questions": len(rows), **counts, "skipped": len(extra),
            "skipped_ids": extra[:20], "partial": counts["missing"] > 0}


def _record_validity(results: dict[str, Any], pairs: list[AnswerPair], judge: str,
                     prefix: str) -> None:
    """Correlation of estimated with true answer-level citation scores, as metrics."""
    figures = correlations(pairs)
    for name, value in figures.items():
        results["metrics"][f"{prefix}.{name}"] = value
        results["metric_judges"][f"{prefix}.{name}"] = judge
    results.setdefault("validity", {})[prefix] = {
        "judge": judge, **figures,
        "answers": [pair.__dict__ for pair in pairs],
    }


# --- the checker set


def with_markers(sentence: str, ids: tuple[int | str, ...]) -> str:
    """Put `[n]` markers before the sentence's final punctuation, as answers do."""
    markers = "".join(f"[{i}]" for i in ids)
    body = sentence.rstrip()
    if body and body[-1] in ".!?":
        return f"{body[:-1]} {markers}{body[-1]}"
    return f"{body} {markers}"


def _checker_prediction(report: dict[str, Any]) -> tuple[bool, str | None, str, float]:
    """(supported?, reason, verdict, support score) for a one-sentence answer.

    All claims must pass; the score is the weakest claim's support (1.0 when the checker
    found no claim), the number ROC-AUC ranks by.
    """
    claims = [s for s in report.get("sentences", []) if s.get("verdict") != "not_a_claim"]
    if not claims:
        return True, None, "not_a_claim", 1.0
    score = min(float(s.get("score") or 0.0) for s in claims)
    failing = [s for s in claims if s.get("verdict") != "supported"]
    if not failing:
        return True, None, "supported", score
    return False, failing[0].get("reason"), str(failing[0].get("verdict")), score


def _score_checker(
    suite: CheckerSuite, ctx: _Context, options: RunOptions, results: dict[str, Any]
) -> None:
    cases = suite.cases
    started = time.perf_counter()
    predicted: list[bool] = []
    support: list[float] = []
    details: list[tuple[str | None, str]] = []
    for case in tqdm(cases, desc=f"{suite.name} cases", unit="case",
                     disable=not options.progress):
        sources = [{"id": s.id, "text": s.text} | ({"url": s.url} if s.url else {})
                   for s in case.sources]
        report = ctx.checker_target.check(with_markers(case.sentence, case.citations), sources)
        ok, reason, verdict, score = _checker_prediction(report)
        predicted.append(ok)
        support.append(score)
        details.append((reason, verdict))
    checker_s = time.perf_counter() - started

    started = time.perf_counter()
    lexical = lexical_overlap_scores(cases)
    embedding = embedding_scores(cases, ctx.embedder)
    systems = {
        "checker": (predicted, support),
        "lexical_baseline": ([x >= LEXICAL_THRESHOLD for x in lexical], lexical),
        "embedding_baseline": ([x >= EMBEDDING_THRESHOLD for x in embedding], embedding),
    }
    baselines_s = time.perf_counter() - started
    gold = [c.supported for c in cases]
    kinds = [c.kind for c in cases]
    label = suite.label
    out: dict[str, Any] = {"systems": {}, "labels": label, "suite": suite.name,
                           "file": str(suite.path), "split": suite.split,
                           "n_before_split": suite.n_before_split}
    for name, (preds, scores) in systems.items():
        overall = m.binary_scores(gold, preds).as_dict()
        # Unsupported is the positive class, so rank by how little support a system saw.
        overall["roc_auc"] = m.roc_auc([not g for g in gold], [-x for x in scores])
        by_kind = m.scores_by_kind(kinds, gold, preds)
        out["systems"][name] = {"overall": overall, "by_kind": by_kind}
        short = "checker" if name == "checker" else f"baselines.{name.removesuffix('_baseline')}"
        prefix = suite.prefix + short
        for metric in ("accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1"):
            results["metrics"][f"{prefix}.{metric}"] = overall[metric]
            results["metric_judges"][f"{prefix}.{metric}"] = label
        for kind, row in by_kind.items():
            for metric in ("accuracy", "balanced_accuracy"):
                results["metrics"][f"{prefix}.by_kind.{kind}.{metric}"] = row[metric]
                results["metric_judges"][f"{prefix}.by_kind.{kind}.{metric}"] = label
    out["cases"] = [
        {"id": c.id, "kind": c.kind, "gold": c.supported, "checker": p, "score": round(sc, 4),
         "lexical": lx, "embedding": em}
        for c, p, sc, lx, em in zip(cases, predicted, support, systems["lexical_baseline"][0],
                                    systems["embedding_baseline"][0], strict=True)
    ]
    out["misses"] = [
        {"id": c.id, "kind": c.kind, "sentence": c.sentence, "change": c.change,
         "gold": c.supported, "verdict": verdict, "reason": reason}
        for c, p, (reason, verdict) in zip(cases, predicted, details, strict=True)
        if p != c.supported
    ][:MAX_MISSES_LISTED]
    out["checker_under_test"] = ctx.checker_label
    results["checker"] = out
    results["judges"]["checker"] = label
    if suite.answers:
        _score_answer_validity(suite, ctx, results)
    results["timings"].update(checker_s=round(checker_s, 2), baselines_s=round(baselines_s, 2))


def _score_answer_validity(suite: CheckerSuite, ctx: _Context, results: dict[str, Any]) -> None:
    """Check each labelled answer whole and correlate its recall/precision with the truth."""
    pairs: list[AnswerPair] = []
    for answer in suite.answers or []:
        sources = [s.model_dump(exclude_none=True) for s in answer.source_texts()]
        report = ctx.checker_target.check(answer.markdown(), sources)
        gold = [LabelledSentence(s.text, s.supported) for s in answer.sentences]
        claims = report.get("n_claims", 0)
        pairs.append(AnswerPair(
            answer.id, report.get("recall") if claims else None, true_recall(gold),
            report.get("precision") if report.get("n_citations") else None,
            true_precision(gold),
        ))
    _record_validity(results, pairs, f"{suite.label}, answer level, vs {ctx.checker_label}",
                     f"{suite.name}.validity")


def _digest(path: Path) -> str:
    """Content hash of a dataset file, so a comparison can tell when the data changed."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_eval(
    options: RunOptions, settings: Settings, embedder: Any | None = None
) -> dict[str, Any]:
    """Run the eval the options describe and return the results dict.

    `embedder` lets a caller that already loaded the model (tests, a long-lived process)
    share it; otherwise the run loads it once for the service, the judge and baselines.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    questions = None
    suite: CheckerSuite | None = None
    if options.only != "checker":
        questions = load_questions(options.questions)
        if options.fast:
            questions = fast_questions(questions)
    if options.only != "questions":
        suite = load_suite(options.checker_set, options.split, options.fast, options.max_cases)
    # Read the answers file before the model loads, so a bad line fails in a second.
    answers = AnswersFileTarget(options.answers) if options.answers is not None else None

    results: dict[str, Any] = {
        "version": RESULTS_VERSION, "metrics": {}, "metric_judges": {}, "judges": {},
        "timings": {}, "questions": [], "checker": None,
    }
    load_started = time.perf_counter()
    embedder = embedder or _load_embedder(settings)
    results["timings"]["model_load_s"] = round(time.perf_counter() - load_started, 2)
    with _targets(options, settings, embedder, answers) as ctx:
        results["timings"]["target_start_s"] = round(time.perf_counter() - load_started, 2)
        if questions is not None:
            _score_questions(questions, ctx, options, settings, results)
        if suite is not None:
            _score_checker(suite, ctx, options, results)
        label = ctx.label
    total = time.perf_counter() - started
    results["timings"]["total_s"] = round(total, 2)
    results["run"] = {
        "started_at": started_at,
        "target": label,
        "k": options.k,
        "fast": options.fast,
        "questions_file": str(options.questions) if questions is not None else None,
        "checker_file": str(suite.path) if suite is not None else None,
        "checker_suite": suite.name if suite is not None else None,
        "checker_split": suite.split if suite is not None else None,
        "questions_sha256": _digest(options.questions) if questions is not None else None,
        "checker_sha256": _digest(suite.path) if suite is not None else None,
        "n_questions": len(questions or []),
        "n_checker_cases": len(suite.cases) if suite is not None else 0,
        "settings": {
            "answer_mode": settings.answer_mode, "top_k": settings.top_k,
            "judge": settings.judge, "embedding_model": Path(settings.embedding_model).name,
            "llm_model": settings.llm_model if settings.llm_base_url else None,
        },
    }
    results["metrics"]["run.seconds"] = round(total, 2)
    results["metric_judges"]["run.seconds"] = "wall clock"
    return results

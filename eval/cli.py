"""`careerqa eval`: run the evals, build a checker set, export feedback; `register` plugs it in.

Exit codes: 0 done, 1 the target failed, 2 a bad file or option (one line, no
traceback), 3 the gate failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.settings import SAMPLE_SITE_DIR, Settings
from eval.datasets import DEFAULT_CHECKER_SET, DEFAULT_QUESTIONS, DatasetError

EXIT_OK, EXIT_TARGET, EXIT_USAGE, EXIT_GATE = 0, 1, 2, 3
RESULTS_DIR = Path(__file__).resolve().parent / "results"

_HELP = textwrap.dedent(
    """\
    Score careerqa (or any RAG system) on question and checker sets.

    examples:
      careerqa eval                               # full run, in-process service
      careerqa eval --fast --gate eval/gate.toml  # CI gate: exits 3 below a floor
      careerqa eval --url http://127.0.0.1:8000   # a running deployment
      careerqa eval --answers other_system.jsonl  # answers another system produced
      careerqa eval --only checker --checker-set wice   # the checker on WiCE (test split)
      careerqa eval --compare eval/results/results.json   # what improved, what regressed
      careerqa eval make-checker-set --site ./my_site --out my_checker.jsonl
      careerqa eval export-feedback --out review/
      careerqa eval train-checker                 # refit app/check/support_model.json on dev

    Writes results.json, report.md and chart.png to --out (default eval/results/).
    Each figure in the report names its judge: gold labels, the exact-quote test, an
    LLM judge (when CAREERQA_LLM_BASE_URL is set) or the offline checker.
    """
)


def register(subparsers: Any) -> None:
    """Add the `eval` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "eval", help="score answers, citations and the citation checker",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", default="run",
                   choices=["run", "make-checker-set", "export-feedback", "train-checker"],
                   help="what to do (default: run)")
    target = p.add_argument_group("what to score (default: the service, in-process)")
    target.add_argument("--url", help="a careerqa deployment, e.g. http://127.0.0.1:8000")
    target.add_argument("--answers", type=Path, metavar="FILE",
                        help="JSONL answers of another system: {id, answer, citations, retrieved?}")
    data = p.add_argument_group("datasets")
    data.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, metavar="FILE")
    data.add_argument("--checker-set", default=str(DEFAULT_CHECKER_SET), metavar="FILE|wice|llm",
                      help="checker cases: a JSONL file, 'wice' (../shared/benchmarks/wice/"
                           "dev.jsonl) or 'llm' (the LLM-style answer set)")
    data.add_argument("--split", choices=["test", "dev", "all"],
                      help="side of the dev/test split to score (default: test for wice and "
                           "llm, every case of a file)")
    data.add_argument("--fast", action="store_true",
                      help="a stratified subset: ~15 questions, ~120 checker cases")
    data.add_argument("--only", choices=["questions", "checker"], help="run one part only")
    data.add_argument("--cases", type=int, metavar="N",
                      help="score only the first N checker cases (after the split)")
    data.add_argument("--k", type=int, default=5, help="retrieval depth for recall@k (default 5)")
    out = p.add_argument_group("output")
    out.add_argument("--out", type=Path, metavar="PATH",
                     help="output folder (run, export-feedback) or file (make-checker-set)")
    out.add_argument("--compare", type=Path, metavar="OLD.json", help="a previous results.json")
    out.add_argument("--gate", type=Path, metavar="TOML", help="floors/ceilings; exit 3 if missed")
    out.add_argument("--results", type=Path, metavar="FILE",
                     help="gate/compare/report an existing results.json instead of running")
    out.add_argument("--json", action="store_true", help="print the results JSON to stdout")
    out.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    gen = p.add_argument_group("make-checker-set")
    gen.add_argument("--site", type=Path, default=SAMPLE_SITE_DIR, metavar="DIR_OR_STORE",
                     help="a site folder, or a careerqa data dir holding a store")
    gen.add_argument("--size", type=int, default=320, help="about how many cases (default 320)")
    gen.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.action == "make-checker-set":
            return _make_checker_set(args, settings)
        if args.action == "export-feedback":
            return _export_feedback(args, settings)
        if args.action == "train-checker":
            return _train_checker(args, settings)
        return _run(args, settings)
    except DatasetError as exc:
        print(f"careerqa eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"careerqa eval: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:  # a record that reached a model unvalidated: still one line
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        print(f"careerqa eval: invalid {exc.title} field {where!r}: {first.get('msg')}",
              file=sys.stderr)
        return EXIT_USAGE


def _make_checker_set(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from eval.corpus import load_corpus
    from eval.datasets import write_jsonl
    from eval.perturb import build_checker_set

    if args.size < 1:
        raise DatasetError("--size must be at least 1")
    out = args.out or RESULTS_DIR / "checker.jsonl"
    if out.is_dir():
        raise DatasetError(f"{out}: is a folder; --out takes a file name here")
    corpus = load_corpus(args.site, settings)
    cases = build_checker_set(corpus, size=args.size, seed=args.seed)
    if not cases:
        raise DatasetError(f"{args.site}: no usable sentences to build cases from")
    write_jsonl(out, (c.to_json() for c in cases))
    kinds = Counter(c.kind for c in cases)
    summary = {"out": str(out), "cases": len(cases), "kinds": dict(sorted(kinds.items())),
               "pages": len(corpus.texts), "passages": len(corpus.passages)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {len(cases)} cases from {len(corpus.texts)} pages to {out}")
        print("  " + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())))
    return EXIT_OK


def _export_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from core.db import Database
    from eval.feedback import export_feedback
    from eval.runner import _local_store

    out = args.out or RESULTS_DIR / "feedback"
    if not settings.database_url and not settings.sqlite_path.is_file():
        raise DatasetError(f"no feedback database at {settings.sqlite_path}")
    db = Database.from_settings(settings)
    try:
        summary = export_feedback(db, out, _local_store(settings), _feedback_checker(settings))
    finally:
        db.close()
    data = {"rows": summary.rows, "checker_cases": summary.checker_cases,
            "question_cases": summary.question_cases, "source_changed": summary.source_changed,
            "checker_file": str(summary.checker_path),
            "questions_file": str(summary.questions_path)}
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"{summary.rows} feedback rows -> {summary.checker_cases} checker cases "
              f"({summary.checker_path}), {summary.question_cases} question cases "
              f"({summary.questions_path}); {summary.source_changed} cite a changed source")
    return EXIT_OK


def _feedback_checker(settings: Settings) -> Any:
    """The citation checker, for the verdict exported beside each flagged sentence."""
    from app.check.checker import CitationChecker
    from eval.runner import _load_embedder

    return CitationChecker.from_settings(settings, _load_embedder(settings))


def _train_checker(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the checker's support model on the dev splits; print dev and held-out test figures."""
    from app.check.support_model import DEFAULT_MODEL
    from eval.runner import _load_embedder
    from eval.train_checker import train

    out = args.out or DEFAULT_MODEL
    if out.is_dir():
        raise DatasetError(f"{out}: is a folder; --out takes a file name here")
    results = train(_load_embedder(settings), out)
    print(json.dumps(results, indent=2))
    return EXIT_OK


def _read_results(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such results file") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a results JSON file ({exc})") from exc
    if not isinstance(data, dict) or "metrics" not in data:
        raise DatasetError(f"{path}: not a careerqa eval results file (no 'metrics')")
    return data


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from eval.gate import load_gate
    from eval.report import compare
    from eval.runner import RunOptions, run_eval
    from eval.targets import TargetError

    if args.url and args.answers:
        raise DatasetError("give --url or --answers, not both")
    if args.k < 1:
        raise DatasetError("--k must be at least 1")
    if args.answers is not None and not args.answers.is_file():
        raise DatasetError(f"{args.answers}: no such answers file")
    old = _read_results(args.compare) if args.compare else None
    gate = load_gate(args.gate) if args.gate else None
    if args.results is not None:
        results = _read_results(args.results)
        if args.out is None:  # re-checking a file: report to the terminal only
            return _finish(args, results, gate, compare(old, results) if old else None, None)
    else:
        options = RunOptions(
            questions=args.questions, checker_set=args.checker_set, split=args.split, k=args.k,
            fast=args.fast, url=args.url, answers=args.answers, only=args.only,
            max_cases=args.cases,
            progress=sys.stderr.isatty(),
        )
        try:
            results = run_eval(options, settings)
        except TargetError as exc:
            print(f"careerqa eval: {exc}", file=sys.stderr)
            return EXIT_TARGET
    out = args.out or RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    comparison = compare(old, results) if old is not None else None
    return _finish(args, results, gate, comparison, out)


def _finish(args: argparse.Namespace, results: dict[str, Any],
            gate: dict[str, dict[str, float]] | None, comparison: dict[str, Any] | None,
            out: Path | None) -> int:
    """Gate, write the files (when `out`), print, and choose the exit code."""
    from eval.chart import render_chart
    from eval.gate import check_gate
    from eval.report import render_markdown

    if comparison is not None:
        results["comparison"] = comparison
    failures = check_gate(results["metrics"], gate) if gate is not None else []
    results["gate"] = None if gate is None else {
        "file": str(args.gate), "passed": not failures, "failures": [str(f) for f in failures]
    }
    chart = None
    if out is not None:
        chart = None if args.no_chart else render_chart(results, out / "chart.png")
        (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n",
                                          encoding="utf-8")
        (out / "report.md").write_text(
            render_markdown(results, comparison, chart.name if chart else None),
            encoding="utf-8",
        )
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        _print_summary(results, out, chart is not None)
    if failures:
        for failure in failures:
            print(f"careerqa eval: gate failed: {failure}", file=sys.stderr)
        return EXIT_GATE
    return EXIT_OK


_HEADLINE = (
    "retrieval.recall_at_k", "retrieval.mrr", "citations.recall_macro",
    "citations.precision_macro", "answers.quote_exact_rate", "answers.key_point_coverage",
    "answers.refusal_accuracy", "answers.error_rate", "answers.latency_p95_ms",
    "answers.validity.recall_pearson", "answers.validity.precision_pearson",
)
_CHECKER_HEADLINE = (
    "checker.balanced_accuracy", "checker.roc_auc", "baselines.lexical.balanced_accuracy",
    "baselines.lexical.roc_auc", "baselines.embedding.balanced_accuracy",
    "baselines.embedding.roc_auc", "validity.recall_pearson", "validity.precision_pearson",
)


def _headline(results: dict[str, Any]) -> list[str]:
    suite = (results.get("checker") or {}).get("suite", "checker set")
    prefix = "" if suite == "checker set" else f"{suite}."
    return list(_HEADLINE) + [prefix + name for name in _CHECKER_HEADLINE]


def _print_summary(results: dict[str, Any], out: Path | None, chart: bool) -> None:
    from eval.report import fmt

    metrics, judges = results["metrics"], results.get("metric_judges", {})
    names = [n for n in _headline(results) if n in metrics]
    width = max((len(n) for n in names), default=10)
    for name in names:
        print(f"{name:<{width}}  {fmt(metrics[name], name):>8}  ({judges.get(name, '')})")
    if coverage := results.get("coverage"):
        print(coverage_line(coverage))
    if comparison := results.get("comparison"):
        for line in comparison_lines(comparison):
            print(line)
    seconds = results.get("timings", {}).get("total_s")
    if out is not None:
        files = ["results.json", "report.md"] + (["chart.png"] if chart else [])
        print(f"{seconds:.1f} s; wrote {', '.join(str(out / f) for f in files)}")
    if results.get("gate"):
        print("gate: " + ("passed" if results["gate"]["passed"] else "FAILED"))


def coverage_line(coverage: dict[str, Any]) -> str:
    """"questions: 79 — answered 4, errored 0, missing 75, skipped 1 (PARTIAL: ...)"."""
    line = (f"questions: {coverage['questions']} — answered {coverage['answered']}, "
            f"errored {coverage['errored']}, no answer {coverage['missing']}, "
            f"skipped {coverage['skipped']} (answers for questions not in the set)")
    if coverage.get("partial"):
        line += (f"; PARTIAL: answer figures cover {coverage['answered']} of "
                 f"{coverage['questions']} questions")
    return line


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    """The --compare result for the terminal: every change beyond noise, and what vanished."""
    from eval.report import fmt

    lines = [f"compared with the run of {comparison.get('old_run')}"
             + ("" if comparison.get("same_datasets", True) else " (different datasets!)")
             + ":"]
    for change in comparison.get("metrics", []):
        name = change["name"]
        lines.append(f"  {change['status']:<9} {name}: {fmt(change['old'], name)} -> "
                     f"{fmt(change['new'], name)} ({change['delta']:+.3f})")
    for name in comparison.get("missing", []):
        lines.append(f"  missing   {name}: in the previous run, not in this one")
    if len(lines) == 1:
        lines.append("  no metric changed beyond noise")
    return lines

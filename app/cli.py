"""The `careerqa` command: ingest, sources, serve, ask, eval, bench."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from app import embed_cli, keywords_cli
from app.cli_errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError
from core.settings import SAMPLE_SITE_DIR, Settings
from eval import bench as eval_bench
from eval import cli as eval_cli

Handler = Callable[[argparse.Namespace, Settings], int]

# Subcommands defined beside what they run; each adds its parser to `careerqa`.
_REGISTER = (embed_cli.register, keywords_cli.register, eval_cli.register, eval_bench.register)


def _load_embedder(settings: Settings):
    from ingest.embed import embedder_from_settings

    return embedder_from_settings(settings)


# --- ingest ---------------------------------------------------------------------------------


def _ingest_specs(args: argparse.Namespace, settings: Settings) -> list:
    from app.parts import sample_site_specs
    from app.sample_urls import STORED_SAMPLE_BASE
    from ingest import sources as src

    specs: list = []
    try:
        if args.sources_file:
            specs += src.load_sources_yaml(Path(args.sources_file))
        if args.urls:
            specs.append(src.UrlList(urls=list(args.urls)))
        if args.url_file:
            specs.append(src.UrlFile(path=Path(args.url_file)))
        for sitemap in args.sitemap or []:
            specs.append(src.Sitemap(url=sitemap))
        for start in args.crawl or []:
            specs.append(src.Crawl(
                start_url=start,
                max_depth=args.depth if args.depth is not None else settings.crawl_max_depth,
                max_pages=args.max_pages or settings.crawl_max_pages,
                include=list(args.include or []), exclude=list(args.exclude or []),
            ))
        for path in args.local or []:
            if not Path(path).exists():
                raise CliError(f"no such file or folder: {path}")
            specs.append(src.LocalPath(path=Path(path), base_url=args.base_url))
        if args.sample:
            specs += sample_site_specs(SAMPLE_SITE_DIR, STORED_SAMPLE_BASE)
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from exc
    if not specs:
        raise CliError("nothing to ingest: give URLs, --sitemap, --crawl, --local, "
                       "--sources-file or --sample")
    return specs


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import Ingestor
    from ingest.state import IngestState
    from ingest.store import ChromaStore

    specs = _ingest_specs(args, settings)
    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    try:
        ingestor = Ingestor(settings, _load_embedder(settings), store, state)
        summary = ingestor.run(specs, prune=args.prune)
    finally:
        state.close()
    data = summary.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(format_summary(data))
    return EXIT_OK if not data["failed"] or data["stored"] or data["unchanged"] else EXIT_ERROR


def format_summary(data: dict) -> str:
    lines = [
        f"pages seen {data['pages_seen']}, fetched {data['fetched']}, stored {data['stored']}, "
        f"unchanged {data['unchanged']}, duplicates {data['duplicates']}, "
        f"failed {len(data['failed'])}",
        f"chunks added {data['chunks_added']}, removed {data['chunks_removed']}"
        + (f", pruned {len(data['pruned'])} pages" if data["pruned"] else ""),
        "time per stage: " + ", ".join(f"{k} {v:.2f}s" for k, v in data["stage_seconds"].items())
        + f"; wall {data['wall_seconds']:.2f}s",
    ]
    if data["skipped"]:
        lines.append("skipped: " + ", ".join(f"{k} {v}" for k, v in data["skipped"].items()))
    for near in data["near_duplicates"]:
        lines.append(f"near-duplicate: {near['url']} ~ {near['of']} ({near['similarity']:.2f})")
    for url, why in data["failed"].items():
        lines.append(f"failed: {url}: {why}")
    return "\n".join(lines)


# --- sources --------------------------------------------------------------------------------


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.state import IngestState

    if not settings.database_url and not settings.sqlite_path.exists():
        raise CliError(f"nothing ingested yet ({settings.sqlite_path} does not exist)")
    state = IngestState.from_settings(settings)
    try:
        if args.log:
            rows = state.log_entries(url=args.url, limit=args.limit)
            if args.json:
                print(json.dumps(rows, indent=2))
            for row in [] if args.json else reversed(rows):
                print(f"{row['at']}  run {row['run_id']}  {row['decision']:<18} {row['url']}"
                      + (f"  ({row['detail']})" if row["detail"] else ""))
            return EXIT_OK
        pages = [p for p in state.pages() if not args.url or p.url == args.url]
        if args.json:
            print(json.dumps([p.__dict__ for p in pages], indent=2, default=str))
            return EXIT_OK
        for p in pages:
            why = f"  {p.reason}: {p.error}" if p.reason else ""
            extra = f"  duplicate of {p.duplicate_of}" if p.duplicate_of else ""
            extra += f"  near-duplicate of {p.near_duplicate_of}" if p.near_duplicate_of else ""
            print(f"{p.status:<10} {p.chunk_count:>4} chunks  {p.url}{why}{extra}")
        print(f"{sum(p.status == 'stored' for p in pages)} stored, "
              f"{sum(p.status == 'failed' for p in pages)} failed, {len(pages)} in all")
    finally:
        state.close()
    return EXIT_OK


# --- serve and ask --------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.store import ChromaStore

    # Open the store once before anything heavy loads: an unreachable Chroma server is then
    # one line (StoreUnavailable, exit 1) rather than a lifespan traceback from uvicorn.
    ChromaStore.from_settings(settings)

    import uvicorn

    from app.main import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    if settings.public_url == Settings.model_fields["public_url"].default:
        # Where this process listens, whether --port or CAREERQA_PORT chose it: links in
        # answers and the "ready at" line must not name the default port.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        settings = settings.model_copy(update={"public_url": f"http://{shown}:{port}"})
    from app.security import server_options

    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="info",
                            **server_options(settings))
    serve_announcing(uvicorn.Server(config), settings.public_url.rstrip("/"))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from ingest.state import IngestState
    from ingest.store import ChromaStore
    from ingest.worker import Worker

    if args.check:
        from core import jobs
        from core.db import Database

        db = Database.from_settings(settings, migrate=False)
        try:
            jobs.get(db, 0)  # the queue answers
        finally:
            db.close()
        return EXIT_OK
    from app.answer.sentence_cache import SentenceCache, SentenceStage

    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    embedder = _load_embedder(settings)
    # Sentence vectors are computed here, once, into the database every replica reads.
    stage = SentenceStage(SentenceCache(state.db, embedder.name, embedder.dim), embedder)
    worker = Worker(settings, embedder, store, state, poll_seconds=args.poll,
                    after_store=stage if settings.sentence_vectors_at_ingest else None)
    try:
        if args.once:
            while worker.run_once() is not None:
                pass
            return EXIT_OK
        # SIGTERM (docker stop) ends the loop between jobs; a job cut off by a kill is
        # resumed by the next worker once its heartbeat goes stale.
        signal.signal(signal.SIGTERM, lambda *_: worker.stop(timeout=0))
        logging.getLogger("careerqa").info("worker %s waiting for ingest jobs", worker.name)
        worker.run_forever()
    finally:
        state.close()
    return EXIT_OK


def serve_announcing(server, base: str) -> None:
    """Run a uvicorn server; print one "ready at" line once it accepts connections.

    uvicorn's own "running on" line comes before the first start's sample ingest and model
    load are over; this one comes when the demo page and the API really answer.
    """
    import threading
    import time

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.1)
        print(f"careerqa ready at {base}/ (demo), {base}/docs (API)", flush=True)

    threading.Thread(target=announce, name="announce-ready", daemon=True).start()
    server.run()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from app.models import AskRequest
    from app.parts import build_parts

    try:
        request = AskRequest(question=args.question, mode=args.mode, top_k=args.top_k,
                             strict=args.strict or None)
    except ValidationError as exc:
        raise CliError(exc.errors()[0]["msg"]) from exc
    from app.question_cost import QuestionTooCostly

    parts = build_parts(settings)
    try:
        # An empty store: the first-start sample ingest was just queued; run it here and now.
        if parts.store.count() == 0:
            parts.finish_queued_ingest()
        response = parts.service.ask(request)
    except QuestionTooCostly as exc:
        raise CliError(str(exc)) from exc
    finally:
        parts.close()
    if args.json:
        print(response.model_dump_json(indent=2))
        return EXIT_OK
    print(render_answer(response))
    return EXIT_OK


def render_answer(response) -> str:
    """The answer for a terminal: text, a check line, then numbered sources with quotes."""
    out = [response.answer.strip(), ""]
    check = response.citation_check
    if response.citations:
        out.append(f"citation check: recall {check.get('recall', 0):.2f}, precision "
                   f"{check.get('precision', 0):.2f} — "
                   + ("passed" if check.get("passed") else "NOT passed"))
        for s in response.sentences:
            if not s.supported:
                out.append(f"  ! unsupported ({s.reason}): {s.text}")
        out.append("")
        out.append("Sources:")
        for c in response.citations:
            where = " > ".join(c.heading_path[1:]) if len(c.heading_path) > 1 else ""
            out.append(f"[{c.id}] {c.title}" + (f" — {where}" if where else ""))
            out.append(f"    {c.url}")
            out.append(textwrap.fill(f'"{c.quote}"', width=96, initial_indent="    ",
                                     subsequent_indent="    "))
    if response.degraded:
        out.append("(the LLM was unavailable; answered extractively)")
    return "\n".join(out)


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="careerqa",
        description="Cited, citation-checked answers to engineering-career questions.",
        epilog="Settings come from CAREERQA_* environment variables or a .env file.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="scrape sources into the store (incremental)",
                       description="Fetch, extract, chunk, embed and store pages. Unchanged "
                       "pages are skipped; changed pages replace their chunks.")
    p.add_argument("urls", nargs="*", help="page URLs to ingest")
    p.add_argument("--sources-file", "-s", help="YAML file of sources (see ingest/sources.yaml)")
    p.add_argument("--url-file", help="file with one URL per line")
    p.add_argument("--sitemap", action="append", help="sitemap.xml or sitemap index URL")
    p.add_argument("--crawl", action="append", help="start URL of a same-site crawl")
    p.add_argument("--depth", type=int, help="crawl depth limit")
    p.add_argument("--max-pages", type=int, help="crawl page limit")
    p.add_argument("--include", action="append", help="regex a crawled URL must match")
    p.add_argument("--exclude", action="append", help="regex excluding crawled URLs")
    p.add_argument("--local", action="append", help="local HTML/Markdown file or folder")
    p.add_argument("--base-url", help="public URL of --local files (for citations)")
    p.add_argument("--sample", action="store_true", help="the bundled sample corpus")
    p.add_argument("--prune", action="store_true", help="remove pages gone from their source")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sources", help="list what is stored, or the fetch audit log")
    p.add_argument("--log", action="store_true", help="show every fetch decision")
    p.add_argument("--url", help="only this URL")
    p.add_argument("--limit", type=int, default=200, help="log lines to show")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("serve", help="run the HTTP service (ingests the sample if empty)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run queued ingest jobs (POST /v1/ingest)",
                       description="Claim ingest jobs from the records database and run "
                       "them, one at a time, until stopped. Run several on several machines: "
                       "a lock in the database gives each job to one worker.")
    p.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between queue checks")
    p.add_argument("--check", action="store_true",
                   help="exit 0 if the job queue is reachable (a health check)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("ask", help="answer a question in the terminal, with sources")
    p.add_argument("question")
    p.add_argument("--mode", choices=["extractive", "llm", "auto"])
    p.add_argument("--top-k", type=int)
    p.add_argument("--strict", action="store_true", help="drop unsupported sentences")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    for register in _REGISTER:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command in ("serve", "worker")
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        print(f"careerqa: bad setting CAREERQA_{str(err['loc'][0]).upper()}: {err['msg']}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args, settings) or 0)
    except CliError as exc:
        print(f"careerqa: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("careerqa: interrupted; what was stored is kept, re-run to finish",
              file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line for people, the trace with -v
        from ingest.errors import IngestError

        if args.verbose:
            raise
        kind = "store unavailable" if isinstance(exc, IngestError) else type(exc).__name__
        print(f"careerqa: {kind}: {exc} (run with -v for details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

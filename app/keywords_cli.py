"""`careerqa keywords`: the database keyword index (CAREERQA_KEYWORD_INDEX=database)."""

from __future__ import annotations

import argparse
import json

from app.cli_errors import EXIT_OK
from core.settings import Settings


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "keywords", help="the database keyword index: build it for an existing store",
        description="Ingest writes the records database's keyword index with every page it "
        "stores. A store ingested before that (or restored without its database) is indexed "
        "once with `build`; running it again changes nothing.")
    sub = parser.add_subparsers(dest="keywords", metavar="ACTION", required=True)
    p = sub.add_parser("build", help="index every stored chunk (idempotent)",
                       description="Reads the vector store page by page and makes each page's "
                       "indexed chunks the stored ones; drops pages no longer stored.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.keyword_backfill import backfill
    from ingest.state import IngestState
    from ingest.store import ChromaStore

    store = ChromaStore.from_settings(settings)
    state = IngestState.from_settings(settings)
    try:
        result = backfill(store, state)
    finally:
        state.close()
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(f"keyword index: {result.pages_indexed} pages indexed, {result.pages_current} "
              f"already current, {result.pages_dropped} dropped; {result.chunks} chunks stored")
    return EXIT_OK

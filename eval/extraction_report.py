"""Per-source extraction report over a folder of real documents, offline and without embedding.

    python -m eval.extraction_report ../shared/corpora [--json OUT] [--before BEFORE.json]
                                                      [--write docs/extraction.md]

Every document listed in the folder's MANIFEST.tsv (or, without one, every .md/.markdown/.html
file under it) is read as `careerqa ingest --local` reads it (file:// URL, content type by
extension), extracted and chunked with the default chunk settings. Per source folder:

- pages extracted (and failures), chunks;
- sentence share: the page's visible body sentences found in the extracted text. The
  reference is built independently of the extractor: for Markdown, the source with link
  targets, HTML tags, template tags, attribute lists and fenced code removed, plus every
  string in the front matter; for HTML, the visible text of <article>/<main> (else <body>).
  Sentences of fewer than 6 words are left out (headings, labels), and so are Markdown
  table rows; matching is on lower-cased word tokens against the extracted text and its
  headings, so punctuation and markup spelling do not count;
- artifacts left in non-code blocks and heading paths, one count per pattern (target 0);
- titles that are URLs (target 0).

`--json OUT` saves the figures; `--before` puts a saved run (e.g. made with an older
extractor on PYTHONPATH, running this file as a script) beside this one in one table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from ingest.chunk import chunk_document, split_sentences
from ingest.errors import ExtractionError
from ingest.extract import extract
from ingest.records import Page

_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".html": "text/html"}
_TYPES[".htm"] = "text/html"
CHUNK_SIZE, CHUNK_OVERLAP = 220, 40  # the service's defaults (core/settings.py)
MIN_SENTENCE_WORDS = 6

ARTIFACTS: dict[str, re.Pattern[str]] = {
    "admonition": re.compile(r"(?m)^\s*(?:!!!|\?\?\?\+?)\s*\w+|(?<!\w)!!! \w+"),
    "attribute list": re.compile(r"\{:[^}\n]*\}|\{#[\w-]+\}|\{\.[\w-]+\}"),
    "template tag": re.compile(r"\{%.*?%\}|\{\{.*?\}\}"),
    "footnote marker": re.compile(r"\[\^[^\]\s]+\]|\[\d+\]|↩"),
    "HTML comment": re.compile(r"<!--|-->"),
    "raw HTML tag": re.compile(
        r"</?(?:div|span|ul|ol|li|p|a|img|br|table|tr|td|th|tbody|thead|details|summary"
        r"|b|strong|em|i|sup|sub|h[1-6]|section|center|font)\b[^>]*>",
        re.IGNORECASE,
    ),
}
_URL_TITLE = re.compile(r"^(?:https?|file)://")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_FENCE = re.compile(r"(?ms)^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|\]\[[^\]]*\]")
_MARKUP = re.compile(
    r"<!--.*?-->|\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}|<[^>\n]+>|\{%.*?%\}|\{\{.*?\}\}|\{:[^}\n]*\}|\{#[\w-]+\}"
    r"|\[\^[^\]\s]+\](?!:)|^\[[^\]^][^\]]*\]:.*$",  # footnote refs; link definitions
    re.S | re.M,
)
# "!!! tip "Title"" / "[^1]: text": the title and the note are text, the markers are not.
_BLOCK_MARKERS = re.compile(r'^[ \t]*(?:(?:!!!|\?\?\?\+?)[ \t]+\w+[ \t]*"?|\[\^[^\]]+\]:)', re.M)
_WORD = re.compile(r"[a-z0-9]+")
_HEADING_LINE = re.compile(r"(?m)^([ \t]{0,3}#{1,6}[ \t].*)$")  # a heading is a sentence of its own
_TABLE_ROW = re.compile(r"(?m)^[ \t]*\|.*\|[ \t]*$")


@dataclass
class SourceReport:
    """Figures for one source folder."""

    source: str
    pages: int = 0
    failed: int = 0
    chunks: int = 0
    reference_sentences: int = 0
    kept_sentences: int = 0
    artifacts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ARTIFACTS, 0))
    url_titles: int = 0

    @property
    def share(self) -> float:
        return self.kept_sentences / max(self.reference_sentences, 1)


def documents(folder: Path) -> dict[str, list[Path]]:
    """Files per source (first path component), from MANIFEST.tsv when there is one."""
    manifest = folder / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open(encoding="utf-8") as handle:
            paths = [folder / row["local_path"] for row in csv.DictReader(handle, delimiter="\t")]
    else:
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _TYPES)
    by_source: dict[str, list[Path]] = {}
    for path in paths:
        by_source.setdefault(path.relative_to(folder).parts[0], []).append(path)
    return by_source


def reference_sentences(path: Path, body: bytes) -> list[str]:
    """The page's visible body sentences as normalised word strings (see the module doc)."""
    text = body.decode("utf-8", "replace")
    if _TYPES[path.suffix.lower()] == "text/html":
        soup = BeautifulSoup(text, "lxml")
        for tag in soup.find_all(["script", "style", "noscript", "template"]):
            tag.decompose()
        root = soup.find("article") or soup.find("main") or soup.body or soup
        parts = [root.get_text("\n")]
    else:
        parts = []
        if match := _FRONT_MATTER.match(text):
            text = text[match.end() :]
            with contextlib.suppress(yaml.YAMLError):
                parts += list(_strings(yaml.safe_load(match.group(1))))
        text = _MARKUP.sub(" ", _LINK_TARGET.sub("]", _FENCE.sub("\n", text)))
        text = _HEADING_LINE.sub("\\1\n", _BLOCK_MARKERS.sub("\n\n", text))
        text = _TABLE_ROW.sub("\n", text)
        parts.append(text)
    sentences = []
    for part in parts:
        for paragraph in re.split(r"\n\s*\n", part):
            for start, end in split_sentences(paragraph):
                words = _WORD.findall(paragraph[start:end].lower())
                if len(words) >= MIN_SENTENCE_WORDS:
                    sentences.append(" ".join(words))
    return sentences


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def report_source(name: str, paths: list[Path]) -> SourceReport:
    result = SourceReport(name)
    for path in paths:
        body = path.read_bytes()
        url, media_type = path.resolve().as_uri(), _TYPES[path.suffix.lower()]
        page = Page(url=url, body=body, content_type=media_type)
        try:
            doc = extract(page)
        except ExtractionError:
            result.failed += 1
            continue
        result.pages += 1
        result.chunks += len(chunk_document(doc, CHUNK_SIZE, CHUNK_OVERLAP))
        headings = {h for b in doc.blocks for h in b.heading_path}
        kept_text = "\n".join([doc.text, *headings]).lower()  # a question kept as a heading
        found = " " + " ".join(_WORD.findall(kept_text)) + " "
        reference = reference_sentences(path, body)
        result.reference_sentences += len(reference)
        result.kept_sentences += sum(f" {s} " in found for s in reference)
        prose = "\n\n".join([*(b.text for b in doc.blocks if b.kind != "code"), *headings])
        for label, pattern in ARTIFACTS.items():
            result.artifacts[label] += len(pattern.findall(prose))
        result.url_titles += bool(_URL_TITLE.match(doc.title))
    return result


def run(folder: Path) -> list[SourceReport]:
    return [report_source(name, paths) for name, paths in sorted(documents(folder).items())]


def _row(r: dict) -> list[str]:
    share = r["kept_sentences"] / max(r["reference_sentences"], 1)
    return [
        f"{r['pages']}" + (f" (+{r['failed']} failed)" if r["failed"] else ""),
        str(r["chunks"]),
        f"{r['kept_sentences']}/{r['reference_sentences']} ({100 * share:.1f}%)",
        *(str(r["artifacts"][label]) for label in ARTIFACTS),
        str(r["url_titles"]),
    ]


def table(after: list[dict], before: list[dict] | None) -> str:
    """A Markdown table, one row per source and run ("before" rows first when given)."""
    header = ["source", "run", "pages", "chunks", "sentences kept", *ARTIFACTS, "URL titles"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    old = {r["source"]: r for r in before or []}
    for r in [*after, _total(after)]:
        if r["source"] in old or (before and r["source"] == "all"):
            prior = old.get(r["source"]) or _total(before or [])
            lines.append("| " + " | ".join([r["source"], "before", *_row(prior)]) + " |")
        lines.append("| " + " | ".join([r["source"], "after" if before else "", *_row(r)]) + " |")
    return "\n".join(lines)


def _total(rows: list[dict]) -> dict:
    total: dict = {"source": "all", "artifacts": dict.fromkeys(ARTIFACTS, 0)}
    for key in ("pages", "failed", "chunks", "reference_sentences", "kept_sentences", "url_titles"):
        total[key] = sum(r[key] for r in rows)
    for r in rows:
        for label in ARTIFACTS:
            total["artifacts"][label] += r["artifacts"][label]
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of source folders (../shared/corpora)")
    parser.add_argument("--json", type=Path, help="also save the figures to this file")
    parser.add_argument("--before", type=Path, help="a saved run to show beside this one")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"no such folder: {args.folder}", file=sys.stderr)
        return 2
    rows = [asdict(r) for r in run(args.folder)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), "utf-8")
    before = json.loads(args.before.read_text("utf-8")) if args.before else None
    rendered = table(rows, before)
    print(rendered)
    if args.write:
        _write_section(args.write, rendered)
    return 0


_BEGIN, _END = "<!-- report:begin -->", "<!-- report:end -->"


def _write_section(path: Path, rendered: str) -> None:
    """Replace the table between the report markers of `path` (the prose around it stays)."""
    text = path.read_text("utf-8")
    start, end = text.index(_BEGIN) + len(_BEGIN), text.index(_END)
    path.write_text(text[:start] + "\n" + rendered + "\n" + text[end:], "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())

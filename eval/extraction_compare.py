"""Compare careerqa's extractor with trafilatura on the bundled pages, offline.

    python -m eval.extraction_compare [--json] [--misses]

Three page sets:
- clutter: the purpose-built pages in tests/pages/, scored against the hand-written
  tests/pages/expectations.json (the same expectations tests/test_extract.py checks);
- patterns: the HTML pages of tests/pages/ that reproduce real site templates (a
  competency page whose lead paragraph sits beside a big table, an MkDocs Material page
  with admonitions and full navigation, an interview with bold questions and a byline
  note), entries marked `"set": "patterns"` in the same file; the Markdown patterns are
  scored by tests/test_extract*.py only, since trafilatura reads HTML;
- sample: ingest/sample_site/{articles,case-studies}, whose gold comes from the page
  itself: every paragraph, list item and quote that is a direct child of <article>
  must be kept; known furniture phrases present on the page (cookie banner, related
  and popular lists, newsletter, share bar, footer) plus the first words of each ad
  and comment must be dropped; the h2/h3 above each paragraph is its heading path.

trafilatura is scored on its XML output (the richest it has: <head rend="hN">, <list>,
<item>), so heading paths and list lines are rebuilt for it the same way ours are.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from lxml import etree

from core.settings import PROJECT_ROOT, SAMPLE_SITE_DIR
from ingest.chunk import split_sentences
from ingest.extract import extract
from ingest.records import Page

FIXTURES = PROJECT_ROOT / "tests" / "pages"
SAMPLE_BASE = "https://fieldnotes.example/"
FURNITURE = (
    "We use cookies", "Accept cookies", "Related articles", "Popular posts", "Get the newsletter",
    "unsubscribe anytime", "Share this", "Share on X", "About the author", "Advertisement",
    "© 2026", "All rights reserved", "Loading comments", "Leave a comment",
)  # fmt: skip


@dataclass
class Gold:
    """What a good extraction of one page contains and leaves out."""

    url: str
    html: bytes
    kept: list[str]
    dropped: list[str]
    headings: list[tuple[str, tuple[str, ...]]]  # sentence or paragraph -> path below title
    list_lines: list[str]
    metadata: dict[str, str | None]


@dataclass
class Extraction:
    """An extractor's output reduced to what we score: blocks with paths, and metadata."""

    blocks: list[tuple[str, str, tuple[str, ...]]]  # (kind, text, path below the title)
    metadata: dict[str, str | None]
    offsets_exact: bool

    @property
    def text(self) -> str:
        return _collapse(" ".join(text for _, text, _ in self.blocks))


@dataclass
class Score:
    hits: dict[str, list[int]] = field(default_factory=dict)  # metric -> [hits, total]
    misses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0

    def add(self, metric: str, ok: bool, detail: str) -> None:
        counts = self.hits.setdefault(metric, [0, 0])
        counts[0] += ok
        counts[1] += 1
        if not ok:
            self.misses.append(f"{metric}: {detail}")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- gold


def fixture_golds(page_set: str = "clutter") -> list[Gold]:
    """The HTML pages of tests/pages/ in `page_set` ("clutter" or "patterns")."""
    specs = json.loads((FIXTURES / "expectations.json").read_text("utf-8"))
    return [
        Gold(
            url=spec["url"],
            html=(FIXTURES / name).read_bytes(),
            kept=spec["kept"],
            dropped=spec["dropped"],
            headings=[(h["sentence"], tuple(h["path"])) for h in spec["headings"]],
            list_lines=spec["list_lines"],
            metadata=spec["metadata"],
        )
        for name, spec in specs.items()
        if spec["content_type"].startswith("text/html")  # trafilatura reads HTML only
        and spec.get("set", "clutter") == page_set
    ]


def sample_golds() -> list[Gold]:
    paths = [*sorted((SAMPLE_SITE_DIR / "articles").glob("*.html"))]
    paths += sorted((SAMPLE_SITE_DIR / "case-studies").glob("*.html"))
    return [gold for path in paths if (gold := _sample_gold(path))]


def _sample_gold(path: Path) -> Gold | None:
    """Gold from the page's own <article> markup; pages without one are not scored."""
    html = path.read_bytes()
    url = SAMPLE_BASE + path.relative_to(SAMPLE_SITE_DIR).as_posix()
    soup = BeautifulSoup(html, "lxml")
    article = soup.find("article")
    if not isinstance(article, Tag):
        return None
    kept: list[str] = []
    headings: list[tuple[str, tuple[str, ...]]] = []
    list_lines: list[str] = []
    path_stack: list[tuple[int, str]] = []
    for child in article.find_all(True, recursive=False):
        text = _collapse(child.get_text())
        if child.name in ("h2", "h3", "h4"):
            level = int(child.name[1])
            path_stack = [(lv, t) for lv, t in path_stack if lv < level] + [(level, text)]
        elif child.name in ("p", "blockquote") and "byline" not in child.get_attribute_list(
            "class"
        ):
            parts = [_collapse(p.get_text()) for p in child.find_all("p")] or [text]
            kept += [part[s:e] for part in parts for s, e in split_sentences(part)]
            headings.append((" ".join(parts), tuple(t for _, t in path_stack)))
        elif child.name in ("ul", "ol"):
            for number, li in enumerate(child.find_all("li", recursive=False), start=1):
                item = _collapse(li.get_text())
                kept.append(item)
                list_lines.append(f"{number}. {item}" if child.name == "ol" else f"- {item}")
    article_text = " ".join(kept)
    for script in soup.find_all(["script", "style"]):
        script.decompose()
    page_text = _collapse(soup.get_text(" "))
    dropped = [p for p in FURNITURE if p in page_text and p not in article_text]
    for box in soup.select('[class~="ad-slot"] p, [class~="comment"] p, .comments p'):
        words = _collapse(box.get_text()).split()[:6]
        if words:
            dropped.append(" ".join(words))
    meta = {
        "title": _collapse(soup.h1.get_text()) if soup.h1 else None,
        "author": _meta_content(soup, name="author"),
        "published": _meta_content(soup, property="article:published_time"),
        "canonical_url": _canonical_href(soup, url),
    }
    return Gold(url, html, kept, dropped, headings, list_lines, meta)


def _canonical_href(soup: BeautifulSoup, url: str) -> str | None:
    link = soup.find("link", rel="canonical", href=True)
    return urljoin(url, str(link["href"])) if isinstance(link, Tag) else None


def _meta_content(soup: BeautifulSoup, **attrs: str) -> str | None:
    tag = soup.find("meta", attrs=attrs)
    return str(tag["content"]) if isinstance(tag, Tag) else None


# --- extractors


def run_careerqa(gold: Gold) -> Extraction:
    doc = extract(Page(url=gold.url, body=gold.html))
    return Extraction(
        blocks=[(b.kind, b.text, b.heading_path[1:]) for b in doc.blocks],
        metadata={
            "title": doc.title,
            "author": doc.author,
            "published": doc.published,
            "canonical_url": doc.canonical_url,
        },
        offsets_exact=all(doc.text[b.start : b.end] == b.text for b in doc.blocks),
    )


def run_trafilatura(gold: Gold) -> Extraction:
    import trafilatura

    xml = trafilatura.extract(
        gold.html.decode("utf-8", "replace"),
        url=gold.url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        with_metadata=True,
    )
    if not xml:
        return Extraction([], {}, offsets_exact=False)
    root = etree.fromstring(xml.encode("utf-8"))
    blocks: list[tuple[str, str, tuple[str, ...]]] = []
    stack: list[tuple[int, str]] = []
    main = root.find("main")
    for element in main if main is not None else []:
        text = _collapse("".join(element.itertext()))
        if element.tag == "head":
            level = int((element.get("rend") or "h2").lstrip("h") or 2)
            if level > 1:
                stack = [(lv, t) for lv, t in stack if lv < level] + [(level, text)]
        elif element.tag == "list":
            lines = "\n".join(_trafilatura_list_lines(element, depth=0))
            blocks.append(("list", lines, tuple(t for _, t in stack)))
        elif text:
            blocks.append((element.tag, text, tuple(t for _, t in stack)))
    date = root.get("date")
    return Extraction(
        blocks=blocks,
        metadata={
            "title": root.get("title"),
            "author": root.get("author"),
            "published": date[:10] if date else None,
            "canonical_url": root.get("url"),
        },
        offsets_exact=False,  # plain strings: no offsets into any text
    )


def _trafilatura_list_lines(element: etree._Element, depth: int) -> list[str]:
    """Render a trafilatura <list> the way ours renders <ul>/<ol>, nested lists indented."""
    lines: list[str] = []
    for number, item in enumerate(element.findall("item"), start=1):
        nested = item.findall("list")
        own = (item.text or "") + "".join(
            "".join(child.itertext()) + (child.tail or "")
            if child.tag != "list"
            else (child.tail or "")
            for child in item
        )
        marker = f"{number}. " if element.get("rend") == "ol" else "- "
        lines.append("  " * depth + marker + _collapse(own))
        for sub in nested:
            lines += _trafilatura_list_lines(sub, depth + 1)
    return lines


def _same(key: str, actual: str | None, expected: str | None, page_url: str) -> bool:
    """Metadata equality that ignores spelling choices both answers could make."""
    if key == "canonical_url":  # "no canonical link" and "the page's own URL" mean the same
        return (actual or page_url) == (expected or page_url)
    if key == "author" and actual:  # "A; B" and "A, B" name the same people
        actual = actual.replace(";", ",")
    return actual == expected


# --- scoring


def score(run: Callable[[Gold], Extraction], golds: list[Gold]) -> Score:
    result = Score()
    for gold in golds:
        began = time.perf_counter()
        out = run(gold)
        result.seconds += time.perf_counter() - began
        result.pages += 1
        text = out.text
        for sentence in gold.kept:
            result.add("sentences kept", _collapse(sentence) in text, f"{gold.url}: {sentence}")
        for phrase in gold.dropped:
            result.add("boilerplate dropped", phrase not in text, f"{gold.url}: {phrase}")
        for sentence, path in gold.headings:
            found = next((p for _, t, p in out.blocks if _collapse(sentence) in t), None)
            result.add("heading paths right", found == path, f"{gold.url}: {sentence} -> {found}")
        lines = {line for kind, t, _ in out.blocks if kind == "list" for line in t.split("\n")}
        for line in gold.list_lines:
            result.add("list lines kept", line in lines, f"{gold.url}: {line}")
        for key, expected in gold.metadata.items():
            actual = out.metadata.get(key)
            ok = _same(key, actual, expected, gold.url)
            result.add("metadata right", ok, f"{gold.url}: {key}={actual!r}")
        result.add("exact block offsets", out.offsets_exact, gold.url)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)

    extractors: dict[str, Callable[[Gold], Extraction]] = {"careerqa": run_careerqa}
    try:
        import trafilatura  # noqa: F401
    except ImportError as error:  # its lxml.html.clean dependency is a separate package
        print(f"trafilatura unavailable ({error}); scoring careerqa only")
    else:
        extractors["trafilatura"] = run_trafilatura

    sets = {
        "clutter": fixture_golds(),
        "patterns": fixture_golds("patterns"),
        "sample": sample_golds(),
    }
    results = {
        (s, name): score(run, golds)
        for s, golds in sets.items()
        for name, run in extractors.items()
    }
    if args.json:
        report = {
            f"{s}/{name}": {
                "pages": r.pages,
                "ms_per_page": 1000 * r.seconds / max(r.pages, 1),
                **r.hits,
            }
            for (s, name), r in results.items()
        }
        print(json.dumps(report, indent=2))
        return 0

    names = list(extractors)
    print(f"{'pages':<14}{'metric':<22}" + "".join(f"{n:>20}" for n in names))
    for set_name, golds in sets.items():
        metrics = list(results[(set_name, names[0])].hits)
        label = f"{set_name} ({len(golds)})"
        for metric in [*metrics, "ms per page"]:
            cells = []
            for name in names:
                r = results[(set_name, name)]
                if metric == "ms per page":
                    cells.append(f"{1000 * r.seconds / max(r.pages, 1):.1f}")
                else:
                    hit, total = r.hits.get(metric, [0, 0])
                    cells.append(f"{hit}/{total} {100 * hit / max(total, 1):5.1f}%")
            print(f"{label:<14}{metric:<22}" + "".join(f"{c:>20}" for c in cells))
            label = ""
    if args.misses:
        for (set_name, name), r in results.items():
            for miss in r.misses:
                print(f"[{set_name}/{name}] {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

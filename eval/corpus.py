"""The text of a corpus for the evals: from a site folder (extracted as ingest would) or a store.

Two users: the checker-set generator needs passages to draw sentences and sources from,
and the quote-exactness test needs the current text of a cited page to look quotes up in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from core.settings import Settings
from eval.datasets import DatasetError
from eval.metrics import url_matches
from ingest.records import Chunk
from ingest.store import VectorStore

_PAGE_SUFFIXES = (".html", ".htm", ".md", ".markdown")
_MIN_PASSAGE_WORDS = 12  # shorter paragraphs are bylines, captions and one-line teasers


@dataclass(frozen=True)
class Passage:
    """A paragraph-sized source: what a citation of one retrieved chunk typically points at."""

    url: str
    text: str
    index: int  # position within its page


@dataclass
class Corpus:
    """Pages by URL with their full text, and their paragraphs as passages."""

    texts: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    origin: str = ""

    def text_for(self, url: str) -> str | None:
        """The page text for `url`, matching by path suffix so host and mount do not matter."""
        if url in self.texts:
            return self.texts[url]
        path = urlsplit(url).path.lstrip("/") if "://" in url else url.lstrip("/")
        for known, text in self.texts.items():
            if path and (url_matches(known, path) or url_matches(url, _path_of(known))):
                return text
        return None


class FetchedPages:
    """Page texts fetched on demand from their URLs and extracted as ingest would.

    For scoring a deployment: the quote-exactness test reads the page from `local` (a
    copy of the store, when there is one and it has the page) or else as published now.
    A page that cannot be fetched or extracted gives None (the quote is counted as
    unverifiable, not as wrong).
    """

    def __init__(self, local: Corpus | None = None, timeout: float = 10.0) -> None:
        self.local = local
        self.timeout = timeout
        self._texts: dict[str, str | None] = {}

    def text_for(self, url: str) -> str | None:
        if self.local is not None and (text := self.local.text_for(url)) is not None:
            return text
        key = url.split("#")[0]
        if key not in self._texts:
            self._texts[key] = self._fetch(key)
        return self._texts[key]

    def _fetch(self, url: str) -> str | None:
        import httpx

        from ingest.errors import ExtractionError
        from ingest.extract import extract
        from ingest.records import Page

        if not url.startswith(("http://", "https://")):
            return None
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=True)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        page = Page(url=str(response.url), body=response.content,
                    content_type=response.headers.get("content-type", "text/html"))
        try:
            return extract(page).text
        except ExtractionError:
            return None


def _path_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/") if "://" in url else url.lstrip("/")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if len(p.split()) >= _MIN_PASSAGE_WORDS]


def load_site(root: Path) -> Corpus:
    """Extract every page of a site folder with the ingest extractor.

    Pages a crawler would not index are left out: paths disallowed by the folder's
    robots.txt, and copies whose canonical link names another page (syndicated reposts),
    since a repost would make "the right source" ambiguous in the checker set.
    """
    from protego import Protego

    from ingest.errors import ExtractionError
    from ingest.extract import extract
    from ingest.records import Page

    robots_file = root / "robots.txt"
    robots = None
    if robots_file.exists():
        robots = Protego.parse(robots_file.read_text(encoding="utf-8"))
    corpus = Corpus(origin=f"site:{root}")
    base = "http://site.invalid/"
    for file in sorted(p for p in root.rglob("*") if p.suffix.lower() in _PAGE_SUFFIXES):
        rel = PurePosixPath(file.relative_to(root).as_posix())
        url = base + str(rel)
        if robots is not None and not robots.can_fetch(url, "*"):
            continue
        markdown = file.suffix.lower() in (".md", ".markdown")
        content_type = "text/markdown" if markdown else "text/html"
        try:
            doc = extract(Page(url=url, body=file.read_bytes(), content_type=content_type))
        except ExtractionError:
            continue
        if doc.canonical_url and doc.canonical_url.split("#")[0] != url:
            continue
        key = str(rel)
        corpus.texts[key] = doc.text
        corpus.titles[key] = doc.title
        paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
        for i, text in enumerate(t for t in paragraphs if len(t.split()) >= _MIN_PASSAGE_WORDS):
            corpus.passages.append(Passage(key, text, i))
    if not corpus.texts:
        raise DatasetError(f"{root}: no pages found (looked for {', '.join(_PAGE_SUFFIXES)})")
    return corpus


def load_store(settings: Settings) -> Corpus:
    """The corpus held in the store `settings` point at."""
    from ingest.store import ChromaStore

    where = settings.chroma_url or settings.chroma_path
    return corpus_from_store(ChromaStore.from_settings(settings), f"store:{where}")


def corpus_from_store(store: VectorStore, origin: str) -> Corpus:
    """Rebuild page texts from a store's chunks (ordered, overlaps merged by offsets)."""
    chunks = store.all_chunks()
    if not chunks:
        raise DatasetError(f"the {origin} is empty: ingest something first")
    corpus = Corpus(origin=origin)
    by_url: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_url.setdefault(chunk.url, []).append(chunk)
    for url, parts in sorted(by_url.items()):
        parts.sort(key=lambda c: c.start)
        text = ""
        for chunk in parts:
            # Chunks overlap and `start`/`end` index the document text, so paste each at its
            # offset. A gap between chunks is whitespace the chunker trimmed: one character
            # between sentences, a blank line (two or more) between blocks.
            if chunk.end <= len(text):
                continue
            if chunk.start >= len(text):
                gap = chunk.start - len(text)
                text += " " if gap == 1 else "\n" * gap
                text += chunk.text
            else:
                text += chunk.text[len(text) - chunk.start :]
        corpus.texts[url] = text
        corpus.titles[url] = parts[0].title
        for i, passage in enumerate(_paragraphs(text)):
            corpus.passages.append(Passage(url, passage, i))
    return corpus


def is_store_dir(path: Path) -> bool:
    """A careerqa data directory (it holds the Chroma folder) rather than a site folder."""
    return (path / "chroma").is_dir()


def load_corpus(path: Path, settings: Settings) -> Corpus:
    """A site folder, or a data directory holding a store, whichever `path` is."""
    if not path.exists():
        raise DatasetError(f"{path}: no such folder")
    if not path.is_dir():
        raise DatasetError(f"{path}: expected a site folder or a careerqa data directory")
    if is_store_dir(path):
        return load_store(settings.model_copy(update={"data_dir": path}))
    return load_site(path)

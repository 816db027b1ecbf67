"""Records that flow through the ingest pipeline: fetched pages, extracted documents, chunks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def content_hash(text: str) -> str:
    """Stable hash of extracted text; equal text means an unchanged page."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Page:
    """Raw bytes of one fetched (or locally read) page, before extraction."""

    url: str
    body: bytes
    content_type: str = "text/html"
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str = ""  # ISO-8601 UTC


@dataclass(frozen=True)
class Block:
    """One paragraph, list, quote or code block of an article, located in `Document.text`."""

    kind: str  # "paragraph" | "list" | "table" | "quote" | "code" | "footnote"
    text: str
    heading_path: tuple[str, ...]
    start: int
    end: int


@dataclass
class Document:
    """The main content of a page: clean text plus metadata and located blocks.

    `text` is the blocks' texts joined by blank lines; every block's `start`/`end`
    index into it, so a quote found in a chunk can be located in the document too.
    """

    url: str
    title: str
    text: str
    blocks: list[Block]
    canonical_url: str | None = None
    author: str | None = None
    published: str | None = None
    # Notes about the piece rather than its content ("This story was recorded in March,
    # 2020. Learn more about Ana on her blog."): kept for display, never chunked or cited.
    notes: tuple[str, ...] = ()
    fetched_at: str = ""
    etag: str | None = None
    last_modified: str | None = None
    hash: str = field(default="")

    def __post_init__(self) -> None:
        if not self.hash:
            self.hash = content_hash(self.text)

    @property
    def key(self) -> str:
        """The URL a document is stored under.

        This is the fetched URL (after redirects). A page naming a *different* canonical
        URL is a syndicated or variant copy: it keeps its own key, so that it can never
        overwrite the original, and dedupe reports it instead.
        """
        return self.url


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document, with everything a citation needs."""

    id: str
    text: str
    url: str
    title: str
    heading_path: tuple[str, ...]
    position: int
    start: int  # offsets of `text` in the document's text
    end: int
    doc_hash: str
    fetched_at: str
    author: str | None = None
    published: str | None = None

    def embedding_text(self) -> str:
        """The string the embedding model sees: "Title > Section > Subsection", then the text.

        A chunk rarely names its article's subject ("Write a getting-started guide ..." is
        about multiplying a team through tooling), so the headings go along. Only the
        vector uses this: quotes and offsets are always taken from `text`.
        """
        path = list(self.heading_path)
        if self.title and (not path or path[0] != self.title):
            path.insert(0, self.title)
        context = " > ".join(p for p in path if p)
        return f"{context}\n\n{self.text}" if context else self.text

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata as Chroma stores it (no None, no lists)."""
        return {
            "url": self.url,
            "title": self.title,
            "heading_path": " > ".join(self.heading_path),
            "position": self.position,
            "start": self.start,
            "end": self.end,
            "doc_hash": self.doc_hash,
            "fetched_at": self.fetched_at,
            "author": self.author or "",
            "published": self.published or "",
        }

    @classmethod
    def from_stored(cls, chunk_id: str, text: str, meta: dict) -> Chunk:
        path = str(meta.get("heading_path") or "")
        return cls(
            id=chunk_id,
            text=text,
            url=str(meta["url"]),
            title=str(meta.get("title") or ""),
            heading_path=tuple(p for p in path.split(" > ") if p),
            position=int(meta.get("position") or 0),
            start=int(meta.get("start") or 0),
            end=int(meta.get("end") or 0),
            doc_hash=str(meta.get("doc_hash") or ""),
            fetched_at=str(meta.get("fetched_at") or ""),
            author=str(meta.get("author") or "") or None,
            published=str(meta.get("published") or "") or None,
        )


def chunk_id(url: str, doc_hash: str, position: int) -> str:
    """Stable id from canonical URL and content: same page, same text -> same ids."""
    raw = f"{url}\n{doc_hash}\n{position}".encode()
    return hashlib.sha256(raw).hexdigest()[:24]

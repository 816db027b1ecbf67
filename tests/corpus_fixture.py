"""A real Chroma store of the bundled sample corpus, built with a deliberately simple parser.

Stand-in for the ingest pipeline while it is being written: it follows the same
conventions as ingest/extract.py (blocks joined by blank lines, headings only in the
heading path, list items as "- " lines) so chunks look like the real thing, and every
chunk's text is exactly `document.text[start:end]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from app.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder
from ingest.records import Chunk, chunk_id, content_hash
from ingest.store import ChromaStore

SAMPLE_BASE_URL = "https://fieldnotes.example/"
SAMPLE_SECTIONS = ("articles", "case-studies")
_CHUNK_WORDS = 220
_FETCHED_AT = "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class SampleDoc:
    url: str
    title: str
    author: str | None
    published: str | None
    text: str
    blocks: list[tuple[str, tuple[str, ...], int, int]]  # text, heading path, start, end


def parse_article(html: str, url: str) -> SampleDoc:
    """The <article> element as located blocks: <p>, <ul>/<ol>, <blockquote>, <pre>."""
    soup = BeautifulSoup(html, "lxml")
    article = soup.find("article")
    assert isinstance(article, Tag), url
    h1 = article.find("h1")
    title = h1.get_text(" ", strip=True) if h1 else url
    path: list[str] = [title]
    blocks: list[tuple[str, tuple[str, ...], int, int]] = []
    offset = 0
    for tag in article.find_all(["h2", "h3", "p", "ul", "ol", "blockquote", "pre"]):
        if tag.find_parent(["blockquote", "ul", "ol", "pre"]) is not None:
            continue  # the enclosing block already holds this text
        if "byline" in (tag.get("class") or []):
            continue
        if tag.name in ("h2", "h3"):
            level = int(tag.name[1])
            path = path[: level - 1] + [tag.get_text(" ", strip=True)]
            continue
        if tag.name in ("ul", "ol"):
            items = tag.find_all("li")
            text = "\n".join(
                f"{i}. {' '.join(li.get_text().split())}" if tag.name == "ol"
                else f"- {' '.join(li.get_text().split())}"
                for i, li in enumerate(items, 1)
            )
        elif tag.name == "pre":
            text = tag.get_text().strip("\n")
        else:
            text = " ".join(tag.get_text().split())
        if not text:
            continue
        if blocks:
            offset += 2
        blocks.append((text, tuple(path), offset, offset + len(text)))
        offset += len(text)
    author = soup.find("meta", attrs={"name": "author"})
    published = soup.find("meta", attrs={"property": "article:published_time"})
    return SampleDoc(
        url=url,
        title=title,
        author=str(author["content"]) if isinstance(author, Tag) else None,
        published=str(published["content"]) if isinstance(published, Tag) else None,
        text="\n\n".join(b[0] for b in blocks),
        blocks=blocks,
    )


def chunk_sample(doc: SampleDoc) -> list[Chunk]:
    """Consecutive blocks under one heading path, packed up to ~220 words per chunk."""
    doc_hash = content_hash(doc.text)
    groups: list[list[tuple[str, tuple[str, ...], int, int]]] = []
    for block in doc.blocks:
        current = groups[-1] if groups else None
        same_section = current is not None and current[0][1] == block[1]
        words = sum(len(b[0].split()) for b in current) if current else 0
        if current is not None and same_section and words + len(block[0].split()) <= _CHUNK_WORDS:
            current.append(block)
        else:
            groups.append([block])
    chunks = []
    for position, group in enumerate(groups):
        start, end = group[0][2], group[-1][3]
        chunks.append(
            Chunk(
                id=chunk_id(doc.url, doc_hash, position),
                text=doc.text[start:end],
                url=doc.url,
                title=doc.title,
                heading_path=group[0][1],
                position=position,
                start=start,
                end=end,
                doc_hash=doc_hash,
                fetched_at=_FETCHED_AT,
                author=doc.author,
                published=doc.published,
            )
        )
    return chunks


def sample_documents(
    site_dir: Path = SAMPLE_SITE_DIR, base_url: str = SAMPLE_BASE_URL
) -> list[SampleDoc]:
    docs = []
    for section in SAMPLE_SECTIONS:
        for path in sorted((site_dir / section).glob("*.html")):
            url = f"{base_url}{section}/{path.name}"
            docs.append(parse_article(path.read_text(encoding="utf-8"), url))
    return docs


def build_sample_store(embedder: Embedder, data_dir: Path) -> ChromaStore:
    """Open the sample store under `data_dir`, embedding the corpus the first time only.

    Pass a session-wide directory (tmp_path_factory.getbasetemp()) and every test
    module shares one store without a module-level cache.
    """
    settings = Settings(data_dir=data_dir, _env_file=None)
    store = ChromaStore.from_settings(settings)
    marker = data_dir / "sample-complete"
    if marker.exists():
        return store
    for doc in sample_documents():
        chunks = chunk_sample(doc)
        store.replace_document(doc.url, chunks, embedder.embed([c.text for c in chunks]))
    marker.write_text("ok", encoding="utf-8")
    return store


def sample_documents_by_url() -> dict[str, SampleDoc]:
    """Document texts by URL, so tests can check a quote at its document offsets."""
    return {doc.url: doc for doc in sample_documents()}

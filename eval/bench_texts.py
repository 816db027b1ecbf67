"""Real-shaped text for the benchmarks, read at run time from the sample corpus and ../shared.

The benchmarks time the model on what it really sees: chunks cut by the ingest chunker
from extracted articles, and pages whose sentences are real and distinct. The text of
`../shared/corpora` is read in place and never written into the repository; a bench
run without that folder uses the bundled sample corpus alone and says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.settings import PROJECT_ROOT, SAMPLE_SITE_DIR, Settings
from ingest.chunk import chunk_document, split_sentences
from ingest.errors import ExtractionError
from ingest.extract import extract
from ingest.records import Document, Page

SHARED_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".md": "text/markdown",
             ".markdown": "text/markdown"}
_MIN_SENTENCE_WORDS = 6  # shorter "sentences" are headings, list stubs and link labels


@dataclass
class BenchText:
    """The extracted documents, and where they came from (for the report)."""

    documents: list[Document]
    sources: list[str]


def load_documents() -> BenchText:
    """Extract the sample corpus's published articles and, when present, ../shared/corpora."""
    roots = [SAMPLE_SITE_DIR / "articles", SAMPLE_SITE_DIR / "case-studies"]
    sources = ["sample corpus"]
    if SHARED_CORPORA.is_dir():
        roots.append(SHARED_CORPORA)
        sources.append(str(SHARED_CORPORA))
    documents = []
    for root in roots:
        for file in sorted(p for p in root.rglob("*") if p.suffix.lower() in _SUFFIXES):
            page = Page(url=f"http://bench.invalid/{file.relative_to(root).as_posix()}",
                        body=file.read_bytes(), content_type=_SUFFIXES[file.suffix.lower()])
            try:
                documents.append(extract(page))
            except ExtractionError:
                continue  # a stub page with no article text: the ingest skips it too
    return BenchText(documents, sources)


def real_chunks(text: BenchText, count: int, seed: int = 11) -> list[str]:
    """`count` embedding texts of chunks cut as the ingest cuts them, drawn across documents."""
    settings = Settings(_env_file=None)
    chunks = [c.embedding_text() for doc in text.documents
              for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap)]
    rng = random.Random(seed)
    return rng.sample(chunks, min(count, len(chunks)))


@dataclass(frozen=True)
class Paragraph:
    """A corpus paragraph's sentences and the heading it sits under."""

    heading: str
    sentences: list[str]


def paragraphs_of_distinct_sentences(text: BenchText) -> list[Paragraph]:
    """Each document paragraph as its sentences, every sentence kept once in the whole set.

    A page generator that consumes these in order builds pages that read like real
    articles (neighbouring sentences belong together) without repeating a sentence, so
    deduplication, caching and warm-up see realistic, distinct text.
    """
    seen: set[str] = set()
    out = []
    for doc in text.documents:
        for block in doc.blocks:
            if block.kind != "paragraph":
                continue
            sentences = []
            for start, end in split_sentences(block.text):
                sentence = " ".join(block.text[start:end].split())
                if len(sentence.split()) >= _MIN_SENTENCE_WORDS and sentence not in seen:
                    seen.add(sentence)
                    sentences.append(sentence)
            if sentences:
                heading = block.heading_path[-1] if block.heading_path else doc.title
                out.append(Paragraph(heading, sentences))
    return out


def source_note(text: BenchText) -> str:
    if len(text.sources) == 1:
        return f"sample corpus only ({SHARED_CORPORA} is absent)"
    return " + ".join(text.sources)

"""The sample corpus as the real pipeline sees it: URLs and extracted documents."""

from __future__ import annotations

from core.settings import SAMPLE_SITE_DIR
from ingest.extract import extract
from ingest.records import Document, Page
from ingest.sources import local_url

# The URL the sample store's pages are published under (as the app serves them).
SAMPLE_BASE_URL = "http://127.0.0.1:8000/sample/"
SAMPLE_SECTIONS = ("articles", "case-studies")


def sample_documents_by_url() -> dict[str, Document]:
    """Extracted documents by URL, so tests can check a quote at its document offsets."""
    docs = {}
    for section in SAMPLE_SECTIONS:
        folder = SAMPLE_SITE_DIR / section
        for path in sorted(folder.glob("*.html")):
            url = local_url(path, folder, f"{SAMPLE_BASE_URL}{section}/")
            docs[url] = extract(Page(url=url, body=path.read_bytes()))
    return docs

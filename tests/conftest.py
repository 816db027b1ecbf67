"""Shared fixtures: the real embedding model (loaded once), a real Chroma store, a real web server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from ingest.embed import SentenceTransformerEmbedder


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real default model, loaded once for the whole session."""
    return SentenceTransformerEmbedder(Settings().embedding_model)


@pytest.fixture
def settings(tmp_path) -> Iterator[Settings]:
    """Settings pointing at a fresh data directory."""
    yield Settings(data_dir=tmp_path / "data", _env_file=None)

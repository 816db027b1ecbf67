"""Shared fixtures: the real embedding model (loaded once), real Chroma stores, real servers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.settings import SAMPLE_SITE_DIR, Settings
from ingest.embed import Embedder, SentenceTransformerEmbedder, embedder_from_settings
from tests.corpus_fixture import SAMPLE_BASE_URL as SAMPLE_BASE
from tests.http_server import SiteServer, serve_site
from tests.openai_server import FakeOpenAI, serve_openai

# One built ONNX copy of the model for every test and `careerqa` subprocess of the run,
# and of later runs on this machine: the default backend would otherwise build one per
# test data directory (~30 s each). tests/test_embed_onnx.py still builds its own.
os.environ.setdefault("CAREERQA_ONNX_DIR", str(
    Path(tempfile.gettempdir()) / "careerqa-test-onnx"
    / Settings(_env_file=None).onnx_model_dir.name))  # the default's folder name, per model

LOCAL_TEST_HOSTS = "127.0.0.1/32"
# The same allowance for a `careerqa` subprocess.
LOCAL_FETCH_ENV = {"CAREERQA_FETCH_ALLOW": f'["{LOCAL_TEST_HOSTS}"]'}


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for a test: its own data directory, no .env, fast crawling."""
    base = {"data_dir": data_dir, "crawl_host_delay": 0.0, "fetch_timeout": 3.0,
            "max_retry_after": 2.0, "rate_limit_per_minute": 0,
            # The local test servers are loopback addresses, which the egress policy refuses.
            "fetch_allow": [LOCAL_TEST_HOSTS],
            # Background embedding would compete with the tests; its own tests turn it on.
            "sentence_warmup": False,
            # The app is built before the `with` block returns; a test polls changes fast.
            "start_in_background": False, "refresh_seconds": 0.2}
    return Settings(_env_file=None, **{**base, **overrides})


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default model on the default backend, loaded once for the whole session."""
    return embedder_from_settings(Settings(_env_file=None))


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    """The same model through sentence-transformers, for tests of the torch backend."""
    return SentenceTransformerEmbedder(Settings(_env_file=None).embedding_model)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings pointing at a fresh data directory."""
    return make_settings(tmp_path / "data")


def ingested(data_dir: Path, embedder, specs: list) -> Settings:
    """Settings of a fresh store in `data_dir` that the real pipeline filled from `specs`."""
    from ingest.pipeline import Ingestor
    from ingest.state import IngestState
    from ingest.store import ChromaStore

    settings = make_settings(data_dir, ingest_sample_on_start=False)
    state = IngestState.from_settings(settings)
    try:
        Ingestor(settings, embedder, ChromaStore.from_settings(settings), state,
                 progress=False).run(specs)
    finally:
        state.close()
    return settings


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory, embedder) -> Settings:
    """Settings of a store holding the whole sample corpus, ingested once per session."""
    from app.parts import sample_site_specs

    return ingested(tmp_path_factory.mktemp("sample") / "data", embedder,
                    sample_site_specs(SAMPLE_SITE_DIR, SAMPLE_BASE))


@pytest.fixture(scope="session")
def sample_store(sample_settings):
    """The sample store itself (real Chroma, real pipeline)."""
    from ingest.store import ChromaStore

    return ChromaStore.from_settings(sample_settings)


@pytest.fixture(scope="session")
def client(sample_settings, embedder) -> Iterator[TestClient]:
    """The real app over the sample store, in-process (lifespan run once)."""
    from app.main import create_app

    with TestClient(create_app(sample_settings, embedder=embedder)) as test_client:
        yield test_client


@pytest.fixture
def site_copy(tmp_path) -> Path:
    """A private copy of the sample site that a test may change."""
    target = tmp_path / "site"
    shutil.copytree(SAMPLE_SITE_DIR, target)
    return target


@pytest.fixture
def sample_site(site_copy) -> Iterator[SiteServer]:
    """The sample site (a private copy) served over real HTTP, with the bad pages beside it."""
    with serve_site(site_copy) as site:
        yield site


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    """A local OpenAI-protocol server replying with what each test scripts."""
    with serve_openai() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on loopback for the session (Debian's package)."""
    from tests.postgres_server import postgres_missing, serve_postgres

    if (why := postgres_missing()) is not None:
        pytest.skip(why)
    with serve_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server on loopback for the session (Debian's package)."""
    from tests.redis_server import redis_missing, serve_redis

    if (why := redis_missing()) is not None:
        pytest.skip(why)
    with serve_redis() as url:
        yield url

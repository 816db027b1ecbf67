"""The int8 ONNX backend: built from the shipped weights, vectors in torch's space."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from core.settings import Settings
from ingest.embed import embedder_from_settings
from ingest.onnx_build import MANIFEST_FILE, MODEL_FILE

TEXTS = [
    "Staff engineers set technical direction by writing down the decisions others follow.",
    "How did the Portal team reduce video call drops?",
    "Sponsorship means putting your own reputation behind someone else's work.",
    "During an incident the commander coordinates while others debug.",
    "A getting-started guide multiplies a team: everyone ramps up faster. " * 12,
]


@pytest.fixture(scope="module")
def onnx_settings(tmp_path_factory) -> Settings:
    """Settings selecting the ONNX backend, its export built once for this module."""
    root = tmp_path_factory.mktemp("onnx")
    # Its own copy (not the run's shared one): the first use must really build it.
    settings = Settings(_env_file=None, data_dir=root / "data", embedding_backend="onnx",
                        onnx_dir=root / "model")
    embedder_from_settings(settings)  # first use builds the export
    return settings


def test_onnx_vectors_point_where_the_torch_vectors_point(onnx_settings, torch_embedder):
    onnx = embedder_from_settings(onnx_settings)
    ours, reference = onnx.embed(TEXTS), torch_embedder.embed(TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() > 0.98, cosines
    # The texts keep their order although the embedder sorts them by length to batch.
    assert np.argmax(ours @ reference.T, axis=1).tolist() == list(range(len(TEXTS)))


def test_onnx_backend_names_its_vectors_apart_from_torch(onnx_settings, torch_embedder):
    onnx = embedder_from_settings(onnx_settings)
    assert onnx.name != torch_embedder.name and onnx.name.startswith(torch_embedder.name)
    assert onnx.embed([]).shape == (0, 384)


def test_build_onnx_is_idempotent(onnx_settings, monkeypatch, capsys):
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(onnx_settings.data_dir))
    monkeypatch.setenv("CAREERQA_ONNX_DIR", str(onnx_settings.onnx_model_dir))
    model = onnx_settings.onnx_model_dir / MODEL_FILE
    before = model.stat().st_mtime_ns
    assert main(["embed", "build-onnx", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"directory": str(onnx_settings.onnx_model_dir), "built": False,
                      "seconds": report["seconds"]}
    assert model.stat().st_mtime_ns == before
    manifest = json.loads((onnx_settings.onnx_model_dir / MANIFEST_FILE).read_text())
    assert manifest["fingerprint"]["source"].endswith("model")


def test_build_onnx_without_weights_is_one_clear_line(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    monkeypatch.setenv("CAREERQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAREERQA_ONNX_DIR", str(tmp_path / "models" / "onnx"))
    monkeypatch.setenv("CAREERQA_EMBEDDING_MODEL", str(empty))
    assert main(["embed", "build-onnx"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careerqa: no model weights in") and "model.safetensors" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "models").exists()  # nothing half-built is left

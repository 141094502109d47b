"""The nearest-training-units part of a model (clausetag/neighbours.py): votes, weights, files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clausetag.neighbours import Neighbours


def _kept(n: int = 40, dim: int = 16, labels: int = 4, **settings) -> tuple[Neighbours, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    emb = rng.normal(size=(n, dim)).astype(np.float32)
    y = (rng.random((n, labels)) > 0.5).astype(np.uint8)
    return Neighbours.fit(emb, y, **settings), emb, y


def test_a_kept_unit_votes_for_its_own_labels_and_votes_are_weighted_by_similarity():
    nb, emb, y = _kept(k=5, temperature=0.01)
    np.testing.assert_allclose(nb.votes(emb[:6] * 3.0), y[:6], atol=1e-3)  # length does not matter: cosine
    flat = Neighbours.fit(emb, y, k=len(emb), temperature=1e6)  # every unit, equal weights: the label shares
    np.testing.assert_allclose(flat.votes(emb[:2]), np.tile(y.mean(axis=0), (2, 1)), atol=1e-4)
    few = Neighbours.fit(emb[:3], y[:3], k=10)  # k above the units kept: all of them
    assert few.votes(emb[:1]).shape == (1, y.shape[1])


def test_the_weight_depends_on_whether_the_units_language_has_a_tfidf_part():
    nb, emb, y = _kept(k=3, weight=0.5, blend_language_weight=0.1)
    scores = np.zeros((3, y.shape[1]), dtype=np.float32)
    out = nb.apply(scores, emb[:3], ["de", "en", "zh"], ["en", "zh"])
    np.testing.assert_allclose(out[0], 0.5 * y[0], atol=1e-3)
    np.testing.assert_allclose(out[1:], 0.1 * y[1:3], atol=1e-3)
    np.testing.assert_allclose(nb.apply(scores, emb[:3]), 0.5 * y[:3], atol=1e-3)  # languages unknown: `weight`
    off = Neighbours.fit(emb, y, weight=0.5, blend_language_weight=0.0)
    np.testing.assert_array_equal(off.apply(scores + 0.25, emb[:3], ["en", "en", "en"], ["en"]), scores + 0.25)
    assert nb.apply(scores[:0], emb[:0]).shape == (0, y.shape[1])


def test_saved_without_pickle_projected_and_as_int8_and_loaded_back(tmp_path):
    nb, emb, y = _kept(n=200, dim=64, k=10, temperature=0.05, weight=0.4, dims=16)
    nb.save(tmp_path)
    from safetensors.numpy import load_file

    stored = load_file(str(tmp_path / Neighbours.FILE))
    assert {k: (v.dtype.name, v.shape) for k, v in stored.items()} == {
        "vectors": ("int8", (200, 16)), "scale": ("float16", (200,)), "labels": ("uint8", (200, 1)),
        "mean": ("float32", (64,)), "projection": ("float16", (64, 16))}  # four labels: one byte of bits
    back = Neighbours.load(tmp_path, json.loads(json.dumps(nb.to_dict())))
    assert back.to_dict() == nb.to_dict() == {"units": 200, "dims": 16, "k": 10, "temperature": 0.05, "weight": 0.4,
                                              "blend_language_weight": 0.0}
    np.testing.assert_array_equal(back.labels, y)
    np.testing.assert_allclose(back.projection, nb.projection, atol=1e-3)  # as fitted, not its transpose's bytes
    queries = emb[:20] + 0.3 * np.random.default_rng(1).normal(size=(20, 64))  # near kept units
    np.testing.assert_allclose(back.votes(queries), nb.votes(queries), atol=0.02)  # int8: close, not equal
    np.testing.assert_allclose(nb.votes(emb[:20]), y[:20], atol=0.02)  # projected, a kept unit still finds itself
    with pytest.raises(ValueError, match="model.json says 199"):
        Neighbours.load(tmp_path, nb.to_dict() | {"units": 199})


def test_fit_needs_one_label_row_per_embedding():
    with pytest.raises(ValueError, match="one label row per embedding"):
        Neighbours.fit(np.zeros((3, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="at least one unit"):
        Neighbours.fit(np.zeros((0, 4)), np.zeros((0, 2)))


def test_a_model_whose_neighbours_file_is_missing_or_broken_is_a_clear_error(tiny_model, tmp_path):
    from clausetag.modeldir import ModelError, load_model

    model = Path(shutil.copytree(tiny_model, tmp_path / "m"))
    info = json.loads((model / "model.json").read_text(encoding="utf-8"))
    info["neighbours"] = {"units": 1, "k": 1, "temperature": 0.01, "weight": 0.5, "blend_language_weight": 0.0}
    (model / "model.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ModelError, match=r"neighbours\.safetensors: unreadable"):
        load_model(model)
    (model / Neighbours.FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match=r"neighbours\.safetensors: unreadable"):
        load_model(model)


def test_a_long_units_embedding_is_the_mean_of_its_windows_and_its_scores_their_maximum():
    from clausetag.classifier import windowed_outputs, windowed_scores

    class Windows:  # unit 0 has one window, unit 1 three (two batches), as TokenBatcher.batches yields them
        n_labels = 2

        def batches(self, texts, sections=None, batch_size=64, truncate=False):
            yield np.array([0, 1]), {"w": np.array([[0.1, 0.2, 1.0], [0.9, 0.1, 2.0]])}
            yield np.array([1, 1]), {"w": np.array([[0.3, 0.8, 4.0], [0.2, 0.4, 6.0]])}

    run = lambda b: (b["w"][:, :2], b["w"][:, 2:])  # noqa: E731 - probabilities, a one-number "embedding"
    scores, emb = windowed_outputs(Windows(), ["a", "b"], None, run, dim=1)
    np.testing.assert_allclose(scores, [[0.1, 0.2], [0.9, 0.8]])
    np.testing.assert_allclose(emb, [[1.0], [4.0]])
    np.testing.assert_allclose(windowed_scores(Windows(), ["a", "b"], None, lambda b: b["w"][:, :2]), scores)

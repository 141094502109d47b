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


def _routed(**settings) -> tuple[Neighbours, np.ndarray, np.ndarray]:
    """Kept units around one direction, route units (another collection) around the opposite one."""
    rng = np.random.default_rng(3)
    axis = np.zeros(16, dtype=np.float32)
    axis[0] = 1.0
    kept = axis + 0.3 * rng.normal(size=(60, 16)).astype(np.float32)
    other = -axis + 0.3 * rng.normal(size=(60, 16)).astype(np.float32)
    y = (rng.random((60, 3)) > 0.5).astype(np.uint8)
    nb = Neighbours.fit(kept, y, route_embeddings=other, route_dims=8, k=5, weight=0.5, blend_language_weight=0.0,
                        **settings)
    return nb, axis + 0.3 * rng.normal(size=(4, 16)), -axis + 0.3 * rng.normal(size=(4, 16))


def test_a_document_that_reads_like_the_kept_units_takes_the_weight_in_a_tfidf_language_too():
    nb, like, unlike = _routed(route_k=5, route_threshold=0.6, route_min_units=4)
    assert nb.routes.shape == (60, 8)
    np.testing.assert_allclose(nb.kept_shares(like), 1.0)
    np.testing.assert_allclose(nb.kept_shares(unlike), 0.0)
    emb = np.vstack([like, unlike])
    langs, zero = ["en"] * 8, np.zeros((8, 3), dtype=np.float32)
    docs = ["a"] * 4 + ["b"] * 4
    votes, shares = nb.unit_parts(emb)
    np.testing.assert_allclose(nb.weights(8, langs, ["en"], shares, docs), [0.5] * 4 + [0.0] * 4)
    np.testing.assert_allclose(nb.apply(zero, emb, langs, ["en"], docs), np.vstack([0.5 * votes[:4], zero[4:]]))
    # none given, the units are one document: half of them like the kept units is under 0.6
    np.testing.assert_allclose(nb.weights(8, langs, ["en"], shares), 0.0)
    np.testing.assert_allclose(nb.weights(8, ["de"] * 8, ["en"], shares, docs), 0.5)  # not a TF-IDF language
    short, _, _ = _routed(route_k=5)  # clausetag/defaults.toml: documents of 10 units or more are routed
    assert short.route_min_units == 10
    np.testing.assert_allclose(short.weights(8, langs, ["en"], shares, docs), 0.0)  # 4 units each: too few
    np.testing.assert_allclose(short.weights(12, ["en"] * 12, ["en"], np.ones(12), ["a"] * 12), 0.5)
    plain, _, _ = _kept(weight=0.5)
    assert plain.kept_shares(emb) is None and "route_units" not in plain.to_dict()


def test_route_units_are_saved_as_int8_and_loaded_back(tmp_path):
    nb, like, unlike = _routed(route_k=7, route_threshold=0.55, route_min_units=3)
    nb.save(tmp_path)
    from safetensors.numpy import load_file

    stored = load_file(str(tmp_path / Neighbours.FILE))
    assert (stored["routes"].dtype.name, stored["routes"].shape, stored["route_scale"].shape) == ("int8", (60, 8), (60,))
    spec = json.loads(json.dumps(nb.to_dict()))
    assert {k: spec[k] for k in ("route_units", "route_dims", "route_k", "route_threshold", "route_min_units")} == {
        "route_units": 60, "route_dims": 8, "route_k": 7, "route_threshold": 0.55, "route_min_units": 3}
    back = Neighbours.load(tmp_path, spec)
    assert back.to_dict() == nb.to_dict()
    # a model.json written before route_min_units was recorded: clausetag/defaults.toml's
    older = Neighbours.load(tmp_path, {k: v for k, v in spec.items() if k != "route_min_units"})
    assert older.route_min_units == 10
    emb = np.vstack([like, unlike])
    np.testing.assert_array_equal(back.kept_shares(emb), nb.kept_shares(emb))
    with pytest.raises(ValueError, match="60 route vectors, model.json says 0"):
        Neighbours.load(tmp_path, {k: v for k, v in spec.items() if not k.startswith("route")})


def test_the_labeler_combines_cached_unit_parts_as_the_model_scores_one_document(tiny_model):
    """With a routing neighbours part, `label` keeps each unit's parts (not its final scores) and combines
    a document's units as `Model.scores` does for the same units given together."""
    from clausetag.infer.labeler import Labeler
    from clausetag.modeldir import load_model

    model = load_model(tiny_model)
    texts = ["We collect your e-mail address.", "We share it with partners.", "Contact us at privacy@example.com.",
             "Wir speichern Ihre Daten zehn Jahre.", "我们会收集您的手机号码。", "You may delete your account."]
    _, emb = model.classifier.scores_and_embeddings(texts, None)
    y = np.eye(len(texts), len(model.labels), dtype=np.uint8)
    model.neighbours = Neighbours.fit(emb[:3], y[:3], route_embeddings=emb[3:], route_dims=16, k=2, route_k=3)
    labeler = Labeler(model)
    text = "\n".join(texts)
    units, _ = labeler.units_of_text(text, "doc")
    got = np.array([[p.scores[n] for n in model.labels] for p in Labeler(model, structure=False).label_units(units)])
    want = model.scores([u.text for u in units], [u.section for u in units], langs=[u.lang for u in units])
    np.testing.assert_allclose(got, want, atol=1e-4)
    again = np.array([[p.scores[n] for n in model.labels] for p in labeler.label_units(units)])  # parts cached
    assert labeler.cache.lookup([(units[0].lang, units[0].section, units[0].text)])
    np.testing.assert_allclose(np.array([[p.scores[n] for n in model.labels] for p in labeler.label_units(units)]),
                               again, atol=1e-6)


def test_route_settings_are_checked_when_the_config_is_read():
    from clausetag.train.config import ConfigError, load_config

    tiny = Path(__file__).parent / "data" / "tiny_seeds.toml"
    cfg = load_config(tiny, {"neighbours.weight": "0.5", "neighbours.route_sources": "jsonl:data/seeds"})
    assert cfg.neighbours.route_sources == ["jsonl:data/seeds"] and cfg.neighbours.route_threshold == 0.6
    with pytest.raises(ConfigError, match=r"\[neighbours\] route_sources: 'opp115:train' is not one of the"):
        load_config(tiny, {"neighbours.route_sources": "opp115:train"})
    with pytest.raises(ConfigError, match=r"route_dims \(32\) must be at most dims \(16\)"):
        load_config(tiny, {"neighbours.route_sources": "jsonl:data/seeds", "neighbours.dims": "16"})
    for key, value in (("route_threshold", "1.5"), ("route_k", "0"), ("route_units", "0")):
        with pytest.raises(ConfigError, match=key):
            load_config(tiny, {f"neighbours.{key}": value})

"""A fitted TF-IDF pipeline stored as data, never as a pickle, and rebuilt from it.

`<stem>.json.xz` holds the settings of each vectorizer, its vocabulary (terms in column order) and the
label classes; `<stem>.safetensors.xz` holds the numbers: each vectorizer's idf and the one-vs-rest
logistic regressions' coefficients and intercepts (xz: a third of the size, lossless). Loading reads JSON and tensors only, so a model folder from
someone else can run no code (`refuse_pickles` turns away a folder that still holds a pickle).
"""

from __future__ import annotations

import json
import lzma
import os
from pathlib import Path

import numpy as np

FORMAT = "clausetag-tfidf/1"
#: Files that Python would unpickle (joblib, pickle, torch's .bin/.pt checkpoints): never loaded.
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".bin", ".pt", ".pth", ".ckpt")
#: The TfidfVectorizer settings a stored vectorizer keeps (everything that changes its output).
_SETTINGS = ("analyzer", "lowercase", "ngram_range", "token_pattern", "norm", "use_idf", "smooth_idf",
             "sublinear_tf", "strip_accents", "binary")


class UnsafeModelError(ValueError):
    """A model folder holds a file that loading would have to unpickle."""


def refuse_pickles(directory: Path) -> None:
    """Raise `UnsafeModelError` naming the first pickle file found in a model folder (none is opened)."""
    for path in sorted(Path(directory).rglob("*")):
        if path.suffix.lower() in PICKLE_SUFFIXES and path.is_file():
            raise UnsafeModelError(
                f"{path}: model folders must not hold pickle files (unpickling can run any code); "
                "clausetag stores models as JSON and safetensors only. A folder of your own made by an "
                "earlier clausetag can be converted with `python -m clausetag.train.convert_pickles DIR` "
                "(that unpickles it once: only for folders you trust)")


def _vectorizers(pipeline) -> list[tuple[str, object]]:
    features = pipeline.steps[0][1]
    return list(getattr(features, "transformer_list", None) or [("single", features)])


def save_pipeline(pipeline, directory: Path, stem: str) -> None:
    """Write `<stem>.json.xz` and `<stem>.safetensors.xz` for a fitted features + one-vs-rest pipeline."""
    from safetensors.numpy import save

    clf = pipeline.steps[-1][1]
    tensors: dict[str, np.ndarray] = {}
    vectorizers = []
    for i, (name, v) in enumerate(_vectorizers(pipeline)):
        terms = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
        settings = {k: getattr(v, k) for k in _SETTINGS}
        settings["ngram_range"] = list(settings["ngram_range"])
        vectorizers.append({"name": name, "settings": settings, "vocabulary": terms})
        tensors[f"idf.{i}"] = np.asarray(v.idf_)
    estimators = clf.estimators_
    # the coefficients in the dtype the fit made them (float32 for float32 features), so that the rebuilt
    # decision functions compute exactly what the fitted ones did
    dtype = next((e.coef_.dtype for e in estimators if hasattr(e, "coef_")), np.float64)
    coef = np.zeros((len(estimators), sum(len(x["vocabulary"]) for x in vectorizers)), dtype=dtype)
    intercept = np.zeros(len(estimators), dtype=dtype)
    constant = []
    for j, e in enumerate(estimators):
        if hasattr(e, "coef_"):
            coef[j], intercept[j] = e.coef_[0], e.intercept_[0]
            constant.append(None)
        else:  # scikit-learn's _ConstantPredictor for a label with one class in training
            constant.append(float(np.ravel(e.y_)[0]))
    tensors.update(coef=coef, intercept=intercept)
    meta = {"format": FORMAT, "union": hasattr(pipeline.steps[0][1], "transformer_list"),
            "vectorizers": vectorizers, "classes": [int(c) for c in clf.classes_],
            "multilabel": bool(clf.multilabel_), "constant": constant,
            "step_names": [pipeline.steps[0][0], pipeline.steps[-1][0]]}
    directory = Path(directory)
    _atomic(directory / f"{stem}.json.xz", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    _atomic(directory / f"{stem}.safetensors.xz", save(tensors))


def load_pipeline(directory: Path, stem: str):
    """The scikit-learn pipeline stored by `save_pipeline`, rebuilt from JSON and safetensors."""
    from safetensors.numpy import load
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import LabelBinarizer

    directory = Path(directory)
    meta = json.loads(lzma.decompress((directory / f"{stem}.json.xz").read_bytes()))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{directory / stem}.json.xz: not a clausetag TF-IDF file ({meta.get('format')!r})")
    tensors = load(lzma.decompress((directory / f"{stem}.safetensors.xz").read_bytes()))
    parts = []
    for i, spec in enumerate(meta["vectorizers"]):
        settings = dict(spec["settings"], ngram_range=tuple(spec["settings"]["ngram_range"]))
        v = TfidfVectorizer(**settings, dtype=np.float32,
                            vocabulary={t: k for k, t in enumerate(spec["vocabulary"])})
        v.idf_ = tensors[f"idf.{i}"]
        parts.append((spec["name"], v))
    features = FeatureUnion(parts) if meta["union"] else parts[0][1]
    coef, intercept = tensors["coef"], tensors["intercept"]
    estimators = []
    for j, const in enumerate(meta["constant"]):
        e = LogisticRegression()
        e.classes_ = np.array([0, 1])
        e.coef_, e.intercept_ = coef[j : j + 1], intercept[j : j + 1]
        if const is not None:  # a label seen with one class only: its constant probability
            e.coef_ = np.zeros_like(e.coef_)
            e.intercept_ = np.array([np.inf if const >= 1 else -np.inf])
        estimators.append(e)
    ovr = OneVsRestClassifier(LogisticRegression())
    ovr.estimators_ = estimators
    classes = np.asarray(meta["classes"])
    ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(
        np.eye(len(classes), dtype=int) if meta["multilabel"] else classes)
    ovr.classes_ = ovr.label_binarizer_.classes_  # as fit sets it, so that a loaded part saves again
    first, last = meta["step_names"]
    return Pipeline([(first, features), (last, ovr)])


def _atomic(path: Path, data: bytes) -> None:
    """`data` xz-compressed into `path`, written whole or not at all."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(lzma.compress(data, preset=6))
    os.replace(tmp, path)

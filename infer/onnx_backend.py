"""ONNX Runtime backend with int8 dynamic quantization, exported once and cached beside the model. Labeling
with a cached export imports no torch and loads no encoder weights; torch is imported to export."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

from clausetag.classifier import TokenBatcher, windowed_outputs, windowed_scores
from clausetag.infer.output import new_file_mode
from clausetag.modeldir import Model, load_model, read_info
from clausetag.settings import Settings, defaults

log = logging.getLogger(__name__)
ONNX_DIR = "onnx"
ONNX_FILE = "model-int8.onnx"
DATA_SUFFIX = ".data"  # the graph's large tensors, beside it: ONNX Runtime maps them instead of copying


# part of the cache key: 3 = the pooled embedding a second output (2: large tensors in an external data file;
# 1: all in the graph)
EXPORT_LAYOUT = 3
FFN_PROJECTIONS = ("intermediate", "output")  # layer.N/{name}/dense/MatMul in BERT-like encoders


def export_settings(model_overrides: dict | None = None) -> dict:
    """The [onnx] settings that shape an export (all of them part of its cache key): clausetag's
    defaults, overlaid with those a model was trained and validated with (`model.json` "onnx")."""
    s = {**defaults()["onnx"], **(model_overrides or {})}
    return {"quantize_ops": list(s["quantize_ops"]), "fuse": bool(s["fuse"]),
            **{f"fp32_ffn_{name}_share": float(s[f"fp32_ffn_{name}_share"]) for name in FFN_PROJECTIONS}}


def ffn_float_nodes(onnx_path: Path, settings: dict) -> list[str]:
    """Names of the feed-forward projections kept float: for each of "intermediate" and "output", those
    of the last `fp32_ffn_{name}_share` of the layers (rounded); none for graphs named otherwise."""
    import onnx

    found: dict[str, dict[int, str]] = {name: {} for name in FFN_PROJECTIONS}
    for node in onnx.load(str(onnx_path), load_external_data=False).graph.node:
        m = re.search(r"layer\.(\d+)/(intermediate|output)/dense/MatMul$", node.name)
        if node.op_type == "MatMul" and m:
            found[m.group(2)][int(m.group(1))] = node.name
    names = []
    for name, layers in found.items():
        last = round(settings[f"fp32_ffn_{name}_share"] * len(layers))
        names += [layers[k] for k in sorted(layers)[len(layers) - last:]]
    return names


def model_key(model_dir: Path, settings: dict) -> str:
    """Hash of the files that determine the network and of the export settings (so a retrained model,
    or other settings, is re-exported)."""
    h = hashlib.sha256(json.dumps({**settings, "layout": EXPORT_LAYOUT}, sort_keys=True).encode())
    for name in ("model.json", "head.safetensors", "adapter/adapter_model.safetensors"):
        p = model_dir / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_path(model_dir: Path, settings: dict) -> Path:
    """`MODEL/onnx/` when writable, else the user cache."""
    key = model_key(model_dir, settings)
    beside = model_dir / ONNX_DIR
    try:
        beside.mkdir(exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=beside, delete=True)
        probe.close()
        return beside / f"{key}-{ONNX_FILE}"
    except OSError:
        folder = Settings.load().cache / "onnx"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{key}-{ONNX_FILE}"


def _exportable(clf):
    """input_ids, attention_mask → sigmoid scores and the mean-pooled embedding (encoder with merged adapter,
    pooling, head), as a module torch can export."""
    import torch
    from torch import nn

    class Exportable(nn.Module):
        def __init__(self):
            super().__init__()
            self.clf = clf

        def forward(self, input_ids, attention_mask):
            hidden = self.clf.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.sigmoid(self.clf.head(pooled)), pooled

    return Exportable()


def export_int8(clf, target: Path, settings: dict) -> Path:
    """Export to ONNX (fp32), quantize weights to int8 (dynamic), write atomically."""
    clf.eval()
    # Trace with eager attention and a padded batch, so the padding-mask path is part of the graph.
    clf.encoder.set_attn_implementation("eager")
    texts = ["A short one.", "A longer sentence, so that the batch needs padding to line up."]
    batch = clf.encode_batch(texts, ["Section", "Another section"] if clf.inputs.use_section else None)
    root, level = logging.getLogger(), logging.getLogger().level
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and quantizer advice, not problems of this export
        root.setLevel(logging.ERROR)
        try:
            _export_and_quantize(clf, batch, Path(tmp), target, settings)
        finally:
            root.setLevel(level)
    return target


def _export_and_quantize(clf, batch, tmp: Path, target: Path, settings: dict) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = tmp / "model.onnx", tmp / "model-int8.onnx"
    torch.onnx.export(
        _exportable(clf), (batch["input_ids"], batch["attention_mask"]), str(fp32),
        input_names=["input_ids", "attention_mask"], output_names=["scores", "pooled"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "scores": {0: "batch"}, "pooled": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    ops = settings["quantize_ops"]
    if settings["fuse"]:
        fp32 = _fuse(clf, fp32, tmp / "model-fused.onnx")
        ops = ops + ["Attention"] if "MatMul" in ops else ops  # the fused attention holds the Q/K/V weights
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=ops,
                     nodes_to_exclude=ffn_float_nodes(fp32, settings),
                     extra_options={"DefaultTensorType": 1})  # float where shape inference cannot tell
    _save_with_external_data(int8, tmp, target)


def _save_with_external_data(source: Path, tmp: Path, target: Path) -> None:
    """Write `source` as `target` plus `target.data` holding its large tensors (the 250k-token word embeddings
    above all). ONNX Runtime memory-maps external data, so a session pages in only the embedding rows a batch
    touches instead of copying the whole graph: labeling's peak memory falls by about 0.7 GB. The data file
    is moved into place first; the graph, moved last, marks the export complete."""
    import onnx

    graph = onnx.load(str(source))
    staged = tmp / "staged"
    staged.mkdir()
    data_name = target.name + DATA_SUFFIX
    onnx.save_model(graph, str(staged / target.name), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data_name, size_threshold=1 << 20)
    (staged / data_name).chmod(new_file_mode())  # onnx writes it owner-only; readable like the graph
    os.replace(staged / data_name, target.with_name(data_name))
    os.replace(staged / target.name, target)


def _fuse(clf, source: Path, target: Path) -> Path:
    """ONNX Runtime's transformer fusions (attention, skip layer norm, bias GELU); the unfused graph
    where the encoder is not BERT-like enough for them."""
    from onnxruntime.transformers import optimizer

    cfg = clf.encoder.config
    try:
        fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=cfg.num_attention_heads,
                                         hidden_size=cfg.hidden_size)
        fused.save_model_to_file(str(target))
    except Exception as e:  # noqa: BLE001 - an optimisation, never a reason to fail the export
        log.warning("ONNX transformer fusion skipped (%s: %s)", type(e).__name__, e)
        return source
    log.info("fused: %s", {k: v for k, v in fused.get_fused_operator_statistics().items() if v})
    return target


class OnnxClassifier:
    """Same `scores` interface as EncoderClassifier, run by ONNX Runtime."""

    def __init__(self, clf: TokenBatcher, onnx_path: Path, threads: int | None = None):
        import onnxruntime as ort

        self.clf = clf  # tokenizer and input settings
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.path = onnx_path

    @classmethod
    def for_model(cls, model, threads: int | None = None) -> "OnnxClassifier":
        """The ONNX backend of a loaded encoder model, exported first where no export is cached."""
        if not isinstance(model.classifier, TokenBatcher):
            raise ValueError("the onnx backend needs an encoder model (frozen, finetune or distill), not tfidf")
        settings = export_settings(model.info.onnx)
        path = cache_path(model.path, settings)
        if not path.exists():
            if not hasattr(model.classifier, "encoder"):
                raise ValueError(f"{model.path}: no ONNX export is cached, and making one needs the encoder's weights")
            log.info("exporting %s to ONNX int8 (once)", model.path)
            export_int8(model.classifier, path, settings)
        return cls(model.classifier, path, threads)

    @classmethod
    def load_model(cls, model_dir: Path, encoder: str | None = None, threads: int | None = None) -> Model:
        """A model directory with this backend. Where its export is cached, the encoder's weights are never
        loaded and torch is not imported (the tokenizer, the TF-IDF parts and the ONNX graph are all it
        takes); else the whole model is loaded once to export it."""
        info = read_info(model_dir)
        cached = info.method != "tfidf" and cache_path(model_dir, export_settings(info.onnx)).exists()
        model = load_model(model_dir, encoder=encoder, weights=not cached)
        model.classifier = cls.for_model(model, threads)
        return model

    def _run(self, b, outputs: list[str]) -> list[np.ndarray]:
        return self.session.run(outputs, {"input_ids": np.asarray(b["input_ids"], dtype=np.int64),
                                          "attention_mask": np.asarray(b["attention_mask"], dtype=np.int64)})

    def scores(self, texts, sections=None, batch_size: int = 64) -> np.ndarray:
        return windowed_scores(self.clf, texts, sections, lambda b: self._run(b, ["scores"])[0], batch_size)

    def scores_and_embeddings(self, texts, sections=None, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """`scores` and each unit's mean-pooled embedding (the mean over its windows), from the same runs."""
        dim = next(o.shape[-1] for o in self.session.get_outputs() if o.name == "pooled")
        return windowed_outputs(self.clf, texts, sections, lambda b: tuple(self._run(b, ["scores", "pooled"])),
                                batch_size, dim)

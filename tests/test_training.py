"""Training pipeline: configs parse, methods train, models save, reload and predict identically."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from clausetag.modeldir import load_model
from clausetag.records import Unit
from clausetag.train.config import ConfigError, load_config, parse_config

CONFIGS = Path(__file__).parents[1] / "train" / "configs"


def test_shipped_configs_parse():
    names = sorted(p.name for p in CONFIGS.glob("*.toml"))
    assert "default.toml" in names
    for p in CONFIGS.glob("*.toml"):
        cfg = load_config(p)
        assert cfg.method in ("tfidf", "frozen", "finetune", "distill")
        assert len(cfg.hash) == 16


def test_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmethod = "magic"\n[[sources]]\nspec = "opp115:train"\n')
    with pytest.raises(ConfigError, match="bad.toml: method must be"):
        load_config(bad)
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config('name = "x"\nlearning_rate = 3\n[[sources]]\nspec = "x"\n', "y.toml")
    with pytest.raises(ConfigError, match="no such setting"):
        load_config(CONFIGS / "default.toml", {"finetune.nope": "1"})
    table = load_config(CONFIGS / "default.toml", {"validation.threshold_overrides": "specific_audiences=0.75,contact=0.5"})
    assert table.validation.threshold_overrides == {"specific_audiences": 0.75, "contact": 0.5}
    for value in ("specific_audiences", "contact=high"):
        with pytest.raises(ConfigError, match="threshold_overrides'"):
            load_config(CONFIGS / "default.toml", {"validation.threshold_overrides": value})
    with pytest.raises(ConfigError, match=r"^y.toml: missing required key\(s\) \['name'\]$"):
        parse_config('method = "tfidf"\n[[sources]]\nspec = "x"\n', "y.toml")
    with pytest.raises(ConfigError, match=r"^y.toml \[\[sources\]\]: missing required key\(s\) \['spec'\]$"):
        parse_config('name = "x"\n[[sources]]\nweight = 2\n', "y.toml")
    ok = 'name = "x"\n[[sources]]\nspec = "x"\n'
    for section, setting, words in (("tfidf", "C = 0", r"\[tfidf\] C must be a number above 0, not 0"),
                                    ("tfidf", "ngram_min = 3\nngram_max = 2", r"\[tfidf\] ngram_max \(2\) is below ngram_min \(3\)"),
                                    ("finetune", "warmup_ratio = 1.5", r"\[finetune\] warmup_ratio must be a number 0 or more and below 1"),
                                    ("finetune", 'batch_size = "32"', r"\[finetune\] batch_size must be a number 1 or more, not '32'"),
                                    ("validation", "threshold_overrides = {contact = 1.5}",
                                     r"\[validation\] threshold_overrides: contact must be a number above 0 and below 1"),
                                    ("validation", "threshold_overrides = 0.5",
                                     r"\[validation\] threshold_overrides must be a table of label = threshold")):
        with pytest.raises(ConfigError, match=rf"^y.toml: {words}"):
            parse_config(ok + f"[{section}]\n{setting}\n", "y.toml")
    src = 'name = "x"\n[[sources]]\nspec = "x"\n[onnx]\n'
    with pytest.raises(ConfigError, match=r"y.toml \[onnx\]: unknown key 'fp32_layers'"):
        parse_config(src + "fp32_layers = 4\n", "y.toml")
    with pytest.raises(ConfigError, match="must be a share from 0 to 1"):
        parse_config(src + "fp32_ffn_output_share = 4\n", "y.toml")
    with pytest.raises(ConfigError, match=r"y.toml: \[tfidf\] word_pattern is not a regular expression"):
        parse_config('name = "x"\n[[sources]]\nspec = "x"\n[tfidf]\nword_pattern = "[a-z"\n', "y.toml")
    with pytest.raises(ConfigError, match=r"y.toml: \[finetune\] lora_layers must be 0 \(all layers\) or more"):
        parse_config('name = "x"\n[[sources]]\nspec = "x"\n[finetune]\nlora_layers = -2\n', "y.toml")
    with pytest.raises(ConfigError, match="fuse must be bool"):
        parse_config(src + 'fuse = "yes"\n', "y.toml")
    with pytest.raises(ConfigError, match="quantize_ops must be a list of operator names"):
        parse_config(src + 'quantize_ops = "MatMul"\n', "y.toml")
    assert parse_config(src + "fp32_ffn_output_share = 1\n", "y.toml").onnx == {"fp32_ffn_output_share": 1}
    assert parse_config(src + 'fuse = false\nquantize_ops = ["MatMul", "Gather"]\n', "y.toml").onnx["fuse"] is False


def test_opp115_validation_is_scored_when_opp115_is_trained_on_unless_said_otherwise(tmp_path):
    from clausetag.train.data import build_data, opp115_validation

    own = 'name = "own"\nmethod = "tfidf"\n[[sources]]\nspec = "jsonl:data/seeds"\n'
    assert opp115_validation(parse_config(own, "own.toml")) == ""
    assert opp115_validation(parse_config(own + '[validation]\nopp115 = "opp115:validation"\n', "o.toml")) != ""
    mixed = own + '[[sources]]\nspec = "opp115:train"\n'
    assert opp115_validation(parse_config(mixed, "m.toml")) == "opp115:validation"
    assert opp115_validation(parse_config(mixed + '[validation]\nopp115 = ""\n', "m.toml")) == ""
    # a model of one's own annotations trains where no corpus is: nothing but the JSONL is read
    cfg = parse_config(own + '[validation]\nholdout_docs = ["003_b7ec3afbff0be310.txt"]\n', "own.toml")
    data = build_data(cfg, corpora_root=tmp_path / "no-corpora-here")
    assert list(data.validation) == ["jsonl:data/seeds"] and len(data.validation["jsonl:data/seeds"]) > 100


def test_split_by_document_is_stable_and_disjoint():
    from clausetag.train.data import split_docs

    docs = [f"rw_{i}" for i in range(1, 105)]
    held = split_docs(docs, 0.15, 13)
    assert held == split_docs(list(reversed(docs)), 0.15, 13)
    assert len(held) == 16 and held < set(docs)


@pytest.mark.slow
def test_tiny_finetune_saves_reloads_and_predicts_identically(tiny_model):
    model = load_model(tiny_model)
    info = model.info
    assert info.method == "finetune"
    assert set(info.thresholds) == set(model.labels)
    assert (tiny_model / "adapter" / "adapter_model.safetensors").exists()
    assert (tiny_model / "README.md").read_text().startswith("---")
    size = sum(p.stat().st_size for p in tiny_model.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024
    texts = ["我们会收集您的手机号码用于注册。", "Kontaktujte nás na e-mailu privacy@example.cz.", "Cookies"]
    s1, d1 = model.predict(texts, [None, "10. Kontaktujte nás", None])
    again = load_model(tiny_model)
    s2, d2 = again.predict(texts, [None, "10. Kontaktujte nás", None])
    np.testing.assert_allclose(s1, s2, atol=1e-5)
    assert (d1 == d2).all()
    assert d1.any(axis=1).all()  # at least one label per unit
    seeds = info.training["data"]["sources"][0]  # the documents trained and validated on, recorded
    assert seeds["validation_doc_ids"] == ["003_b7ec3afbff0be310.txt"]
    assert seeds["doc_ids"] == ["000_7b5a3971007343a4.txt", "001_3a06f27cab6bc51d.txt", "002_ee9fa0c1da88b060.txt",
                                "004_55ffab5a0a8bdfc8.txt"]


@pytest.mark.slow
@pytest.mark.corpora
def test_tfidf_trains_on_corpora_sample(tmp_path, corpora_root):
    from clausetag.train.run import train

    cfg = load_config(CONFIGS / "tfidf.toml", {"validation.max_units": "200"})
    cfg.sources = cfg.sources[:2]
    for s in cfg.sources:
        s.max_units = 800
    path, metrics = train(cfg, tmp_path / "tfidf")
    assert metrics["validation"]["opp115:validation"]["n_units"] == 200
    assert metrics["validation"]["opp115:validation"]["macro_f1"] > 20
    m = load_model(path)
    s, d = m.predict(["We share your information with advertisers."])
    assert m.labels[int(np.argmax(s[0]))] == "third_party_sharing"
    chars, words = m.classifier.vectorizers()  # tfidf.toml: both kinds
    assert chars.analyzer == "char_wb" and words.analyzer == "word"
    assert "advertisers" in words.vocabulary_ and "share your" in words.vocabulary_
    assert all(re.fullmatch(r"[a-zA-Z\u00C0-\u024F ]+", w) for w in words.vocabulary_)  # Latin-script words only
    assert not any(hasattr(v, "stop_words_") for v in (chars, words))  # not saved: size


def test_tfidf_word_ngrams_only_where_words_recur():
    from clausetag.records import Unit
    from clausetag.taxonomy import load_taxonomy
    from clausetag.train.methods import fit_tfidf

    cfg = load_config(CONFIGS / "tfidf.toml")
    tax = load_taxonomy(cfg.taxonomy)
    zh = [Unit(id=f"u{i}", doc="d", text=t, labels=[lab], lang="zh") for i, (t, lab) in enumerate(
        [("我们收集您的手机号码。", "collection_use"), ("我们与合作伙伴共享信息。", "third_party_sharing")] * 3)]
    assert "word" not in fit_tfidf(cfg, tax, zh, []).describe()  # no Latin words: character n-grams alone
    en = [Unit(id=f"e{i}", doc="d", text=t, labels=[lab], lang="en") for i, (t, lab) in enumerate(
        [("We collect your phone number.", "collection_use"), ("We share data with partners.", "third_party_sharing")] * 3)]
    clf = fit_tfidf(cfg, tax, zh + en, [])
    assert re.fullmatch(r"character 1-4-grams \([\d,]+\) \+ word 1-2-grams \([\d,]+\)", clf.describe())
    assert clf.scores(["We share data with partners."])[0].argmax() == tax.names.index("third_party_sharing")


def test_overrides_take_the_settings_kind():
    cfg = load_config(CONFIGS / "default.toml", {"finetune.max_minutes": "0.5", "encoder.use_section": "false",
                                                 "encoder.layers": "3"})
    assert cfg.finetune.max_minutes == 0.5 and cfg.encoder.use_section is False and cfg.encoder.layers == 3
    with pytest.raises(ConfigError, match="'finetune.batch_size': 'many' is not of type int"):
        load_config(CONFIGS / "default.toml", {"finetune.batch_size": "many"})
    with pytest.raises(ConfigError, match="tfidf_weight must be in"):
        parse_config('name = "x"\n[blend]\ntfidf_weight = 1.5\n[[sources]]\nspec = "x"\n', "b.toml")
    with pytest.raises(ConfigError, match="b.toml: \\[blend\\] per_language must be true or false, not 'yes'"):
        parse_config('name = "x"\n[blend]\nper_language = "yes"\n[[sources]]\nspec = "x"\n', "b.toml")
    with pytest.raises(ConfigError, match="threshold_weighting must be equal_sources or pooled, not 'equal'"):
        parse_config('name = "x"\n[validation]\nthreshold_weighting = "equal"\n[[sources]]\nspec = "x"\n', "v.toml")
    with pytest.raises(ConfigError, match="default.toml: \\[validation\\] threshold_weighting must be"):
        load_config(CONFIGS / "default.toml", {"validation.threshold_weighting": "equal"})  # overrides checked too
    with pytest.raises(ConfigError, match="min_language_units must be 1 or more"):
        load_config(CONFIGS / "default.toml", {"validation.min_language_units": "0"})
    assert load_config(CONFIGS / "default.toml", {"validation.evaluate_only": "a, b"}).validation.evaluate_only == ["a", "b"]


def test_training_device_setting(monkeypatch):
    import torch

    from clausetag.encoder_classifier import torch_device

    assert load_config(CONFIGS / "default.toml", {"encoder.device": "cuda:1"}).encoder.device == "cuda:1"
    with pytest.raises(ConfigError, match=r"default.toml: \[encoder\] device must be auto, cpu, cuda or cuda:N, not 'gpu'"):
        load_config(CONFIGS / "default.toml", {"encoder.device": "gpu"})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device("auto") == torch.device("cuda")
    assert torch_device("cpu") == torch.device("cpu")


def test_blend_averages_only_in_its_languages():
    from clausetag.blend import Blend, blend_languages

    class Constant:  # a TF-IDF stand-in that scores every text 1.0 on every label
        def scores(self, texts, sections=None, batch_size=64):
            return np.ones((len(texts), 2), dtype=np.float32)

    base = np.array([[0.2, 0.4], [0.2, 0.4], [0.0, 1.0]], dtype=np.float32)
    pooled = Constant()
    out = Blend({"zh": pooled, "en": pooled}, 0.25).apply(base, ["一", "Ahoj", "two"], None, ["zh", "cs", "en"])
    np.testing.assert_allclose(out, [[0.4, 0.55], [0.2, 0.4], [0.25, 1.0]])
    np.testing.assert_allclose(base[0], [0.2, 0.4])  # input untouched
    assert blend_languages(["zh"] * 5 + ["en"] * 3 + ["cs"], 3) == ["zh", "en"]

    class Zero(Constant):
        def scores(self, texts, sections=None, batch_size=64):
            return np.zeros((len(texts), 2), dtype=np.float32)

    out = Blend({"zh": Constant(), "en": Zero()}, 0.5, per_language=True).apply(
        base, ["一", "Ahoj", "two"], None, ["zh", "cs", "en"])
    np.testing.assert_allclose(out, [[0.6, 0.7], [0.2, 0.4], [0.0, 0.5]])


def _units(lang: str, sentences: dict[str, str], copies: int) -> list[Unit]:
    return [Unit(id=f"{lang}{i}-{k}", doc=f"{lang}-doc{k % 3}", lang=lang, text=f"{text} {k}", labels=[label])
            for k in range(copies) for i, (label, text) in enumerate(sentences.items())]


def test_per_language_blend_fits_saves_and_loads_one_model_per_language(tmp_path):
    """[blend] per_language: each blend language gets a TF-IDF model of its own units (its own vocabulary),
    saved as tfidf-<lang>.json/.safetensors and loaded back with identical scores; pooled keeps one tfidf part."""
    from clausetag.blend import Blend
    from clausetag.taxonomy import load_taxonomy
    from clausetag.train.methods import fit_blend

    zh = {"collection_use": "我们收集您的手机号码和位置信息", "third_party_sharing": "我们与合作伙伴共享您的信息",
          "contact": "如有疑问请联系我们的客服"}
    en = {"collection_use": "we collect your phone number and location", "contact": "please contact our support team",
          "data_security": "we encrypt your data to keep it secure"}
    train = _units("zh", zh, 12) + _units("en", en, 12) + _units("cs", {"contact": "kontaktujte nás"}, 3)
    taxonomy = load_taxonomy("harmonized")
    for per_language, files in ((True, ["tfidf-en.json.xz", "tfidf-en.safetensors.xz", "tfidf-zh.json.xz", "tfidf-zh.safetensors.xz"]),
                               (False, ["tfidf.json.xz", "tfidf.safetensors.xz"])):
        cfg = parse_config('name = "b"\n[[sources]]\nspec = "x"\n[blend]\ntfidf_weight = 0.5\n'
                           f"min_language_units = 20\nper_language = {str(per_language).lower()}\n", "b.toml")
        blend = fit_blend(cfg, taxonomy, train)
        assert blend.languages == ["zh", "en"] and blend.per_language is per_language
        vocab = {lang: "".join(blend.parts[lang].vectorizers()[0].vocabulary_) for lang in blend.languages}
        assert per_language == ("手" not in vocab["en"] and "w" not in vocab["zh"])
        directory = tmp_path / str(per_language)
        directory.mkdir()
        blend.save(directory)
        assert sorted(p.name for p in directory.iterdir()) == files
        again = Blend.load(directory, blend.to_dict(), use_section=False)
        texts, langs = ["我们收集您的位置信息", "we encrypt your data", "kontaktujte nás"], ["zh", "en", "cs"]
        base = np.full((3, len(taxonomy.names)), 0.5, dtype=np.float32)
        s = blend.apply(base, texts, None, langs)
        np.testing.assert_allclose(again.apply(base, texts, None, langs), s, atol=1e-6)
        np.testing.assert_allclose(s[2], base[2])  # Czech: too few units for a part of its own
        names = taxonomy.names
        assert s[0, names.index("collection_use")] > s[0, names.index("contact")]
        assert s[1, names.index("data_security")] > s[1, names.index("contact")]


def test_a_kept_blend_gains_a_part_for_an_added_language_and_keeps_the_others(tmp_path):
    """[blend] add_languages: a kept per-language blend gets a TF-IDF part of its own for each added language,
    fitted on that language's units; the kept parts are the very same objects and other languages stay
    encoder-only. Without keep_from, or on a pooled blend, it is refused with a clear error."""
    from clausetag.taxonomy import load_taxonomy
    from clausetag.train.config import ConfigError
    from clausetag.train.methods import extended_blend, fit_blend

    zh = {"collection_use": "我们收集您的手机号码和位置信息", "contact": "如有疑问请联系我们的客服"}
    de = {"collection_use": "wir erheben ihre telefonnummer und ihren standort",
          "contact": "bitte wenden sie sich an unseren kundendienst"}
    taxonomy = load_taxonomy("harmonized")
    head = 'name = "b"\n[[sources]]\nspec = "x"\n[blend]\ntfidf_weight = 0.5\nmin_language_units = 20\n'
    kept = fit_blend(parse_config(head + "per_language = true\n", "b.toml"), taxonomy, _units("zh", zh, 12))
    cfg = parse_config(head + f'per_language = true\nkeep_from = "{tmp_path}"\nadd_languages = ["de"]\n', "b.toml")
    train = _units("de", de, 3) + _units("cs", {"contact": "kontaktujte nás"}, 3)
    blend = extended_blend(kept, cfg, taxonomy, train)  # three German units: enough, as the language is named
    assert blend.languages == ["zh", "de"] and blend.parts["zh"] is kept.parts["zh"] and blend.weight == kept.weight
    base = np.full((2, len(taxonomy.names)), 0.5, dtype=np.float32)
    s = blend.apply(base, ["wir erheben ihren standort", "kontaktujte nás"], None, ["de", "cs"])
    names = taxonomy.names
    assert s[0, names.index("collection_use")] > s[0, names.index("contact")]
    np.testing.assert_allclose(s[1], base[1])  # Czech: not added, the encoder's scores alone
    with pytest.raises(ConfigError, match="no training units in 'ko'"):
        extended_blend(kept, parse_config(head + f'per_language = true\nkeep_from = "{tmp_path}"\n'
                                                 'add_languages = ["ko"]\n', "b.toml"), taxonomy, train)
    with pytest.raises(ConfigError, match="add_languages needs keep_from"):
        parse_config(head + 'per_language = true\nadd_languages = ["de"]\n', "b.toml")


@pytest.mark.encoder
def test_encoder_keeps_its_first_layers():
    from clausetag.train.methods import build_encoder_classifier
    from clausetag.taxonomy import load_taxonomy

    cfg = load_config(CONFIGS / "fast.toml")
    clf = build_encoder_classifier(cfg, load_taxonomy(cfg.taxonomy))
    assert cfg.encoder.layers == 3 and len(clf.encoder.encoder.layer) == 3
    assert clf.encoder.config.num_hidden_layers == 3
    assert clf.scores(["We keep your data for 30 days."]).shape == (1, 9)
    from clausetag.encoder.load import keep_layers

    with pytest.raises(ValueError, match="cannot keep 13 layers of an encoder with 3"):
        keep_layers(clf.encoder, 13)


@pytest.mark.slow
def test_continued_model_with_blend(tiny_model, tmp_path):
    """init_from with no further minutes keeps the encoder model as it is; the blend's TF-IDF part
    (Chinese only: the seeds' other language has too few units) changes Chinese scores, not Czech.
    Validating on a Chinese and the Czech seed, each language gets thresholds of its own; the default
    row is tuned on the encoder's scores alone."""
    from clausetag.train.run import train

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                      {"finetune.init_from": str(tiny_model), "finetune.max_minutes": "0",
                       "blend.tfidf_weight": "0.5", "blend.min_language_units": "100", "tfidf.word_ngram_max": "2",
                       "validation.thresholds_by_language": "true", "validation.min_language_units": "100",
                       "validation.holdout_docs": "003_b7ec3afbff0be310.txt, 002_ee9fa0c1da88b060.txt"})
    path, metrics = train(cfg, tmp_path / "blended")
    thresholds = load_model(path).info.thresholds_by_language
    assert sorted(thresholds) == ["cs", "zh"] and metrics["thresholds_by_language"] == ["cs", "zh"]
    assert metrics["validation"]["jsonl:data/seeds"]["cross_fitted"]["split"] == "documents"  # 002 and 003
    assert "- zh: collection_use" in (path / "README.md").read_text()
    base, blended = load_model(tiny_model), load_model(path)
    assert {k: blended.info.blend[k] for k in ("tfidf_weight", "languages")} == {"tfidf_weight": 0.5, "languages": ["zh"]}
    features = blended.info.blend["tfidf_features"]  # the Chinese seeds' recurring Latin words: App, SDK, ...
    assert re.fullmatch(r"character 1-4-grams \([\d,]+\) \+ word 1-2-grams \([\d,]+\)", features)
    assert features in (path / "README.md").read_text()
    assert (path / "tfidf.safetensors.xz").exists() and not list(path.glob("*.joblib"))
    texts = ["我们会收集您的手机号码用于注册。", "Kontaktujte nás na e-mailu privacy@example.cz."]
    langs = ["zh", "cs"]
    b, s = base.scores(texts, langs=langs), blended.scores(texts, langs=langs)
    np.testing.assert_allclose(s[1], b[1], atol=1e-5)
    assert np.abs(s[0] - b[0]).max() > 1e-3
    np.testing.assert_allclose(load_model(path).scores(texts, langs=langs), s, atol=1e-6)
    np.testing.assert_allclose(blended.scores(texts), s, atol=1e-6)  # languages detected when not given

    # [blend] keep_from: continuing the blended model keeps its TF-IDF parts as they are, though these
    # settings would refit other ones (word n-grams off)
    kept_cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                           {"finetune.init_from": str(path), "finetune.max_minutes": "0", "blend.tfidf_weight": "0.5",
                            "blend.keep_from": str(path), "blend.min_language_units": "100",
                            "tfidf.word_ngram_max": "1"})
    kept = load_model(train(kept_cfg, tmp_path / "kept")[0])
    assert kept.info.blend["tfidf_features"] == features
    assert kept.info.blend["kept_from"]["model"] == str(path)  # the card credits the parts to that model
    card = (tmp_path / "kept" / "README.md").read_text(encoding="utf-8")
    assert f"kept from `{path}`" in card and "not on the data below" in card
    np.testing.assert_allclose(kept.scores(texts, langs=langs), s, atol=1e-6)
    kept_cfg.blend.keep_from = str(tiny_model)
    with pytest.raises(ConfigError, match="blends no TF-IDF part"):
        train(kept_cfg, tmp_path / "nothing-to-keep")

    cfg.encoder.max_length = 96
    with pytest.raises(ConfigError, match="its max_length differ"):
        train(cfg, tmp_path / "mismatch")


@pytest.mark.slow
def test_continued_model_with_neighbours_and_kept_thresholds(tiny_model, tmp_path):
    """[neighbours]: the encoder kept as it is, its distinct training units embedded and kept; a unit's scores
    become half the encoder's and half the labels of its nearest kept units (a kept unit: its own labels).
    [validation] thresholds_from keeps the thresholds of the model named. Saved, loaded and carded."""
    from clausetag.corpora import read_jsonl
    from clausetag.train.run import train

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                      {"finetune.init_from": str(tiny_model), "finetune.max_minutes": "0",
                       "neighbours.weight": "0.5", "neighbours.sources": "jsonl:data/seeds",
                       "neighbours.route_sources": "jsonl:data/seeds", "neighbours.route_units": "40",
                       "neighbours.route_min_units": "12", "validation.thresholds_from": str(tiny_model)})
    cfg.validation.threshold_overrides = {"specific_audiences": 0.75}
    path, metrics = train(cfg, tmp_path / "nb")
    base, model = load_model(tiny_model), load_model(path)
    assert model.info.thresholds == base.info.thresholds | {"specific_audiences": 0.75}
    assert metrics["thresholds_from"] == str(tiny_model)
    assert metrics["threshold_overrides"] == {"specific_audiences": 0.75}
    seeds = [u for u in read_jsonl("data/seeds").units if u.doc != "003_b7ec3afbff0be310.txt"]
    distinct = {(u.text, u.section, tuple(u.labels)) for u in seeds}
    assert model.info.neighbours == {"units": len(distinct), "dims": 384, "k": 10, "temperature": 0.01,
                                     "weight": 0.5, "blend_language_weight": 0.0, "sources": ["jsonl:data/seeds"],
                                     "route_units": 40, "route_dims": 32, "route_k": 10, "route_threshold": 0.6,
                                     "route_min_units": 12, "route_sources": ["jsonl:data/seeds"]}
    assert model.neighbours.routes.shape == (40, 32)  # a seeded sample of the source's units, as saved
    assert (path / "neighbours.safetensors").stat().st_size < len(distinct) * 400 + 384 * 384 * 2 + 40 * 40 + 4096
    unit = next(u for u in seeds if len(u.text) > 40 and u.labels != ["other"])
    names = model.labels
    gold = np.array([[n in unit.labels for n in names]], dtype=np.float32)
    encoder = base.scores([unit.text], [unit.section])
    np.testing.assert_allclose(model.scores([unit.text], [unit.section]), 0.5 * encoder + 0.5 * gold, atol=0.02)
    card = (path / "README.md").read_text(encoding="utf-8")
    assert "## Nearest training units" in card and f"The {len(distinct)} units kept" in card
    assert (f"are those of `{tiny_model}` (tuned there on its validation sets), but specific_audiences set to 0.75 "
            "([validation] threshold_overrides)") in " ".join(card.split())
    cfg.validation.threshold_overrides = {"children": 0.5}
    with pytest.raises(ConfigError, match=r"threshold_overrides: 'children' is not a label of the harmonized taxonomy"):
        train(cfg, tmp_path / "unknown-label")
    with pytest.raises(ConfigError, match="not one of the"):
        load_config(Path(__file__).parent / "data" / "tiny_seeds.toml", {"neighbours.sources": "jsonl:elsewhere"})


def test_continuing_without_selection_keeps_the_last_step(tiny_model, tmp_path):
    """With no units to select on ([validation] max_units_for_selection = 0, as train/configs/reviewed.toml
    continues a model on corrections), the steps taken are the model: not the starting weights."""
    from clausetag.train.run import train

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                      {"finetune.init_from": str(tiny_model), "finetune.max_steps": "3", "finetune.lr": "1e-3",
                       "validation.max_units_for_selection": "0"})
    path, _ = train(cfg, tmp_path / "continued")
    assert "no model selection (no selection units): the last step's weights kept" in (path / "README.md").read_text(encoding="utf-8")
    continued = load_model(path)
    assert continued.info.metrics["finetune"]["best_step"] == continued.info.metrics["finetune"]["steps"] == 3
    texts = ["我们会收集您的手机号码用于注册。", "Kontaktujte nás na e-mailu privacy@example.cz."]
    assert np.abs(continued.scores(texts) - load_model(tiny_model).scores(texts)).max() > 1e-4



def test_a_continued_model_counts_the_units_of_the_model_it_continued_as_seen(tiny_model, tmp_path):
    """A model continued without seed 000 (held out this time) still trained on it through the model it
    continued: it records that model's config and data (`training.continued_from`) and the training-overlap
    check counts 000's units as seen."""
    from clausetag.training_overlap import training_texts
    from clausetag.train.run import train

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml",
                      {"finetune.init_from": str(tiny_model), "finetune.max_steps": "1",
                       "validation.holdout_docs": "003_b7ec3afbff0be310.txt,000_7b5a3971007343a4.txt"})
    path, _ = train(cfg, tmp_path / "continued")
    record = load_model(path).info.training["continued_from"]
    assert record["model"] == str(tiny_model) and record["config"] == (tiny_model / "config.toml").read_text(encoding="utf-8")
    seed0 = {" ".join(json.loads(l)["text"].split())
             for l in (CONFIGS.parents[1] / "data" / "seeds" / "000_7b5a3971007343a4.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()}
    own_run = training_texts(tiny_model)[0]
    assert seed0 <= own_run  # the first run trained on 000
    continued = training_texts(path)[0]
    assert seed0 <= continued
    # without the record, 000 is not among the units the continued run rebuilds: the record is what counts it
    info = json.loads((path / "model.json").read_text(encoding="utf-8"))
    info["training"].pop("continued_from")
    (path / "model.json").write_text(json.dumps(info), encoding="utf-8")
    assert not seed0 <= training_texts(path)[0]

def test_continued_model_counts_the_run_that_made_its_weights():
    """Re-fitting a blend (no fine-tuning steps) on a model that was itself only re-fitted counts the
    minutes of the run that fine-tuned the weights, not every re-fit in between."""
    from clausetag.train.methods import _fine_tuning_origin

    tuned = {"steps": 600, "best_step": 600, "selection_macro_f1": 70.0, "finetune_minutes": 27.0}
    refit = {"steps": 0, "best_step": 0, "selection_macro_f1": 70.0, "finetune_minutes": 0.0,
             "init_from": "models/m", "init_train_minutes": 30.0, "init_machine": "a GPU", "init_log": tuned}
    refit_again = {**refit, "init_train_minutes": 31.5, "init_machine": "2 cores", "init_log": refit}
    origin = _fine_tuning_origin("models/m", {"train_minutes": 33.0, "finetune": refit_again}, "2 cores")
    assert origin == {"init_from": "models/m", "init_train_minutes": 30.0, "init_machine": "a GPU", "init_log": tuned}
    # a model that took steps of its own after a continuation is where its weights come from
    continued = {**tuned, "init_from": "models/m", "init_train_minutes": 30.0, "init_log": tuned}
    origin = _fine_tuning_origin("models/c", {"train_minutes": 60.0, "finetune": continued}, "2 cores")
    assert (origin["init_train_minutes"], origin["init_machine"]) == (60.0, "2 cores")


def _simulate(plan, seconds_per_step, eval_every: int, eval_seconds: float) -> tuple[int, float, int]:
    """Run a StepPlan against a clock: step n costs seconds_per_step(n), every `eval_every`-th step adds
    an evaluation; returns the step and time at which training stops and the plan fitted at step 40."""
    step, elapsed, first_fit = 0, 0.0, 0
    while True:
        step += 1
        elapsed += seconds_per_step(step) + (eval_seconds if step % eval_every == 0 else 0.0)
        plan.observe(step, elapsed)
        first_fit = plan.total if step == 40 else first_fit
        if plan.done(step, elapsed):
            return step, elapsed, first_fit


def test_step_plan_fits_the_budget_so_the_learning_rate_decays():
    from clausetag.train.schedule import StepPlan

    # the first 100 steps take 0.8 s, later ones 1 s, and a 30 s evaluation every 300 steps: a
    # 1,000 s budget allows ~930 of 5,000 planned steps. Paced on steps 10-40 alone the plan was ~1,200,
    # so the budget would end training with the learning rate at a fifth of its peak; re-fitted after
    # every step, the plan ends (learning rate decayed) when the budget does.
    plan = StepPlan(5000, 0.06, budget_s=1000)
    step, elapsed, first_fit = _simulate(plan, lambda n: 0.8 if n <= 100 else 1.0, 300, 30.0)
    assert first_fit > 1150 and 900 <= step <= 960 and elapsed <= 1001
    assert plan.lr_factor(step) < 0.01 and plan.lr_factor(plan.warmup) == 1.0
    # its warm-up is 6% of the plan fitted at step 40, not of the 5,000 steps first planned
    assert plan.warmup == int(first_fit * 0.06) < 300
    # a budget that is not binding leaves the plan alone; without a budget it is never re-fitted
    loose = StepPlan(500, 0.06, budget_s=1000)
    assert _simulate(loose, lambda n: 1.0, 300, 30.0)[0] == 500 and (loose.total, loose.warmup) == (500, 30)
    unbudgeted = StepPlan(500, 0.06, budget_s=0)
    assert _simulate(unbudgeted, lambda n: 100.0, 300, 30.0)[0] == 500


@pytest.mark.encoder
def test_lower_layer_cache_gives_the_full_models_logits():
    """With LoRA in the top layer only, the cached lower-layer outputs + the top layer give the logits
    the whole model gives, and the gradient reaches that layer's adapter alone."""
    import torch
    from peft import LoraConfig, get_peft_model

    from clausetag.taxonomy import load_taxonomy
    from clausetag.train.lower_cache import LowerLayerCache
    from clausetag.train.methods import build_encoder_classifier

    cfg = load_config(CONFIGS / "fast.toml")
    model = build_encoder_classifier(cfg, load_taxonomy(cfg.taxonomy))
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["query", "key", "value", "dense"], layers_to_transform=[2])
    model.encoder = get_peft_model(model.encoder, lora)
    torch.manual_seed(0)
    with torch.no_grad():  # LoRA B starts at zero: make the adapter matter
        for name, p in model.encoder.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    units = [Unit(id=str(i), doc="d", lang="en", text=t, section=s) for i, (t, s) in enumerate([
        ("We keep your data for 30 days.", "Retention"), ("Contact us at privacy@example.com.", None),
        ("We share data with advertisers.", "Sharing"), ("We keep your data for 30 days.", "Retention")])]
    cache = LowerLayerCache(model, units, top=1)
    assert cache.split == 2 and len(cache.states) == 3  # the repeated unit is cached once
    model.eval()
    b = model.encode_batch([u.text for u in units], [u.section for u in units])
    with torch.no_grad():
        whole = model(b["input_ids"], b["attention_mask"])
        cached = cache.logits(model, [0, 1, 2, 3])
    assert torch.allclose(whole, cached, atol=1e-3), (whole - cached).abs().max()
    model.train()
    cache.logits(model, [0, 2]).sum().backward()
    grads = {n for n, p in model.encoder.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert grads and all("lora_" in n and ".layer.2." in n for n in grads)
    with pytest.raises(ValueError, match="lora_layers must be between 1 and 2"):
        LowerLayerCache(model, units, top=3)

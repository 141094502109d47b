"""Training pipeline: configs parse, methods train, models save, reload and predict identically."""

from pathlib import Path

import numpy as np
import pytest

from clausetag.modeldir import load_model
from clausetag.train.config import ConfigError, load_config, parse_config

CONFIGS = Path(__file__).parents[1] / "train" / "configs"


def test_shipped_configs_parse():
    names = sorted(p.name for p in CONFIGS.glob("*.toml"))
    assert "default.toml" in names
    for p in CONFIGS.glob("*.toml"):
        cfg = load_config(p)
        assert cfg.method in ("tfidf", "frozen", "finetune")
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
    assert "003_b7ec3afbff0be310.txt" not in str(info.training["data"]["sources"][0]["docs"])


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

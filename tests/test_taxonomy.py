import pytest

from clausetag.taxonomy import load_taxonomy

HARMONIZED = ["collection_use", "third_party_sharing", "user_rights", "data_retention", "data_security",
              "specific_audiences", "policy_change", "contact", "other"]

OPP_MAP = {
    "First Party Collection/Use": "collection_use",
    "Third Party Sharing/Collection": "third_party_sharing",
    "User Choice/Control": "user_rights",
    "User Access, Edit and Deletion": "user_rights",
    "Do Not Track": "user_rights",
    "Data Retention": "data_retention",
    "Data Security": "data_security",
    "International and Specific Audiences": "specific_audiences",
    "Policy Change": "policy_change",
    "Privacy contact information": "contact",
    "Introductory/Generic": "other",
    "Practice not covered": "other",
}
CAPP_MAP = {
    "数据收集": "collection_use", "权限获取": "collection_use", "使用": "collection_use",
    "共享、委托、转让、公开（披露）": "third_party_sharing", "数据、权限管理": "user_rights",
    "存储方式": "data_retention", "停止运营": "data_retention", "安全措施": "data_security",
    "特殊人群": "specific_audiences", "隐私政策的授权、修改与变更": "policy_change", "联系方式": "contact",
}


def test_harmonized_labels_and_definitions():
    t = load_taxonomy("harmonized")
    assert t.names == HARMONIZED
    assert t.fallback == "other"
    for label in t.labels:
        assert label.definition["en"] and label.definition["zh"]


@pytest.mark.parametrize("name,mapping", [("opp115", OPP_MAP), ("capp130", CAPP_MAP)])
def test_native_mappings(name, mapping):
    t, h = load_taxonomy(name), load_taxonomy("harmonized")
    for native, target in mapping.items():
        assert t.map_labels([native], h) == [target]
    assert set(mapping) <= set(t.names)


def test_capp_empty_topic_is_other_and_aliases_resolve():
    t, h = load_taxonomy("capp130"), load_taxonomy("harmonized")
    assert t.map_labels([t.fallback], h) == ["other"]
    assert t.canonical("Policy Change") == "隐私政策的授权、修改与变更"
    assert t.canonical("not a label") is None
    assert t.is_attribute("摘要") and t.is_attribute("Risk")


def test_other_never_mixed_with_content_labels():
    t, h = load_taxonomy("opp115"), load_taxonomy("harmonized")
    assert t.map_labels(["Introductory/Generic", "Data Security"], h) == ["data_security"]


def test_multi_hot_matrix_follows_label_order():
    h = load_taxonomy("harmonized")
    y = h.to_matrix([["contact", "collection_use"], []])
    assert y.shape == (2, 9)
    assert y[0].tolist() == [1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert y[1].sum() == 0

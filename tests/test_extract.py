"""Reading input files: tables of HTML and Markdown become one self-contained unit per row."""

from clausetag.infer.extract import read_document
from clausetag.infer.segment import segment
from clausetag.infer.tables import flatten_tables

SDK_TABLE = """<html><body><main><h2>三、我们如何共享您的个人信息</h2>
<p>我们会与以下第三方SDK共享您的个人信息，具体如下：</p>
<table><tr><th>SDK名称</th><th>使用目的</th><th>收集的个人信息</th></tr>
<tr><td>微信SDK</td><td>微信登录、分享</td><td>设备标识符、网络信息</td></tr>
<tr><td>友盟统计SDK</td><td>统计分析</td><td>设备信息、应用列表</td></tr></table>
<p>我们不会出售您的个人信息。</p></main></body></html>"""


def test_html_table_rows_are_units_that_name_their_columns(tmp_path):
    path = tmp_path / "policy.html"
    path.write_text(SDK_TABLE, encoding="utf-8")
    doc = read_document(path)
    assert "|---" not in doc.text
    units = segment(doc.text)
    rows = [u for u in units if "SDK名称" in u.text]
    assert [u.text for u in rows] == ["SDK名称: 微信SDK | 使用目的: 微信登录、分享 | 收集的个人信息: 设备标识符、网络信息",
                                      "SDK名称: 友盟统计SDK | 使用目的: 统计分析 | 收集的个人信息: 设备信息、应用列表"]
    # the rows stay in the section of the heading above the table; the header row is no heading
    assert {u.section for u in rows} == {"三、我们如何共享您的个人信息"}
    assert units[-1].text == "我们不会出售您的个人信息。" and units[-1].section == "三、我们如何共享您的个人信息"


def test_markdown_tables_without_header_and_escaped_pipes(tmp_path):
    text = ("Intro line.\n| Name | Purpose |\n|:---|---:|\n| Google | Ads \\| tracking |\n| | empty first |\n"
            "between\n| a | b |\n| c | d |\nmid\n| only | header |\n|---|---|\nend")
    assert flatten_tables(text).split("\n") == [
        "Intro line.", "Name: Google | Purpose: Ads | tracking", "Purpose: empty first", "between", "a | b", "c | d",
        "mid", "only | header", "end"]
    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")
    assert read_document(path).text == flatten_tables(text)
    plain = tmp_path / "policy.txt"  # offsets of a plain text file stay offsets into the file
    plain.write_text(text, encoding="utf-8")
    assert read_document(plain).text == text

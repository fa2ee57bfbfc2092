"""Shipped dictionaries and the errors a bad dictionary file must raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from srdi.text import load_dictionary

DICTS = Path(__file__).resolve().parents[1] / "data" / "dictionaries"

# The 76 terms of Wu, Hu, Lin and Ren (2021), typed here independently of the data file.
WU2021 = {
    "ai": "人工智能 商业智能 图像理解 投资决策辅助系统 智能数据分析 智能机器人 机器学习 深度学习 语义搜索 "
    "生物识别技术 人脸识别 语音识别 身份验证 自动驾驶 自然语言处理",
    "bigdata": "大数据 数据挖掘 文本挖掘 数据可视化 异构数据 征信 增强现实 混合现实 虚拟现实",
    "cloud": "云计算 流计算 图计算 内存计算 多方安全计算 类脑计算 绿色计算 认知计算 融合架构 亿级并发 EB级存储 "
    "物联网 信息物理系统",
    "blockchain": "区块链 数字货币 分布式计算 差分隐私技术 智能金融合约",
    "application": "移动互联网 工业互联网 移动互联 互联网医疗 电子商务 移动支付 第三方支付 NFC支付 智能能源 B2B B2C "
    "C2B C2C O2O 网联 智能穿戴 智慧农业 智能交通 智能医疗 智能客服 智能家居 智能投顾 智能文旅 智能环保 智能电网 "
    "智能营销 数字营销 无人零售 互联网金融 数字金融 Fintech 金融科技 量化金融 开放银行",
}


def test_wu2021_dictionary_is_the_published_list():
    d = load_dictionary(DICTS / "digital_wu2021.yaml")
    assert d.n_terms == 76 == sum(len(v.split()) for v in WU2021.values())
    assert {g.gid: list(g.terms) for g in d.groups} == {k: v.split() for k, v in WU2021.items()}
    assert [g.label for g in d.groups] == ["人工智能技术", "大数据技术", "云计算技术", "区块链技术", "数字技术运用"]
    assert d.count_prefix == "dt" and "管理世界" in d.citation and d.version


@pytest.mark.parametrize(("name", "prefix"), [("coinnov_data", "ci_data"), ("coinnov_eco", "ci_eco")])
def test_project_dictionaries_load(name, prefix):
    d = load_dictionary(DICTS / f"{name}.yaml")
    assert d.count_prefix == prefix and 12 <= d.n_terms <= 20
    assert "not a published lexicon" in (DICTS / f"{name}.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text("name: bad\nversion: '1'\ncitation: none\n" + body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "term"),
    [
        ("groups:\n  a: {terms: [人工智能, 大数据, 人工智能]}\n", "人工智能"),
        ("groups:\n  a: {terms: [Fintech, 大数据, FINTECH]}\n", "FINTECH"),  # duplicate up to Latin case
        ("groups:\n  a: {terms: [人工智能]}\n  b: {terms: [大数据, 人工智能]}\n", "人工智能"),
        ("groups:\n  a: {terms: [人工智能, '']}\n", "''"),
        ("groups:\n  a: {terms: [人工智能, '  ']}\n", "'  '"),
        ("groups:\n  a:\n    terms:\n      - 人工智能\n      -\n", "None"),
    ],
    ids=["duplicate", "duplicate-case", "two-groups", "empty", "blank", "null"],
)
def test_bad_terms_raise_naming_file_and_term(tmp_path, body, term):
    p = write(tmp_path, body)
    with pytest.raises(ValueError) as err:
        load_dictionary(p)
    assert str(p) in str(err.value) and term in str(err.value)


def test_cross_group_message_names_both_groups(tmp_path):
    p = write(tmp_path, "groups:\n  a: {terms: [人工智能]}\n  b: {terms: [大数据, 人工智能]}\n")
    with pytest.raises(ValueError, match=r"two groups: 'a'.*'b'"):
        load_dictionary(p)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("n_terms: 3\ngroups:\n  a: {terms: [人工智能]}\n", "n_terms says 3 but 1"),
        ("groups:\n  a: {terms: [人工智能]}\n  a: {terms: [大数据]}\n", "duplicate key 'a'"),
        ("groups:\n  AI: {terms: [人工智能]}\n", "group id 'AI'"),
        ("groups:\n  a: {terms: [人工智能, 2021]}\n", "not a string"),
        ("groups: {}\n", "groups must be"),
        ("groups:\n  a: {terms: [人工智能]}\nextra: 1\n", "unknown keys"),
    ],
)
def test_malformed_files(tmp_path, body, match):
    with pytest.raises(ValueError, match=match):
        load_dictionary(write(tmp_path, body))

"""count_year / combine_shards: files in, one typed firm-year table out; missing stays missing."""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path

import pandas as pd
import pytest

from srdi.text import REPORT_ATTR, TextCounter, combine_shards, count_year, decode_report, load_dictionary

DICTS = Path(__file__).resolve().parents[1] / "data" / "dictionaries"
ALL = {
    "digital": str(DICTS / "digital_wu2021.yaml"),
    "ci_data": str(DICTS / "coinnov_data.yaml"),
    "ci_eco": str(DICTS / "coinnov_eco.yaml"),
}


@pytest.fixture
def mdna(tmp_path: Path) -> Path:
    d = tmp_path / "mdna"
    d.mkdir()
    # 000001: 10 + 1 + 11 = 22 characters; 人工智能 and 大数据 count; 区块链 is negated (its window 司尚未开展).
    (d / "000001_2020.txt").write_text("推进人工智能与大数据。公司尚未开展区块链业务", encoding="utf-8")
    # 000002: GB18030 with 工业互联网平台: 工业互联网 for DT, 工业互联网平台 for ci_data; 产学研 for ci_eco.
    (d / "000002_2020.txt").write_bytes("建设工业互联网平台，深化产学研合作。".encode("gb18030"))
    # 000003: UTF-8 with BOM; Latin terms in any case.
    (d / "000003_2020.txt").write_bytes(b"\xef\xbb\xbf" + "FinTech与FINTECH及b2b".encode())
    # 000004: decodes as neither UTF-8 nor GB18030 (0xFF is never a GB18030 lead byte).
    (d / "000004_2020.txt").write_bytes(b"\xff\xfe\xff\x00abc")
    # 000005 has a 2021 report only: no 2020 row.
    (d / "000005_2021.txt").write_text("云计算", encoding="utf-8")
    (d / "notes_2020.txt").write_text("人工智能", encoding="utf-8")
    return d


def test_count_year_values(mdna, tmp_path, caplog):
    out = tmp_path / "shards" / "2020.parquet"
    with caplog.at_level(logging.WARNING, logger="srdi.text"):
        df = count_year(mdna, 2020, ALL, out, report_path=tmp_path / "2020.json")
    assert out.exists()
    assert df["stkcd"].tolist() == ["000001", "000002", "000003"]  # 000004 undecodable, 000005 other year
    r = df.set_index("stkcd")

    a = r.loc["000001"]
    assert a["text_chars"] == 22
    assert (a["dt_ai"], a["dt_bigdata"], a["dt_blockchain"], a["dt_total"]) == (1, 1, 0, 2)
    assert (a["dt_neg_blockchain"], a["dt_neg"]) == (1, 1)
    assert a["digital"] == pytest.approx(math.log(3))
    assert a["digital_ai"] == pytest.approx(math.log(2))
    assert a["dt_intensity"] == pytest.approx(2 * 10_000 / 22)

    b = r.loc["000002"]
    assert b["encoding"] == "gb18030" and b["text_chars"] == 18
    assert (b["dt_application"], b["ci_data_total"], b["ci_eco_total"]) == (1, 1, 1)
    assert b["ci_data"] == pytest.approx(math.log(2)) and b["ci_eco"] == pytest.approx(math.log(2))
    assert b["ci_data_intensity"] == pytest.approx(10_000 / 18)

    c = r.loc["000003"]
    assert c["encoding"] == "utf-8-sig" and c["text_chars"] == 19  # the BOM is not a character of the text
    assert (c["dt_application"], c["dt_total"]) == (3, 3)  # FinTech, FINTECH, b2b

    assert df["year"].tolist() == [2020] * 3
    assert str(df["dt_total"].dtype) == "int64" and str(df["digital"].dtype) == "float64"
    rep = df.attrs[REPORT_ATTR]
    assert rep["undecodable"] == ["000004_2020.txt"] and rep["skipped_names"] == ["notes_2020.txt"]
    assert rep["encodings"] == {"gb18030": 1, "utf-8": 1, "utf-8-sig": 1}
    assert [d["name"] for d in rep["dictionaries"]] == ["digital_wu2021", "coinnov_data", "coinnov_eco"]
    assert json.loads((tmp_path / "2020.json").read_text(encoding="utf-8"))["undecodable"] == ["000004_2020.txt"]
    assert any("000004_2020.txt" in m and "decode" in m for m in caplog.messages)
    # The parquet carries the same table and report.
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs[REPORT_ATTR]["undecodable"] == ["000004_2020.txt"]


def test_missing_report_is_missing_not_zero(mdna, tmp_path):
    df = count_year(mdna, 2020, ALL, tmp_path / "2020.parquet")
    panel = pd.DataFrame({"stkcd": ["000001", "000004", "000005"], "year": [2020] * 3})
    merged = panel.merge(df, on=["stkcd", "year"], how="left").set_index("stkcd")
    assert merged.loc["000001", "dt_total"] == 2
    assert pd.isna(merged.loc["000004", "dt_total"]) and pd.isna(merged.loc["000004", "digital"])
    assert pd.isna(merged.loc["000005", "dt_total"]) and pd.isna(merged.loc["000005", "digital"])


def test_empty_year_gives_typed_empty_shard(mdna, tmp_path):
    df = count_year(mdna, 2019, ALL, tmp_path / "2019.parquet")
    assert df.empty and "digital" in df.columns and str(df["dt_total"].dtype) == "int64"


def test_combine_shards(mdna, tmp_path):
    p20 = tmp_path / "2020.parquet"
    p21 = tmp_path / "2021.parquet"
    count_year(mdna, 2021, ALL, p21)
    count_year(mdna, 2020, ALL, p20)
    out = tmp_path / "text_measures.parquet"
    df = combine_shards([p21, p20], out, report_path=tmp_path / "text.json")
    assert list(zip(df["stkcd"], df["year"], strict=True)) == [
        ("000001", 2020), ("000002", 2020), ("000003", 2020), ("000005", 2021),
    ]  # fmt: skip
    assert df.set_index("stkcd").loc["000005", "dt_cloud"] == 1
    rep = json.loads((tmp_path / "text.json").read_text(encoding="utf-8"))
    assert rep["years"] == [2020, 2021] and rep["undecodable"] == ["000004_2020.txt"] and rep["n_rows"] == 4
    with pytest.raises(ValueError, match="more than one shard"):
        combine_shards([p20, p20], tmp_path / "dup.parquet")


def test_shards_are_deterministic(mdna, tmp_path):
    count_year(mdna, 2020, ALL, tmp_path / "a.parquet")
    count_year(mdna, 2020, ALL, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_decode_order():
    assert decode_report("数据".encode()) == ("数据", "utf-8")
    assert decode_report("数据".encode("gb18030")) == ("数据", "gb18030")
    assert decode_report(b"\xef\xbb\xbf" + "数据".encode()) == ("数据", "utf-8-sig")
    assert decode_report(b"\x81") is None


def test_backends_agree_on_generated_reports():
    """The vectorised trie and per-dictionary pyahocorasick automata give identical rows."""
    dicts = {k: load_dictionary(v) for k, v in ALL.items()}
    trie, aho = TextCounter(dicts, backend="trie"), TextCounter(dicts, backend="ahocorasick")
    terms = [t for d in dicts.values() for g in d.groups for t in g.terms]
    filler = ["公司", "推进", "不断", "没有", "尚未", "无锡", "。", "，", "数据", "平台", "互联网", "智能", "无人"]
    filler.append("\n")
    rng = random.Random(3)
    for _ in range(50):
        text = "".join(rng.choice(terms) if rng.random() < 0.3 else rng.choice(filler) for _ in range(300))
        assert trie.count(text) == aho.count(text)


def test_clashing_columns_raise():
    d = load_dictionary(DICTS / "coinnov_data.yaml")
    with pytest.raises(ValueError, match="clashing column names"):
        TextCounter({"ci_data": d, "ci_data2": d})


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xef\xbb\xbf", b" \r\n\t\n", "\u3000\u3000\n".encode(), b"\xef\xbb\xbf  \n", "\ufeff\n".encode("gb18030")],
    ids=["zero-bytes", "bom-only", "ascii-whitespace", "ideographic-spaces", "bom-and-whitespace", "gb18030-bom"],
)
def test_empty_report_is_missing_not_zero(tmp_path, payload, caplog):
    d = tmp_path / "mdna"
    d.mkdir()
    (d / "000001_2020.txt").write_text("推进人工智能", encoding="utf-8")
    (d / "000002_2020.txt").write_bytes(payload)
    with caplog.at_level(logging.WARNING, logger="srdi.text"):
        df = count_year(d, 2020, ALL, tmp_path / "2020.parquet")
    assert df["stkcd"].tolist() == ["000001"]  # no row: a later merge gives NaN, as for a missing report
    panel = pd.DataFrame({"stkcd": ["000001", "000002"], "year": [2020, 2020]})
    merged = panel.merge(df, on=["stkcd", "year"], how="left").set_index("stkcd")
    assert merged.loc["000001", "digital"] == pytest.approx(math.log(2))
    assert pd.isna(merged.loc["000002", "digital"]) and pd.isna(merged.loc["000002", "dt_total"])
    rep = df.attrs[REPORT_ATTR]
    assert rep["empty"] == ["000002_2020.txt"] and rep["n_files"] == 2 and rep["n_rows"] == 1
    assert any("000002_2020.txt" in m and "empty" in m and "missing" in m for m in caplog.messages)

"""Annual-report texts as PDF extraction leaves them, with planted keyword mentions in the MD&A section.

Each positive sentence carries exactly one mention (or two, in list sentences) and no negation cue; each
negated sentence carries one mention preceded by a cue; filler sentences and the other sections carry no
dictionary term at all (tests/test_demo_texts.py checks every template). So the planted counts in
truth_latent.parquet are exact for the whole report and for the MD&A section alike.

What makes the texts look real (docs/demo_dgp.md, "Texts"): the MD&A heading of the report's era (董事会报告
until 2015, 经营情况讨论与分析 until 2020, 管理层讨论与分析 since), a table of contents, lines wrapped at the page
width (so keywords are split across line breaks), a running header and a page number on every page,
full-width digits and letters in some reports, and keyword adoption that follows real timing (no 区块链 before
2016, no 工业互联网 nor 工业互联网平台 before 2015: ADOPTION). Lengths: `short` (the default demo, about 2,000
characters per report, so the default DAG stays fast) or `realistic` (an MD&A of 15,000-40,000 characters, as in
real reports).
"""

from __future__ import annotations

import bisect
import functools
import string
from typing import Any

import numpy as np

from srdi.demo import keywords as kw

POSITIVE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "dt": (
        "公司积极推进{kw}在生产制造环节的应用，提升了生产效率。",
        "报告期内，公司围绕{kw}开展了多项应用探索。",
        "公司将{kw}作为业务升级的重要方向，持续加大投入。",
        "依托{kw}，公司进一步提升了运营管理效率。",
        "公司在{kw}领域形成了一定的技术积累。",
        "公司持续完善{kw}相关能力建设，提升服务水平。",
        "报告期内，公司加快{kw}与主营业务的融合。",
    ),
    "ci_data": (
        "公司积极参与{kw}建设，推动上下游资源高效对接。",
        "报告期内，公司依托{kw}与合作伙伴实现了资源互补。",
        "公司通过{kw}降低了研发与检测成本。",
        "公司借助龙头企业的{kw}，缩短了新产品验证周期。",
    ),
    "ci_eco": (
        "公司与行业龙头企业深化{kw}，共同承担关键技术攻关任务。",
        "报告期内，公司积极探索{kw}模式，增强了创新能力。",
        "公司以{kw}为抓手，加快关键核心技术突破。",
        "公司参与组建的{kw}取得阶段性成果。",
    ),
}
LIST_TEMPLATE = "公司在{kw1}、{kw2}等方向加快布局，相关项目进展顺利。"

NEGATED_TEMPLATES: tuple[str, ...] = (
    "公司目前尚未开展{kw}相关业务。",
    "报告期内，公司暂无{kw}方面的投入。",
    "公司未涉及{kw}业务。",
    "截至报告期末，公司没有开展{kw}项目。",
    "公司主营业务不涉及{kw}。",
)

FILLER_TEMPLATES: tuple[str, ...] = (
    "{year}年，公司实现营业收入同比增长{pct}%，经营业绩保持稳定。",
    "公司所处行业为{industry}，行业竞争格局总体稳定。",
    "报告期内，公司持续优化产品结构，提升高附加值产品占比。",
    "公司高度重视安全生产和环境保护工作，全年未发生重大安全事故。",
    "未来，公司将继续聚焦主业，稳步推进各项经营计划。",
    "公司坚持以客户需求为导向，不断提升产品质量和服务水平。",
    "面对原材料价格波动，公司通过精益管理有效控制了成本。",
    "公司进一步完善内部控制体系，提高规范运作水平。",
    "报告期内，公司研发投入占营业收入的比例为{pct_small}%。",
    "公司积极拓展国内外市场，销售渠道覆盖全国主要地区。",
    "公司注重人才梯队建设，员工队伍结构持续优化。",
    "公司持续加强应收账款管理，经营活动现金流量保持良好。",
    "受宏观经济环境影响，行业需求出现一定波动。",
    "公司产品广泛应用于{field}等领域。",
    "公司将坚持稳健经营，积极防范和化解各类经营风险。",
    "公司严格执行质量管理体系，产品合格率保持较高水平。",
    "公司通过了高新技术企业复审，享受相应的税收优惠政策。",
    "公司重视投资者关系管理，依法履行信息披露义务。",
    "报告期内，公司新增授权专利{n}项，知识产权储备进一步增强。",
    "公司主要原材料供应稳定，与主要供应商保持长期合作关系。",
    "报告期内，公司毛利率较上年有所变化，主要受产品结构调整影响。",
    "公司持续推进降本增效，期间费用率保持在合理区间。",
    "公司生产基地建设项目按计划推进，新增产能逐步释放。",
    "报告期内，公司加强了对子公司的管理和考核。",
    "公司始终坚持技术创新驱动发展，核心技术团队保持稳定。",
    "行业政策环境总体向好，为公司发展提供了良好机遇。",
    "公司在细分市场具有较高的品牌知名度和客户认可度。",
    "公司将进一步加强成本控制，提升整体盈利能力。",
    "报告期内，公司完成了年度经营目标的主要任务。",
    "公司积极履行社会责任，实现经济效益与社会效益相统一。",
    "公司销售费用同比增长{pct}%，主要系市场推广投入增加所致。",
    "公司管理费用同比下降{pct_small}%，主要系管理效率提升所致。",
    "公司订单储备充足，为下一年度业绩增长奠定了基础。",
    "公司面临的主要风险包括市场竞争加剧风险和原材料价格波动风险。",
    "公司将根据市场变化及时调整经营策略，保持可持续发展。",
    "公司新产品开发进展顺利，部分产品已实现批量供货。",
    "报告期内，公司海外业务收入占比为{pct_small}%。",
    "公司持续完善薪酬激励机制，激发员工积极性。",
)
# The placeholders of each filler template (most have none: they need no formatting).
_FILLER_FIELDS: tuple[tuple[str, ...], ...] = tuple(
    tuple(f for _, f, _, _ in string.Formatter().parse(t) if f) for t in FILLER_TEMPLATES)
SECTION_HEADERS: tuple[str, ...] = (
    "一、报告期内公司所处行业情况",
    "二、报告期内公司从事的主要业务",
    "三、核心竞争力分析",
    "四、主营业务分析",
    "五、公司发展战略与经营计划",  # no negation character: repair joins a heading to its first sentence
)
FIELDS: tuple[str, ...] = (
    "汽车、家电", "通信设备、消费电子", "医疗器械、生物医药", "轨道交通、航空航天", "新能源、电力设备",
    "建筑建材、基础设施", "食品饮料、日用消费品", "石油化工、冶金", "纺织服装、家居用品",
)

# Common keywords get more weight so texts look like real reports; every term stays possible.
_BOOST = {"人工智能": 4, "机器学习": 2, "大数据": 5, "数据挖掘": 2, "云计算": 5, "物联网": 4, "区块链": 4,
          "电子商务": 4, "工业互联网": 3, "移动互联网": 3, "互联网金融": 2, "数字营销": 2}


# First report year in which a term is used (modelled on the terms' spread in Chinese annual reports: 大数据
# from 2012, 互联网金融 2013, 工业互联网 2015, 区块链 / 金融科技 2016, 数据中台 2018, 数据要素 2020 ...).
ADOPTION: dict[str, int] = {
    "机器学习": 2013, "深度学习": 2014, "人脸识别": 2014, "自动驾驶": 2014, "自然语言处理": 2013,
    "大数据": 2012, "数据可视化": 2013, "增强现实": 2014, "混合现实": 2016, "虚拟现实": 2014,
    "流计算": 2016, "图计算": 2016, "多方安全计算": 2017, "类脑计算": 2016, "认知计算": 2015, "融合架构": 2015,
    "亿级并发": 2016, "EB级存储": 2016, "区块链": 2016, "数字货币": 2016, "差分隐私技术": 2017,
    "智能金融合约": 2017, "工业互联网": 2015, "互联网医疗": 2014, "O2O": 2013, "网联": 2014, "智能穿戴": 2013,
    "智慧农业": 2013, "智能投顾": 2016, "智能文旅": 2019, "无人零售": 2017, "互联网金融": 2013, "数字金融": 2015,
    "Fintech": 2016, "金融科技": 2016, "量化金融": 2014, "开放银行": 2018,
    "数据中台": 2018, "共享制造": 2017, "数据要素": 2020, "算力共享": 2020, "大中小企业融通": 2018,
    "融通创新": 2018, "创新联合体": 2019,
}


def _weights(terms: tuple[str, ...], year: int = 9999, boost: bool = True) -> np.ndarray:
    """Sampling weights of `terms` in `year`: terms not yet adopted get 0 (every list keeps an early term)."""
    w = np.array([(_BOOST.get(t, 1) if boost else 1) * (ADOPTION.get(t, 0) <= year) for t in terms], dtype=float)
    return w / w.sum()


def _cum(weights: np.ndarray) -> list[float]:
    return np.cumsum(weights).tolist()


_DATA_OTHER = tuple(t for t in kw.CI_DATA_TERMS if t != kw.OVERLAP_TERM)


@functools.cache
def _year_cums(year: int) -> dict[str, Any]:
    """Cumulative sampling weights of every term list for one report year."""
    return {
        "groups": [_cum(_weights(terms, year)) for _, terms in kw.DT_GROUPS],
        "data": _cum(_weights(_DATA_OTHER, year, boost=False)),
        "eco": _cum(_weights(kw.CI_ECO_TERMS, year)),
        "eco_flat": _cum(_weights(kw.CI_ECO_TERMS, year, boost=False)),
        "dt": _cum(_weights(kw.DT_TERMS, year)),
    }


class _Uniforms:
    """One block of uniforms drawn per document (as Python floats): one generator call per text."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.u: list[float] = rng.random(size).tolist()
        self.pos = 0

    def take(self, k: int) -> list[float]:
        out = self.u[self.pos:self.pos + k]
        self.pos += k
        if self.pos > len(self.u):
            raise IndexError("uniform pool exhausted")
        return out

    def one(self) -> float:
        self.pos += 1
        return self.u[self.pos - 1]

    def index(self, n: int) -> int:
        return min(int(self.one() * n), n - 1)

    def order(self, n: int) -> list[int]:
        """A random permutation of range(n)."""
        keys = self.take(n)
        return sorted(range(n), key=keys.__getitem__)


def _pick(u: _Uniforms, terms: tuple[str, ...], cum: list[float], k: int) -> list[str]:
    last = len(terms) - 1
    return [terms[min(bisect.bisect_right(cum, x), last)] for x in u.take(max(k, 0))]


def _has_cue(term: str) -> bool:
    return any(c in term for c in kw.NEGATION_CUES)


def _sentences(u: _Uniforms, counts: dict[str, int], year: int, industry: str, n_fill: int) -> list[str]:
    """The planted sentences plus `n_fill` filler sentences, shuffled."""
    cums = _year_cums(year)
    sentences: list[str] = []
    dt_terms: list[str] = []
    # 工业互联网平台 counts once for ci_data and once for DT (its 工业互联网). Before 工业互联网 is in use, the pair
    # of mentions is planted as two: another application term and another ci_data term (same counts).
    overlap = year >= ADOPTION[kw.OVERLAP_DT_TERM]
    app = kw.DT_GROUP_LABELS.index("application")
    for g, (_, terms) in enumerate(kw.DT_GROUPS):
        k = counts[f"n_dt_pos_{kw.DT_GROUP_LABELS[g]}"]
        if g == app and overlap:
            k -= counts["n_data_pos_overlap"]
        dt_terms += _pick(u, terms, cums["groups"][g], k)
    dt_terms = [dt_terms[i] for i in u.order(len(dt_terms))]
    pos = 0
    dt_tpl = POSITIVE_TEMPLATES["dt"]
    while pos < len(dt_terms):
        t1 = dt_terms[pos]
        if pos + 1 < len(dt_terms) and u.one() < 0.25 and not _has_cue(t1 + dt_terms[pos + 1]):
            sentences.append(LIST_TEMPLATE.format(kw1=t1, kw2=dt_terms[pos + 1]))
            pos += 2
            continue
        sentences.append(dt_tpl[u.index(len(dt_tpl))].format(kw=t1))
        pos += 1
    n_pos_ov, n_neg_ov = (counts["n_data_pos_overlap"], counts["n_data_neg_overlap"]) if overlap else (0, 0)
    data_terms = [kw.OVERLAP_TERM] * n_pos_ov + _pick(u, _DATA_OTHER, cums["data"], counts["n_data_pos"] - n_pos_ov)
    eco_terms = _pick(u, kw.CI_ECO_TERMS, cums["eco"], counts["n_eco_pos"])
    for kind, terms in (("ci_data", data_terms), ("ci_eco", eco_terms)):
        tpl = POSITIVE_TEMPLATES[kind]
        sentences += [tpl[u.index(len(tpl))].format(kw=t) for t in terms]
    negated = (
        _pick(u, kw.DT_TERMS, cums["dt"], counts["n_dt_neg_plain"])
        + _pick(u, kw.DT_GROUPS[app][1], cums["groups"][app], counts["n_data_neg_overlap"] - n_neg_ov)
        + [kw.OVERLAP_TERM] * n_neg_ov
        + _pick(u, _DATA_OTHER, cums["data"], counts["n_data_neg"] - n_neg_ov)
        + _pick(u, kw.CI_ECO_TERMS, cums["eco_flat"], counts["n_eco_neg"])
    )
    sentences += [NEGATED_TEMPLATES[u.index(len(NEGATED_TEMPLATES))].format(kw=t) for t in negated]
    n_tpl = len(FILLER_TEMPLATES)
    n_fields = len(FIELDS)
    uu = u.u
    for rep in range(0, n_fill, n_tpl):
        for i in u.order(n_tpl)[:min(n_tpl, n_fill - rep)]:
            p = u.pos
            u.pos = p + 4
            if u.pos > len(uu):
                raise IndexError("uniform pool exhausted")
            used = _FILLER_FIELDS[i]
            if not used:
                sentences.append(FILLER_TEMPLATES[i])
                continue
            v1, v2, v3, v4 = uu[p:p + 4]
            values = {}
            for name in used:  # only the fields the template has: str.format ignores the others
                if name == "year":
                    values[name] = year
                elif name == "industry":
                    values[name] = industry
                elif name == "pct":
                    values[name] = f"{1 + 29 * v1:.2f}"
                elif name == "pct_small":
                    values[name] = f"{0.5 + 8.5 * v2:.2f}"
                elif name == "field":
                    values[name] = FIELDS[min(int(v3 * n_fields), n_fields - 1)]
                else:
                    values[name] = 3 + int(v4 * 77)
            sentences.append(FILLER_TEMPLATES[i].format_map(values))
    return [sentences[i] for i in u.order(len(sentences))]


def mdna_heading(year: int) -> str:
    """The MD&A section heading of the report's era (CSRC format No. 2: revisions 2016 and 2021)."""
    if year <= 2015:
        return "第四节 董事会报告"
    return "第四节 经营情况讨论与分析" if year <= 2020 else "第三节 管理层讨论与分析"


LENGTHS = ("short", "realistic")
MDNA_CHARS = (15_000, 40_000)  # realistic MD&A length range, characters
_FILL_CHARS = 27  # mean characters of a filler sentence


def render_mdna(rng: np.random.Generator, counts: dict[str, int], year: int, industry: str,
                length: str = "short") -> str:
    """One MD&A section under its era's heading, as clean lines (one paragraph per line)."""
    if length not in LENGTHS:
        raise ValueError(f"demo text length must be one of {list(LENGTHS)}, got {length!r}")
    n_mentions = sum(counts.values())
    if length == "short":
        u0 = _Uniforms(rng, 1)
        n_fill = 26 + min(int(u0.one() * 13), 12)
    else:
        n_fill = int(rng.uniform(*MDNA_CHARS) / _FILL_CHARS)
    u = _Uniforms(rng, 8 * n_mentions + 8 * n_fill + 400)
    body = _sentences(u, counts, year, industry, n_fill)
    # Five sections: four distinct cut points among the sentence boundaries.
    cuts = sorted(1 + i for i in u.order(len(body) - 1)[:4])
    bounds = [0, *cuts, len(body)]
    lines = [mdna_heading(year)]
    if year <= 2015:
        lines.append("一、管理层讨论与分析")
    for h in range(len(bounds) - 1):
        lines.append(SECTION_HEADERS[h])
        chunk = body[bounds[h]:bounds[h + 1]]
        for s in range(0, len(chunk), 4):
            lines.append("　　" + "".join(chunk[s:s + 4]))
    return "\n".join(lines) + "\n"


# The other sections of an annual report: no dictionary term, no negation cue before one.
FRONT = (
    "第一节 重要提示、目录和释义",
    "　　本公司董事会、监事会及董事、监事、高级管理人员保证年度报告内容的真实、准确、完整。",
    "　　公司负责人、主管会计工作负责人及会计机构负责人声明：保证年度报告中财务报告的真实、准确、完整。",
    "目录",
)
PROFILE = (
    "第二节 公司简介和主要财务指标",
    "　　公司的中文名称为{firm}，所属行业为{industry}。",
    "　　公司注册地址与办公地址未发生变更，信息披露媒体为中国证券报、上海证券报。",
    "　　公司聘请的会计师事务所对本年度财务报告出具了标准无保留意见的审计报告。",
)
MATTERS = (
    "第{n}节 重要事项",
    "　　报告期内，公司未发生重大诉讼、仲裁事项，公司及控股股东诚信状况良好。",
    "　　报告期内，公司严格按照相关规定履行关联交易审议程序，交易价格公允。",
    "第{n2}节 财务报告",
    "　　审计意见：我们审计了{firm}财务报表，包括{year}年12月31日的合并资产负债表。",
)


def render_report(rng: np.random.Generator, counts: dict[str, int], year: int, industry: str, firm: str,
                  length: str = "short") -> str:
    """The whole annual report as clean lines: front matter with a table of contents, company profile, the
    MD&A (planted mentions), other matters and the start of the financial report."""
    mdna = render_mdna(rng, counts, year, industry, length)
    after = "四" if year > 2020 else "五"  # the section after the MD&A
    toc = [f"{h}{'.' * 12}{p}" for h, p in ((FRONT[0], 2), (PROFILE[0], 6), (mdna_heading(year), 10),
                                            (MATTERS[0].format(n=after), 30))]
    lines = [f"{firm}{year}年年度报告", *FRONT, *toc, *(x.format(firm=firm, industry=industry) for x in PROFILE),
             mdna.rstrip("\n"), *(x.format(n=after, n2="十", firm=firm, year=year) for x in MATTERS)]
    return "\n".join(lines) + "\n"


_TO_FULL = {c: c + 0xFEE0 for c in (*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B))}  # 0-9 A-Z a-z
PAGE_LINES = 38  # text lines per PDF page


def pdf_debris(rng: np.random.Generator, text: str, firm: str, year: int, full_width: bool) -> str:
    """The text as PDF extraction leaves it: lines wrapped at 36-44 characters, a running header and a page
    number on every page (also in mid-sentence), and, if `full_width`, full-width digits and Latin letters."""
    width = int(rng.integers(36, 45))
    out: list[str] = []
    for para in text.split("\n"):
        out += [para[i:i + width] for i in range(0, len(para), width)] or [""]
    pages = [out[i:i + PAGE_LINES] for i in range(0, len(out), PAGE_LINES)]
    header = f"{firm} {year} 年年度报告全文"
    total = len(pages)
    lines: list[str] = []
    for k, page in enumerate(pages, start=1):
        lines += [header, *page, f"{k} / {total}"]
    result = "\n".join(lines) + "\n"
    return result.translate(_TO_FULL) if full_width else result


ENGLISH = (
    "Management Discussion and Analysis",
    "In {year}, the Company achieved stable growth in operating revenue and kept its main business focused.",
    "The Company continued to improve product quality, cost control and customer service.",
    "The Company will keep a prudent operating policy and manage market and raw-material price risks.",
)
# Versions besides the full Chinese report (modelled rates; docs/demo_dgp.md, "Texts").
SUMMARY_SHARE = 0.5  # a 摘要 (summary) file next to the full report
CORRECTED_SHARE = 0.04  # the first full report was corrected (更正后) and both are in the export
ENGLISH_SHARE = 0.08  # an English version
FULL_WIDTH_SHARE = 0.25  # reports whose digits and Latin letters came out full-width
ERRATUM = "公司积极推进大数据在生产制造环节的应用，提升了生产效率。"  # the line a correction removed


def report_versions(rng: np.random.Generator, counts: dict[str, int], year: int, industry: str, firm: str,
                    length: str = "short") -> dict[str, str]:
    """File-name tag -> text of every version of one firm-year (tag '' is the full report). Only the full
    Chinese report, or its correction when there is one, carries exactly the planted counts."""
    clean = render_report(rng, counts, year, industry, firm, length)
    u = rng.random(5)
    debris = lambda text: pdf_debris(rng, text, firm, year, bool(u[4] < FULL_WIDTH_SHARE))  # noqa: E731
    out: dict[str, str] = {}
    if u[1] < CORRECTED_SHARE:
        heading = mdna_heading(year)
        out[""] = debris(clean.replace(heading + "\n", heading + "\n　　" + ERRATUM + "\n", 1))
        out[f"更正后_{year + 1}-06-{10 + int(u[2] * 19):02d}"] = debris(clean)
    else:
        out[""] = debris(clean)
    if u[0] < SUMMARY_SHARE:
        lines = clean.split("\n")
        out["摘要"] = debris("\n".join([f"{firm}{year}年年度报告摘要", *lines[1:len(lines) // 4]]) + "\n")
    if u[3] < ENGLISH_SHARE:
        out["英文版"] = debris("\n".join(x.format(year=year) for x in ENGLISH) + "\n")
    return out

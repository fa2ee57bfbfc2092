"""MD&A texts (管理层讨论与分析) assembled from sentence templates with planted keyword mentions.

Each positive sentence carries exactly one mention (or two, in list sentences) and no negation cue; each
negated sentence carries one mention preceded by a cue; filler sentences carry no dictionary term at all
(tests/test_demo_texts.py checks every template). So the planted counts in truth_latent.parquet are exact.
"""

from __future__ import annotations

import bisect

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
SECTION_HEADERS: tuple[str, ...] = (
    "一、报告期内公司所处行业情况",
    "二、报告期内公司从事的主要业务",
    "三、核心竞争力分析",
    "四、主营业务分析",
    "五、公司未来发展的展望",
)
FIELDS: tuple[str, ...] = (
    "汽车、家电", "通信设备、消费电子", "医疗器械、生物医药", "轨道交通、航空航天", "新能源、电力设备",
    "建筑建材、基础设施", "食品饮料、日用消费品", "石油化工、冶金", "纺织服装、家居用品",
)

# Common keywords get more weight so texts look like real reports; every term stays possible.
_BOOST = {"人工智能": 4, "机器学习": 2, "大数据": 5, "数据挖掘": 2, "云计算": 5, "物联网": 4, "区块链": 4,
          "电子商务": 4, "工业互联网": 3, "移动互联网": 3, "互联网金融": 2, "数字营销": 2}


def _weights(terms: tuple[str, ...]) -> np.ndarray:
    w = np.array([_BOOST.get(t, 1) for t in terms], dtype=float)
    return w / w.sum()


def _cum(weights: np.ndarray) -> list[float]:
    return np.cumsum(weights).tolist()


_GROUP_CUM = [_cum(_weights(terms)) for _, terms in kw.DT_GROUPS]
_DATA_OTHER = tuple(t for t in kw.CI_DATA_TERMS if t != kw.OVERLAP_TERM)
_DATA_CUM = _cum(np.full(len(_DATA_OTHER), 1.0 / len(_DATA_OTHER)))
_ECO_CUM = _cum(_weights(kw.CI_ECO_TERMS))
_ECO_FLAT = _cum(np.full(len(kw.CI_ECO_TERMS), 1.0 / len(kw.CI_ECO_TERMS)))
_DT_CUM = _cum(_weights(kw.DT_TERMS))


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


def render_mdna(rng: np.random.Generator, counts: dict[str, int], year: int, industry: str) -> str:
    """One MD&A section; `counts` holds the planted counts per kind (see dgp.py names)."""
    n_mentions = sum(counts.values())
    u = _Uniforms(rng, 6 * n_mentions + 400)
    sentences: list[str] = []
    dt_terms: list[str] = []
    for g, (_, terms) in enumerate(kw.DT_GROUPS):
        k = counts[f"n_dt_pos_{kw.DT_GROUP_LABELS[g]}"]
        if kw.DT_GROUP_LABELS[g] == "application":
            k -= counts["n_data_pos_overlap"]
        dt_terms += _pick(u, terms, _GROUP_CUM[g], k)
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
    data_terms = [kw.OVERLAP_TERM] * counts["n_data_pos_overlap"] + _pick(
        u, _DATA_OTHER, _DATA_CUM, counts["n_data_pos"] - counts["n_data_pos_overlap"])
    eco_terms = _pick(u, kw.CI_ECO_TERMS, _ECO_CUM, counts["n_eco_pos"])
    for kind, terms in (("ci_data", data_terms), ("ci_eco", eco_terms)):
        tpl = POSITIVE_TEMPLATES[kind]
        sentences += [tpl[u.index(len(tpl))].format(kw=t) for t in terms]
    negated = (
        _pick(u, kw.DT_TERMS, _DT_CUM, counts["n_dt_neg_plain"])
        + [kw.OVERLAP_TERM] * counts["n_data_neg_overlap"]
        + _pick(u, _DATA_OTHER, _DATA_CUM, counts["n_data_neg"] - counts["n_data_neg_overlap"])
        + _pick(u, kw.CI_ECO_TERMS, _ECO_FLAT, counts["n_eco_neg"])
    )
    sentences += [NEGATED_TEMPLATES[u.index(len(NEGATED_TEMPLATES))].format(kw=t) for t in negated]

    n_fill = 26 + u.index(13)
    for i in u.order(len(FILLER_TEMPLATES))[:n_fill]:
        v1, v2, v3, v4 = u.take(4)
        sentences.append(FILLER_TEMPLATES[i].format(
            year=year, industry=industry, pct=f"{1 + 29 * v1:.2f}", pct_small=f"{0.5 + 8.5 * v2:.2f}",
            field=FIELDS[min(int(v3 * len(FIELDS)), len(FIELDS) - 1)], n=3 + int(v4 * 77),
        ))
    body = [sentences[i] for i in u.order(len(sentences))]
    # Five sections: four distinct cut points among the sentence boundaries.
    cuts = sorted(1 + i for i in u.order(len(body) - 1)[:4])
    bounds = [0, *cuts, len(body)]
    lines = ["第三节 管理层讨论与分析"]
    for h in range(len(bounds) - 1):
        lines.append(SECTION_HEADERS[h])
        chunk = body[bounds[h]:bounds[h + 1]]
        for s in range(0, len(chunk), 4):
            lines.append("　　" + "".join(chunk[s:s + 4]))
    return "\n".join(lines) + "\n"

"""Dictionaries planted in the demo MD&A texts and the negation cues that cancel a mention.

The DT dictionary is Wu Fei et al. (2021, 管理世界) in its five groups; ci_data and ci_eco are the
co-innovation term lists of this project. Each dictionary is matched separately, non-overlapping,
longest match first (docs/demo_dgp.md, "Counting rule").
"""

from __future__ import annotations

DT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("人工智能技术", (
        "人工智能", "商业智能", "图像理解", "投资决策辅助系统", "智能数据分析", "智能机器人", "机器学习",
        "深度学习", "语义搜索", "生物识别技术", "人脸识别", "语音识别", "身份验证", "自动驾驶", "自然语言处理",
    )),
    ("大数据技术", (
        "大数据", "数据挖掘", "文本挖掘", "数据可视化", "异构数据", "征信", "增强现实", "混合现实", "虚拟现实",
    )),
    ("云计算技术", (
        "云计算", "流计算", "图计算", "内存计算", "多方安全计算", "类脑计算", "绿色计算", "认知计算", "融合架构",
        "亿级并发", "EB级存储", "物联网", "信息物理系统",
    )),
    ("区块链技术", ("区块链", "数字货币", "分布式计算", "差分隐私技术", "智能金融合约")),
    ("数字技术运用", (
        "移动互联网", "工业互联网", "移动互联", "互联网医疗", "电子商务", "移动支付", "第三方支付", "NFC支付",
        "智能能源", "B2B", "B2C", "C2B", "C2C", "O2O", "网联", "智能穿戴", "智慧农业", "智能交通", "智能医疗",
        "智能客服", "智能家居", "智能投顾", "智能文旅", "智能环保", "智能电网", "智能营销", "数字营销", "无人零售",
        "互联网金融", "数字金融", "Fintech", "金融科技", "量化金融", "开放银行",
    )),
)

# Group ids of data/dictionaries/digital_wu2021.yaml (truth_latent.parquet column suffixes).
DT_GROUP_LABELS: tuple[str, ...] = ("ai", "bigdata", "cloud", "blockchain", "application")

DT_TERMS: tuple[str, ...] = tuple(term for _, terms in DT_GROUPS for term in terms)

# Data-resource integration (H2b), as data/dictionaries/coinnov_data.yaml. 工业互联网平台 contains the DT term
# 工业互联网 on purpose.
CI_DATA_TERMS: tuple[str, ...] = (
    "工业互联网平台", "数据共享", "开放平台", "共享实验室", "中试平台", "数据中台", "共享制造", "数据开放",
    "资源共享平台", "共性技术平台", "数据互通", "信息共享平台", "共享数据", "数据要素", "算力共享", "供应链协同平台",
)
# The ci_data term that also yields one DT mention (工业互联网, group 数字技术运用).
OVERLAP_TERM = "工业互联网平台"
OVERLAP_DT_TERM = "工业互联网"

# Co-innovation ecosystem (H2d), as data/dictionaries/coinnov_eco.yaml.
CI_ECO_TERMS: tuple[str, ...] = (
    "创新联合体", "产学研", "协同创新", "联合研发", "合作研发", "产业联盟", "风险共担", "供应链金融", "联合攻关",
    "创新生态", "大中小企业融通", "融通创新", "产业链协同", "技术联盟", "创新平台共建", "利益共享",
)

DICTIONARIES: dict[str, tuple[str, ...]] = {"dt": DT_TERMS, "ci_data": CI_DATA_TERMS, "ci_eco": CI_ECO_TERMS}

# A mention is negated when one of these occurs before it in the same sentence (delimiters below).
NEGATION_CUES: tuple[str, ...] = ("尚未", "暂无", "未", "没有", "不", "无", "缺乏", "缺少")
SENTENCE_DELIMITERS: str = "。！？；\n"

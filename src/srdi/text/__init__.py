"""Annual-report (MD&A) text measures: keyword counts of digital transformation and co-innovation.

Rules call `count_year` (one parquet shard per report year, run in parallel) and `combine_shards`.
"""

from srdi.text.counts import REPORT_ATTR, TextCounter, combine_shards, count_year
from srdi.text.decode import Decoded, decode_report, read_report
from srdi.text.dictionary import Dictionary, Group, fold_ascii, load_dictionary
from srdi.text.matcher import Matcher, select_longest_leftmost
from srdi.text.negation import NegationRule
from srdi.text.scan import TrieScanner

__all__ = [
    "REPORT_ATTR",
    "Decoded",
    "Dictionary",
    "Group",
    "Matcher",
    "NegationRule",
    "TextCounter",
    "TrieScanner",
    "combine_shards",
    "count_year",
    "decode_report",
    "fold_ascii",
    "load_dictionary",
    "read_report",
    "select_longest_leftmost",
]

"""Annual-report (MD&A) text measures: keyword counts of digital transformation and co-innovation.

Rules call `count_years` (one parquet shard per text job, a set of years; jobs run in parallel) and
`combine_shards`. Texts are repaired (srdi.text.repair) and one version per firm-year chosen (srdi.text.versions).
"""

from srdi.text.counts import REPORT_ATTR, TextCounter, combine_shards, count_year, count_years
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
    "count_years",
    "decode_report",
    "fold_ascii",
    "load_dictionary",
    "read_report",
    "select_longest_leftmost",
]

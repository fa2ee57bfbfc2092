"""The demo's overlap term 工业互联网平台 follows the adoption timing of 工业互联网 (2015) like every other term,
while the planted counts stay exact (the pair of mentions is planted as two other terms before 2015)."""

import numpy as np

from srdi.demo import keywords as kw
from srdi.demo import texts

COUNTS = {"n_dt_pos_ai": 1, "n_dt_pos_bigdata": 1, "n_dt_pos_cloud": 1, "n_dt_pos_blockchain": 1,
          "n_dt_pos_application": 3, "n_data_pos": 3, "n_data_pos_overlap": 2, "n_eco_pos": 1,
          "n_dt_neg_plain": 1, "n_data_neg": 2, "n_data_neg_overlap": 1, "n_eco_neg": 1}


def test_no_industrial_internet_platform_before_2015():
    for year, present in ((2012, False), (2014, False), (2015, True), (2020, True)):
        found = [kw.OVERLAP_DT_TERM in texts.render_mdna(np.random.default_rng(i), COUNTS, year, "制造业")
                 for i in range(20)]
        assert all(found) if present else not any(found), year


def test_counts_stay_exact_before_2015():
    from pathlib import Path

    from srdi.text import TextCounter, load_dictionary

    d = Path(__file__).resolve().parents[1] / "data" / "dictionaries"
    counter = TextCounter({k: load_dictionary(d / f) for k, f in (("digital", "digital_wu2021.yaml"),
                                                                   ("ci_data", "coinnov_data.yaml"),
                                                                   ("ci_eco", "coinnov_eco.yaml"))})
    for year in (2013, 2019):
        for i in range(10):
            c = counter.count(texts.render_mdna(np.random.default_rng(i), COUNTS, year, "制造业"))
            assert (c["dt_total"], c["dt_neg"], c["dt_application"]) == (7, 2, 3)
            assert (c["ci_data_total"], c["ci_data_neg"], c["ci_eco_total"], c["ci_eco_neg"]) == (3, 2, 1, 1)

"""A placebo test as rows of a model's estimates file: the summary row (real estimate, two-sided share of placebo
estimates at least as large in absolute value, draws) and one row per draw for the density figure."""

from __future__ import annotations

import pandas as pd

from srdi.models.did.placebo import PlaceboResult


def placebo_rows(res: PlaceboResult, applies_to: str) -> pd.DataFrame:
    row = res.table.iloc[0]
    term = f"placebo_{res.design}"
    note = f"mean {row['draws_mean']:.6g}; sd {row['draws_sd']:.6g}; seed {row['seed']}; permuted {res.term}"
    summary = pd.DataFrame([{"equation": "placebo", "term": term, "estimate": row["estimate"],
                             "p_value": row["p_two_sided"], "reps": int(row["n_draws"]), "applies_to": applies_to,
                             "note": note, "method": res.design}])
    draws = pd.DataFrame({"equation": "placebo_draw", "term": term, "estimate": res.draws, "method": res.design})
    return pd.concat([summary, draws], ignore_index=True)

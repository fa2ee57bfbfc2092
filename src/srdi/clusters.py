"""The few-clusters threshold, in a module of its own so that the report step reads it without importing the
estimation engine."""

from __future__ import annotations

# Below this many clusters the cluster-robust sandwich is biased towards zero and t(G-1) inference over-rejects
# (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference", J. Human Resources 50(2); MacKinnon,
# Nielsen & Webb 2023 put the comfortable range at about 50 balanced clusters): the estimate step logs a warning and
# the regression tables add a note pointing to the wild cluster bootstrap. One threshold for every kind and table
# (issue 10 raised it from 30 to 50; a clustering by industry, 35 here, or province, 31, is flagged).
MIN_CLUSTERS = 50

"""The few-clusters threshold, in a module of its own so that the report step reads it without importing the
estimation engine."""

from __future__ import annotations

# Below this many clusters the cluster-robust sandwich is biased towards zero and t(G-1) inference over-rejects
# (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference", J. Human Resources 50(2)): the
# estimate step logs a warning and the regression tables add a note. One threshold for every kind and table.
MIN_CLUSTERS = 30

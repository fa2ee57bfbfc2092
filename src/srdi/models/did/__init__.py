"""Staggered difference-in-differences engines (heterogeneity-robust estimators) and cohort helpers."""

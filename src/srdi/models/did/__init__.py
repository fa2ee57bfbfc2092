"""Staggered difference-in-differences engines (heterogeneity-robust estimators) and cohort helpers."""

from srdi.models.did.callaway_santanna import CallawaySantAnnaResult, callaway_santanna
from srdi.models.did.cohorts import Cohorts, cohorts_from_treatment, validate_first_treat
from srdi.models.did.cs_inference import WaldTest

__all__ = [
    "CallawaySantAnnaResult",
    "Cohorts",
    "WaldTest",
    "callaway_santanna",
    "cohorts_from_treatment",
    "validate_first_treat",
]

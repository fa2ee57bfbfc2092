"""Staggered difference-in-differences engines (heterogeneity-robust estimators) and cohort helpers."""

from srdi.models.did._regdid import DidResult, PretrendTest
from srdi.models.did.bacon import BaconDecomposition, bacon_decomposition
from srdi.models.did.callaway_santanna import CallawaySantAnnaResult, callaway_santanna
from srdi.models.did.cohorts import Cohorts, cohorts_from_treatment, validate_first_treat
from srdi.models.did.cs_inference import WaldTest
from srdi.models.did.event_study import sun_abraham, twfe_event_study, twfe_static
from srdi.models.did.imputation import imputation

__all__ = [
    "BaconDecomposition",
    "CallawaySantAnnaResult",
    "Cohorts",
    "DidResult",
    "PretrendTest",
    "WaldTest",
    "bacon_decomposition",
    "callaway_santanna",
    "cohorts_from_treatment",
    "imputation",
    "sun_abraham",
    "twfe_event_study",
    "twfe_static",
    "validate_first_treat",
]

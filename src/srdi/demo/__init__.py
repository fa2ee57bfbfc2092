"""Synthetic demo raw data (CSMAR / CNRDS / annual-report shapes) from a documented DGP with known truth."""

from typing import Any

__all__ = ["generate_demo", "simulate_latent"]


def __getattr__(name: str) -> Any:
    """generate_demo and simulate_latent, imported on first use: the listing step (srdi.demo.parts) and the
    workflow's input functions need none of the generator's modules (pandas, openpyxl, the partner rules)."""
    if name in __all__:
        from srdi.demo import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'srdi.demo' has no attribute {name!r}")

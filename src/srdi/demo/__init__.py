"""Synthetic demo raw data (CSMAR / CNRDS / annual-report shapes) from a documented DGP with known truth."""

from srdi.demo.generate import generate_demo, simulate_latent

__all__ = ["generate_demo", "simulate_latent"]

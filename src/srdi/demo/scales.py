"""Size presets of the demo: tiny for tests, default for the demo run, large for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    n_firms: int
    first_year: int
    last_year: int

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 80, 2015, 2023),
    "small": Scale("small", 400, 2013, 2023),
    "default": Scale("default", 3000, 2011, 2023),
    "large": Scale("large", 20000, 2011, 2023),
}

# Burn-in years simulated before first_year so that lags of lags exist; never written.
BURN_IN = 2


def get_scale(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown demo scale {scale!r}; choose one of {sorted(SCALES)}") from None

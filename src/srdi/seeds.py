"""Seeds of the random steps, all derived from the one master seed of config.yaml."""

from __future__ import annotations

import hashlib


def derive_seed(master: int, label: str) -> int:
    """A step's own seed from the master seed and a stable label (e.g. the model name), so adding or
    renaming one model never changes another model's random draws."""
    digest = hashlib.sha256(f"{master}:{label}".encode()).hexdigest()
    return int(digest[:8], 16)

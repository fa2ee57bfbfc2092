"""Fonts of the figures: a CJK font for Chinese labels, found without OS packages.

The font ships in the `mplfonts` wheel (Noto Sans CJK SC, SIL OFL), so `make test` installs it with pip; Debian's
fonts-noto-cjk is the fallback. Without either, Chinese glyphs would render as empty boxes, so asking for
zh labels without a CJK font is an error rather than a silent defect.
"""

from __future__ import annotations

import functools
from pathlib import Path

from matplotlib import font_manager

SYSTEM_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
)
LATIN_FAMILY = "DejaVu Sans"


class FontNotFoundError(FileNotFoundError):
    """No CJK font is installed, so Chinese labels cannot be drawn."""


def cjk_font_path() -> Path | None:
    try:
        import mplfonts
    except ImportError:
        mplfonts = None
    if mplfonts is not None:
        bundled = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
        if bundled.exists():
            return bundled
    return next((Path(p) for p in SYSTEM_CANDIDATES if Path(p).exists()), None)


@functools.cache
def register_cjk_font() -> str:
    """Add the CJK font to matplotlib's font manager; return its family name."""
    path = cjk_font_path()
    if path is None:
        raise FontNotFoundError("no CJK font found: install the mplfonts package (pip) or Debian's fonts-noto-cjk")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def font_families(language: str) -> list[str]:
    """sans-serif fallback list: the CJK font first for zh (it also covers Latin), DejaVu for en."""
    if language == "zh":
        return [register_cjk_font(), LATIN_FAMILY]
    return [LATIN_FAMILY]

"""Fonts of the figures and the HTML report: a CJK font for Chinese labels, found without OS packages.

The font ships in the `mplfonts` wheel (Noto Sans CJK SC, SIL OFL), so `make test` installs it with pip; Debian's
fonts-noto-cjk is the fallback. Without either, Chinese glyphs would render as empty boxes, so asking for
zh labels without a CJK font is an error rather than a silent defect.

The report embeds the same font, cut down (fontTools) to the CJK characters the page shows, as a WOFF in an
@font-face rule: a reader whose machine has no CJK font (a fresh server, a minimal container) still sees Chinese.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from pathlib import Path

# fontTools logs every glyph name of every subset (matplotlib's PDF fonts, the report's CJK subset) at INFO: hundreds
# of long lines per job log, and the formatting cost CPU. Its warnings still show.
logging.getLogger("fontTools").setLevel(logging.WARNING)

SYSTEM_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
)
LATIN_FAMILY = "DejaVu Sans"
EMBEDDED_FAMILY = "srdi-cjk"  # the report's name for its embedded subset
# CJK radicals, symbols and punctuation, kana, Han (with extension A), compatibility ideographs and forms, full-
# width forms, and the supplementary Han planes: what the embedded font is used for (CSS unicode-range).
CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x2FFFF))


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
    from matplotlib import font_manager

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


def is_cjk(char: str) -> bool:
    return any(lo <= ord(char) <= hi for lo, hi in CJK_RANGES)


def cjk_font_face(text: str) -> str:
    """An @font-face rule embedding the CJK font's glyphs for every CJK character of `text` ("" when `text` has
    none). Deterministic: the same characters give the same bytes."""
    from fontTools import subset

    chars = sorted(c for c in set(text) if is_cjk(c))  # distinct characters first: the page is megabytes
    if not chars:
        return ""
    path = cjk_font_path()
    if path is None:
        raise FontNotFoundError("the report shows Chinese text but no CJK font is found to embed: install the "
                                "mplfonts package (pip) or Debian's fonts-noto-cjk")
    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed (WOFF2 would need brotli)
    options.layout_features = ["*"]  # keep vertical / full-width punctuation forms
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.recalc_timestamp = False
    font = subset.load_font(str(path), options, dontLoadGlyphNames=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    ranges = ", ".join(f"U+{lo:X}-{hi:X}" for lo, hi in CJK_RANGES)
    return (f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; font-style: normal; font-weight: 400; '
            f"src: url(data:font/woff;base64,{data}) format(\"woff\"); unicode-range: {ranges}; }}")

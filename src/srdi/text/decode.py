"""Decode a report file: UTF-8 (with or without BOM) first, then GB18030, both strict.

Strict decoding matters: a lenient decoder would turn a mis-encoded report into mojibake that silently counts
zero keywords, i.e. a fake zero instead of a missing value.
"""

from __future__ import annotations

import codecs
import os
from typing import NamedTuple


class Decoded(NamedTuple):
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"


def decode_report(raw: bytes) -> Decoded | None:
    """Return the text and the encoding that decoded it, or None if neither UTF-8 nor GB18030 does."""
    try:
        if raw.startswith(codecs.BOM_UTF8):
            return Decoded(raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(raw.decode("gb18030"), "gb18030")
    except UnicodeDecodeError:
        return None


def read_report(path: str | os.PathLike[str]) -> Decoded | None:
    """Read bytes once and decode them (one pass per encoding tried, no text-mode re-reading)."""
    with open(path, "rb") as fh:
        return decode_report(fh.read())

"""A Chinese report renders anywhere: the page embeds a subset of the figures' CJK font covering every CJK
character it shows, so a reader without system CJK fonts sees characters, not boxes (tofu)."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from test_report_html import CHROMIUM, CHROMIUM_FLAGS, _build_all

from srdi.report.fonts import is_cjk


class _Text(HTMLParser):
    """The text a reader sees (not CSS, not attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def _embedded_fonts(html: str) -> dict[str, TTFont]:
    faces = re.findall(r'@font-face\s*{[^}]*font-family:\s*"([^"]+)"[^}]*url\(data:font/(?:woff|otf|ttf);base64,'
                       r'([A-Za-z0-9+/=]+)\)', html)
    return {family: TTFont(io.BytesIO(base64.b64decode(data))) for family, data in faces}


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory) -> Path:
    return _build_all(tmp_path_factory.mktemp("zh"), language="zh")[1]


def test_the_embedded_font_covers_every_cjk_character_of_the_page(zh_report):
    html = zh_report.read_text(encoding="utf-8")
    shown = {c for c in _visible_text(html) if is_cjk(c)}
    assert len(shown) > 100  # a Chinese report
    fonts = _embedded_fonts(html)
    assert len(fonts) == 1, "one embedded CJK font"
    family, font = next(iter(fonts.items()))
    covered = {chr(cp) for cp in font.getBestCmap()}
    assert shown <= covered, sorted(shown - covered)[:20]
    assert len(covered) < 3 * len(shown) + 200  # a subset, not the 65,000-glyph font
    body = re.search(r"body\s*{[^}]*font-family:([^;]+);", html)[1]
    assert f'"{family}"' in body


def test_an_english_page_without_cjk_text_embeds_no_font(tmp_path):
    _, path = _build_all(tmp_path, language="en")
    html = path.read_text(encoding="utf-8")
    if not any(is_cjk(c) for c in _visible_text(html)):
        assert "@font-face" not in html


def test_the_zh_page_is_byte_identical_on_a_rebuild(zh_report, tmp_path):
    _, again = _build_all(tmp_path, language="zh")
    assert again.read_bytes() == zh_report.read_bytes()


PROBE = """<script>
window.addEventListener("load", async () => {
  const text = %s;
  await document.fonts.load('40px "srdi-cjk"', text);
  const width = (family) => {
    const s = document.createElement("span");
    s.style.fontFamily = family; s.style.fontSize = "40px"; s.style.whiteSpace = "pre"; s.textContent = text;
    document.body.appendChild(s);
    const w = s.getBoundingClientRect().width; s.remove(); return w;
  };
  const page = getComputedStyle(document.body).fontFamily;
  const p = document.createElement("p");
  p.id = "probe";
  p.textContent = "WIDTHS " + JSON.stringify({page: width(page), none: width("srdi-no-such-font")});
  document.body.appendChild(p);
});
</script>"""


LATIN_ONLY = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _latin_only_fontconfig(tmp_path: Path) -> dict[str, str]:
    """A fontconfig that knows one Latin font and no CJK one: a server without CJK font packages. (With no font at
    all Chromium cannot lay out any text: its shaper fails, so the folder holds DejaVu Sans.)"""
    fonts = tmp_path / "latin-only"
    fonts.mkdir()
    (fonts / LATIN_ONLY.name).symlink_to(LATIN_ONLY)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{fonts}</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>', encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)}


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not installed; "
                    ".ci/run installs Debian's chromium package")
@pytest.mark.skipif(not LATIN_ONLY.exists(), reason=f"{LATIN_ONLY} (Debian fonts-dejavu-core) is not installed")
def test_chinese_renders_in_chromium_without_a_system_cjk_font(zh_report, tmp_path):
    """With fontconfig pointed at a folder without CJK fonts, the page's CJK text takes the embedded font's glyph
    widths (one em per Han character); the same text in a font the page does not have falls back to tofu boxes
    (0.6 em each in DejaVu Sans)."""
    import os

    html = zh_report.read_text(encoding="utf-8")
    sample = "".join(sorted({c for c in _visible_text(html) if "\u4e00" <= c <= "\u9fff"})[:40])
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE % json.dumps(sample) + "</body>"), encoding="utf-8")
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    env = {**os.environ, **_latin_only_fontconfig(tmp_path)}
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False, env=env)
    found = re.search(r"WIDTHS ({.*?})<", dom.stdout)
    assert found, (dom.stdout[-500:], dom.stderr[-2000:])
    widths = json.loads(found[1])
    # 40 Han characters at 40 px: the embedded font's advance is exactly 1 em each
    assert widths["page"] == pytest.approx(40 * len(sample), abs=1), widths
    assert widths["none"] != pytest.approx(widths["page"], abs=1), widths

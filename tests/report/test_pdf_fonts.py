"""A PDF prints Japanese as Japanese, or is refused with what to install.

Without a Japanese font a browser prints every kanji as a box (tofu) and says nothing.
`html_to_pdf` checks for one first. The refusal is tested with a real fontconfig that
knows no font (FONTCONFIG_FILE); the positive path prints the report, renders its first
page with pdftoppm, and compares it with the same page whose Japanese characters were
all replaced by a character no font has: tofu drawn for the report's own text would
make the two pages the same.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.plan.models import Plan
from drill.report import ReportError, build, html_to_pdf, render_html
from drill.report.layout import stylesheet
from drill.report.pdf import NO_JAPANESE_FONT, japanese_fonts

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")
_NO_GLYPH = "\ue000"  # private use: no font draws it, so it is always tofu


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fontconfig that knows no font at all (Linux with fontconfig only)."""
    if sys.platform != "linux" or shutil.which("fc-list") is None:
        pytest.skip("fontconfig (fc-list) is not here: the font check cannot be emptied")
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    assert japanese_fonts() == []


def test_a_pdf_without_a_japanese_font_is_refused_with_what_to_install(
    no_fonts: None, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    with pytest.raises(ReportError) as raised:
        html_to_pdf("<html lang='ja'><body>訓練報告書</body></html>", out)
    assert str(raised.value) == NO_JAPANESE_FONT
    assert "apt-get install fonts-noto-cjk" in NO_JAPANESE_FONT
    assert "日本語フォント" in NO_JAPANESE_FONT
    assert not out.exists()


def test_the_tree_command_refuses_a_pdf_without_a_japanese_font(
    no_fonts: None, tmp_path: Path
) -> None:
    target = tmp_path / "renrakumou.pdf"
    result = CliRunner().invoke(cli, ["tree", "--format", "pdf", "--out", str(target)])
    assert result.exit_code != 0
    assert "fonts-noto-cjk" in result.output
    assert "Traceback" not in result.output
    assert not target.exists()


def _page_one(pdf: Path, pdftoppm: str, work: Path) -> tuple[int, int, bytes]:
    """Page 1 as 8-bit grey pixels (PGM) at 40 dpi: width, height, pixels."""
    prefix = work / pdf.stem
    subprocess.run(
        [pdftoppm, "-f", "1", "-l", "1", "-r", "40", "-gray", "-singlefile", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = prefix.with_suffix(".pgm").read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and depth == b"255"
    return int(width), int(height), pixels


async def test_page_one_of_the_pdf_draws_japanese_not_tofu(
    kit: SimpleNamespace, plan: Plan, chromium: str, tmp_path: Path
) -> None:
    if not japanese_fonts():
        pytest.skip("no Japanese font is installed (apt-get install fonts-ipaexfont)")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    os.environ.setdefault("DRILLKIT_CHROMIUM", chromium)
    report = build(await kit.simulate(plan, seed=4, scenario="stolen-terminal"), plan)
    html = render_html(report, "ja")
    tofu = _CJK.sub(_NO_GLYPH, html)

    real = _page_one(html_to_pdf(html, tmp_path / "real.pdf"), pdftoppm, tmp_path)
    boxes = _page_one(html_to_pdf(tofu, tmp_path / "tofu.pdf"), pdftoppm, tmp_path)

    width, height, pixels = real
    assert (width, height) == boxes[:2]
    inked = sum(1 for value in pixels if value < 128)
    assert inked > width * height // 200  # the page has text on it
    differ = sum(1 for a, b in zip(pixels, boxes[2], strict=True) if abs(a - b) > 64)
    # Tofu for the report's own Japanese would draw the same boxes as the tofu page.
    assert differ > width * height // 100, (differ, width * height)


def test_the_html_names_a_japanese_font_of_every_system() -> None:
    """Whatever machine opens the HTML, one of its own Japanese fonts is named."""
    css = stylesheet()
    for lang in ("html {", 'html[lang="en"] {'):
        rule = css[css.index(lang) :].split("font-family:", 1)[1].split(";", 1)[0]
        assert "Hiragino Sans" in rule  # macOS
        assert "Yu Gothic" in rule and "Meiryo" in rule  # Windows
        assert "Noto Sans CJK JP" in rule and "IPAexGothic" in rule  # Linux
        assert rule.strip().endswith("sans-serif")

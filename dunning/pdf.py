"""PDF letters with WeasyPrint, after checking that the system can draw Chinese.

WeasyPrint needs Pango (a system library) and, for Chinese, a CJK font that fontconfig knows
(Noto Sans/Serif CJK from `fonts-noto-cjk`). Both are checked before rendering, and a missing one is
an error that says what to install: a letter with boxes in place of Chinese characters is never
written. After rendering, the fonts WeasyPrint embedded are checked once more for a CJK font when
the letter holds Chinese text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

APT_HINT = "on Debian/Ubuntu: `sudo apt-get install {packages}` (or `make system` as root)"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
CJK_FONT_NAMES = re.compile(r"CJK|Han ?(Sans|Serif)|WenQuanYi|WQY|Hei|Song|Ming|Kai|Fang|Droid ?Sans ?Fallback|"
                            r"Noto ?Sans ?SC|Noto ?Serif ?SC|AR ?PL", re.IGNORECASE)


class PdfUnavailable(Exception):
    """PDF output is impossible here; the message says what to install."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=1)
def chinese_fonts() -> tuple[str, ...]:
    """Font families fontconfig offers for Chinese (`fc-list :lang=zh family`)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise PdfUnavailable("fontconfig is not installed (no `fc-list`), so no Chinese font can be found: install "
                             "fontconfig and a CJK font, " + APT_HINT.format(packages="fontconfig fonts-noto-cjk"))
    try:
        result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PdfUnavailable(f"cannot run fc-list: {error}") from None
    families = sorted({line.split(",")[0].strip() for line in result.stdout.splitlines() if line.strip()})
    return tuple(families)


def check_fonts(needs_chinese: bool = True) -> None:
    """Raise PdfUnavailable unless fontconfig has a Chinese font (when the letter needs one)."""
    if needs_chinese and not chinese_fonts():
        raise PdfUnavailable("no Chinese font found (`fc-list :lang=zh` lists none): the PDF would show boxes "
                             "instead of Chinese; install Noto CJK, " + APT_HINT.format(packages="fonts-noto-cjk"))


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise PdfUnavailable("WeasyPrint is not installed: `pip install weasyprint` (it is a dependency of "
                             "dunning: reinstall with `make`)") from None
    except OSError as error:  # Pango or one of its libraries could not be loaded
        raise PdfUnavailable(f"WeasyPrint cannot load its system libraries ({error}): install Pango, "
                             + APT_HINT.format(packages="libpango-1.0-0 libpangoft2-1.0-0")) from None
    return weasyprint


def html_to_pdf(html: str, base_url: Path | None = None) -> bytes:
    """Render a letter's HTML page to PDF bytes; PdfUnavailable when Chinese cannot be drawn."""
    needs_chinese = bool(CJK.search(html))
    check_fonts(needs_chinese)
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None).render()
    data: bytes = document.write_pdf()
    if needs_chinese:  # the fonts are known once written; nothing has reached the disk yet
        used = _font_names(document)
        if used and not any(CJK_FONT_NAMES.search(name) for name in used):
            raise PdfUnavailable(f"the PDF was drawn without a Chinese font (fonts used: {', '.join(sorted(used))}); "
                                 "install Noto CJK, " + APT_HINT.format(packages="fonts-noto-cjk"))
    return data


def _font_names(document: Any) -> set[str]:
    """The family names of the fonts WeasyPrint used (empty when this version does not say)."""
    names: set[str] = set()
    fonts = getattr(document, "fonts", None)
    if not isinstance(fonts, dict):
        return names
    for font in fonts.values():
        for attribute in ("family", "name"):
            value = getattr(font, attribute, None)
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if isinstance(value, str) and value:
                names.add(value)
    return names

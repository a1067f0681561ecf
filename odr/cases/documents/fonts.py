"""The embedded CJK font for generated PDFs and watermarks.

reportlab embeds TrueType outlines only (not CFF-based OpenType such as
Noto Sans CJK); WenQuanYi Zen Hei is TrueType, shipped by Debian's
fonts-wqy-zenhei. The same file serves Pillow for image watermarks.
"""

from __future__ import annotations

import threading
from pathlib import Path

CJK_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CJK_FONT_INDEX = 0  # the .ttc holds Zen Hei (0) and Zen Hei Mono (1)
CJK_FONT = "WenQuanYiZenHei"

_lock = threading.Lock()


def register_cjk_font() -> str:
    """Register the font with reportlab once (any thread) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(
                TTFont(CJK_FONT, str(CJK_FONT_PATH), subfontIndex=CJK_FONT_INDEX)
            )
    return CJK_FONT

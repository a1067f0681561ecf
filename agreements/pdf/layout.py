"""The page template of the platform's signed documents: agreements, rulings,
mediation statements.

Every page carries "第 x 页 共 y 页", the verification code with its QR code
(the public verification link) and a line with the version and the content
hash. The document's identity goes into the PDF's info dictionary
(``/Keywords``, see ``keywords``/``parse_keywords``) so ``verify_pdf`` can read
back which document a signed file claims to be, before cross-checking it
against the database. Output is deterministic for the same input
(``invariant``): the signed PDF's hash depends only on the content and the
signature.

Rulings and statements use it as::

    meta = DocumentMeta(kind="ruling", code=application.ruling_code, title="民事裁定书",
                        issuer=court.name_zh, verify_url=verify_url(base, code))
    pdf = build_pdf(flowables, meta, font_path)       # flowables styled with styles(font)
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from odr.cases.documents.fonts import CJK_FONT_INDEX, CJK_FONT_PATH, register_cjk_font

# Binary (Flate only) streams instead of ASCII85 on top: a quarter smaller and no
# pure-Python encoding pass. Process-wide on purpose: toggling it per document is
# not thread-safe (images read the flag twice), and every PDF is valid either way.
rl_config.useA85 = 0

KEYWORD_PREFIX = "odr-"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 22 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 34 * mm  # room for the footer: code, QR, page number
QR_SIZE = 18 * mm
RED = (0.82, 0.07, 0.09)


@dataclass(frozen=True)
class DocumentMeta:
    """What a signed document says it is. ``kind``: agreement | ruling | mediation_statement."""

    kind: str
    code: str  # the public verification code printed on every page
    title: str
    issuer: str  # the institution or court (the PDF's author)
    verify_url: str
    version: int | None = None
    content_sha256: str = ""


def keywords(meta: DocumentMeta) -> str:
    parts = [f"{KEYWORD_PREFIX}kind={meta.kind}", f"{KEYWORD_PREFIX}code={meta.code}"]
    if meta.version is not None:
        parts.append(f"{KEYWORD_PREFIX}version={meta.version}")
    if meta.content_sha256:
        parts.append(f"{KEYWORD_PREFIX}content-sha256={meta.content_sha256}")
    return " ".join(parts)


def parse_keywords(text: str) -> dict[str, str]:
    """The ``odr-*`` entries of a PDF's /Keywords (without the prefix)."""
    found: dict[str, str] = {}
    for token in text.replace(",", " ").split():
        if token.startswith(KEYWORD_PREFIX) and "=" in token:
            key, value = token[len(KEYWORD_PREFIX):].split("=", 1)
            found[key] = value
    return found


@functools.cache
def register_font(font_path: Path) -> str:
    """Register the CJK TrueType font (subset-embedded by reportlab) once per path."""
    if Path(font_path) == CJK_FONT_PATH:
        name = register_cjk_font()
    else:
        name = "CJK-" + hashlib.sha256(str(font_path).encode()).hexdigest()[:8]
        pdfmetrics.registerFont(TTFont(name, str(font_path), subfontIndex=CJK_FONT_INDEX))
    _keep_big_tables(pdfmetrics.getFont(name))
    return name


def _keep_big_tables(font: object) -> None:
    """reportlab copies the font's whole ``glyf`` table (10 MB for Zen Hei) out of the
    file's bytes for every subset of every document (~13 ms each); keep the copy."""
    face = getattr(font, "face", None)
    if face is None or getattr(face, "_odr_tables", None) is not None:
        return
    tables: dict[str, bytes] = {}
    original = face.get_table

    def get_table(tag: str) -> bytes:
        if tag not in ("glyf", "loca"):
            return original(tag)  # type: ignore[no-any-return]
        if tag not in tables:
            tables[tag] = original(tag)
        return tables[tag]

    face._odr_tables = tables
    face.get_table = get_table


@functools.cache
def styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK",
                          firstLineIndent=0)
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1,
                                spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=9.5, alignment=1,
                                   textColor=(0.3, 0.3, 0.3)),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=18,
                                  spaceBefore=4 * mm, spaceAfter=1.5 * mm, keepWithNext=1),
        "body": body,
        "term": ParagraphStyle("term", parent=body, leftIndent=6 * mm, firstLineIndent=-6 * mm,
                               spaceAfter=1.5 * mm),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=14),
    }


def escape(text: str) -> str:
    """Text for a reportlab Paragraph (its markup is XML-like); newlines kept."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br/>"))


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's module matrix (error correction M).

    The mask pattern is fixed instead of scored: every mask is a valid code and
    any reader decodes it; scoring all eight costs ~25 ms per document.
    """
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.version = code.calculate_version()
    code.makeImpl(False, 0)
    count = code.getModuleCount()
    return [[bool(code.isDark(r, c)) for c in range(count)] for r in range(count)]


def _draw_qr(canvas: Canvas, text: str, size: float, *, border: int = 1) -> None:
    """The QR code as one filled vector path, ``size`` points square, origin bottom left."""
    modules = qr_modules(text)
    count = len(modules) + 2 * border
    unit = size / count
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                path.rect((c + border) * unit, size - (r + border + 1) * unit, unit, unit)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


class _PagedCanvas(Canvas):
    """Draws the footer once the page count is known ("共 y 页"): pages are kept
    until ``save`` and the QR code is one form object shared by every page."""

    def __init__(self, *args: Any, meta: DocumentMeta, font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._meta = meta
        self._font = font
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        self.beginForm("odr-qr")
        _draw_qr(self, self._meta.verify_url, QR_SIZE)
        self.endForm()
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        meta, font = self._meta, self._font
        self.saveState()
        self.setFillColorRGB(0.25, 0.25, 0.25)
        self.setStrokeColorRGB(0.7, 0.7, 0.7)
        self.setLineWidth(0.4)
        top = MARGIN_BOTTOM - 6 * mm
        self.line(MARGIN_X, top, PAGE_WIDTH - MARGIN_X, top)
        self.translate(PAGE_WIDTH - MARGIN_X - QR_SIZE, top - QR_SIZE - 1.5 * mm)
        self.doForm("odr-qr")
        self.restoreState()
        self.saveState()
        self.setFillColorRGB(0.25, 0.25, 0.25)
        self.setFont(font, 8.5)
        self.drawString(MARGIN_X, top - 5 * mm, f"验证码 Verification code：{meta.code}")
        self.setFont(font, 7.5)
        self.drawString(MARGIN_X, top - 9.5 * mm, f"核验 Verify：{meta.verify_url}")
        line = meta.issuer
        if meta.version is not None:
            line += f"　第 {meta.version} 版"
        if meta.content_sha256:
            line += f"　内容 SHA-256：{meta.content_sha256}"
        self.setFont(font, 6.5)
        self.drawString(MARGIN_X, top - 13.5 * mm, line)
        self.setFont(font, 9)
        self.drawCentredString(PAGE_WIDTH / 2, 9 * mm, f"第 {number} 页 共 {total} 页")
        self.restoreState()


def build_pdf(flowables: Sequence[Flowable], meta: DocumentMeta, font_path: Path) -> bytes:
    """Lay ``flowables`` out on A4 pages with the footer; metadata in the info dictionary."""
    font = register_font(font_path)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=meta.title, author=meta.issuer,
        subject=f"odr {meta.kind} {meta.code}", keywords=keywords(meta),
        creator="odr online mediation platform", invariant=True,
        initialFontName=font,  # else every page's preamble names Helvetica (not embedded)
    )
    doc.build(list(flowables), canvasmaker=functools.partial(_PagedCanvas, meta=meta, font=font))
    return buffer.getvalue()


# ---- fast plain text -------------------------------------------------------------------

# A line may not start with these (they hang at the end of the previous line instead).
NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)%")


class PlainText(Flowable):
    """A paragraph of plain text (no markup), wrapped by character widths.

    reportlab's ``Paragraph(wordWrap="CJK")`` makes one fragment per character
    and costs most of an agreement's rendering time; this wraps CJK text
    between any two characters and Latin text at spaces, keeps closing
    punctuation off the start of a line, honours newlines, and splits across
    pages by whole lines. ``hanging`` indents every line but the first (numbered
    terms). Text stays extractable: each line is one ``drawString``.
    """

    def __init__(self, text: str, font: str, size: float, leading: float, *,
                 hanging: float = 0.0, space_after: float = 0.0,
                 lines: list[str] | None = None) -> None:
        super().__init__()
        self._continued = False
        self.text, self.font, self.size, self.leading = text, font, size, leading
        self.hanging, self.space_after = hanging, space_after
        self._fixed = lines is not None  # a piece of a split: its lines are already broken
        self._lines = lines
        self._width = -1.0

    def _widths(self) -> dict[str, float]:
        return _char_widths(self.font, self.size)

    def _break(self, width: float) -> list[str]:
        widths = self._widths()
        out: list[str] = []
        for raw in self.text.split("\n"):
            line, used, first = "", 0.0, not out
            limit = width if first else width - self.hanging
            i = 0
            while i < len(raw):
                ch = raw[i]
                token = ch
                if ch.isascii() and not ch.isspace():  # keep a Latin word / number whole
                    j = i
                    while j < len(raw) and raw[j].isascii() and not raw[j].isspace():
                        j += 1
                    token = raw[i:j]
                w = sum(widths.get(c) or _char_width(widths, c, self.font, self.size)
                        for c in token)
                if line and used + w > limit and token[0] not in NO_LINE_START:
                    out.append(line)
                    line, used, limit = "", 0.0, width - self.hanging
                    if token.isspace():
                        i += len(token)
                        continue
                line += token
                used += w
                i += len(token)
            out.append(line)
        return out

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        if not self._fixed and self._width != avail_width:
            self._lines = self._break(avail_width)
            self._width = avail_width
        assert self._lines is not None
        return avail_width, len(self._lines) * self.leading

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        assert self._lines is not None
        fits = int(avail_height // self.leading)
        if fits <= 0 or fits >= len(self._lines):
            return [] if fits <= 0 else [self]
        head = PlainText(self.text, self.font, self.size, self.leading, hanging=self.hanging,
                         lines=self._lines[:fits])
        tail = PlainText(self.text, self.font, self.size, self.leading, hanging=self.hanging,
                         space_after=self.space_after, lines=self._lines[fits:])
        tail._continued = True
        return [head, tail]

    def getSpaceAfter(self) -> float:
        return self.space_after

    def draw(self) -> None:
        assert self._lines is not None
        canvas = self.canv
        canvas.setFont(self.font, self.size)
        continued = self._continued
        y = len(self._lines) * self.leading - self.size
        for index, line in enumerate(self._lines):
            x = 0.0 if index == 0 and not continued else self.hanging
            canvas.drawString(x, y, line)
            y -= self.leading


@functools.lru_cache(maxsize=16)
def _char_widths(font: str, size: float) -> dict[str, float]:
    return {}


def _char_width(cache: dict[str, float], ch: str, font: str, size: float) -> float:
    width = stringWidth(ch, font, size)
    cache[ch] = width
    return width

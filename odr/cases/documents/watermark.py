"""Watermarks for online file reading (网上阅卷): the reader's name and the time on every page.

PDFs get a diagonal overlay on each page plus a footer line (so the mark is
also plain text a search or ``pdftotext`` finds); images get the same text
tiled diagonally. Both are CPU work: call them through ``asyncio.to_thread``.
Anything else cannot be read online (415).
"""

from __future__ import annotations

import io
import math
import warnings

from odr.cases.documents.fonts import CJK_FONT_INDEX, CJK_FONT_PATH, register_cjk_font
from odr.errors import UnsupportedMediaType

PDF = "application/pdf"
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "PNG"}
READABLE_TYPES = frozenset({PDF, *IMAGE_FORMATS})
MAX_IMAGE_PIXELS = 60_000_000  # larger images are refused, not decoded (decompression bombs)


def output_type(content_type: str) -> str:
    """The content type the watermarked copy is served as."""
    if content_type == PDF:
        return PDF
    return "image/jpeg" if IMAGE_FORMATS.get(content_type) == "JPEG" else "image/png"


def not_readable(content_type: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"documents of type {content_type} cannot be read online: only PDF documents and "
        "JPEG, PNG or WebP images can; ask the mediator for a copy",
        code="not_readable_online", details={"content_type": content_type},
    )


def watermark(data: bytes, content_type: str, text: str) -> bytes:
    """A read-only copy of ``data`` marked with ``text``; 415 for types that cannot be marked."""
    if content_type == PDF:
        return watermark_pdf(data, text)
    if content_type in IMAGE_FORMATS:
        return watermark_image(data, content_type, text)
    raise not_readable(content_type)


def _overlay(width: float, height: float, text: str) -> bytes:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = register_cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    diagonal = (width**2 + height**2) ** 0.5
    size = max(8.0, min(40.0, 0.7 * diagonal / max(stringWidth(text, font, 1), 1.0)))
    c.setFillColorRGB(0.55, 0.55, 0.55)
    c.setFillAlpha(0.28)
    c.setFont(font, size)
    c.saveState()
    c.translate(width / 2, height / 2)
    c.rotate(math.degrees(math.atan2(height, width)))
    for offset in (-2.2, 0.0, 2.2):
        c.drawCentredString(0, offset * size * 2, text)
    c.restoreState()
    c.setFillAlpha(0.6)
    c.setFont(font, 8)
    c.drawString(18, 10, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def watermark_pdf(data: bytes, text: str) -> bytes:
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnsupportedMediaType(
                "this PDF is password-protected and cannot be read online",
                code="not_readable_online", details={"content_type": PDF},
            )
        writer = PdfWriter(clone_from=reader)
        overlays: dict[tuple[float, float], object] = {}
        for page in writer.pages:
            box = page.mediabox
            width, height = float(box.width), float(box.height)
            key = (round(width, 2), round(height, 2))
            if key not in overlays:
                overlays[key] = PdfReader(io.BytesIO(_overlay(width, height, text))).pages[0]
            mark = overlays[key]
            page.merge_transformed_page(
                mark,  # type: ignore[arg-type]
                Transformation().translate(float(box.left), float(box.bottom)),
            )
        out = io.BytesIO()
        writer.write(out)
    except PdfReadError as exc:
        raise UnsupportedMediaType(
            f"this PDF is damaged and cannot be read online ({exc})",
            code="not_readable_online", details={"content_type": PDF},
        ) from None
    return out.getvalue()


def watermark_image(data: bytes, content_type: str, text: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    raise _too_big()
                base = opened.convert("RGBA")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_big() from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnsupportedMediaType(
                f"this image is damaged and cannot be read online ({exc})",
                code="not_readable_online", details={"content_type": content_type},
            ) from None
    width, height = base.size
    size = max(12, min(width, height) // 16)
    font = ImageFont.truetype(str(CJK_FONT_PATH), size, index=CJK_FONT_INDEX)
    text_w = int(font.getlength(text)) + size
    layer = Image.new("RGBA", (text_w, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((size // 2, size // 2), text, font=font, fill=(128, 128, 128, 90))
    tile = layer.rotate(30, expand=True)
    marks = Image.new("RGBA", base.size, (0, 0, 0, 0))
    step_x, step_y = max(tile.width, 1), max(tile.height, 1)
    for y in range(-step_y // 2, height, step_y):
        for x in range(-step_x // 2, width, step_x):
            marks.alpha_composite(tile, (max(x, 0), max(y, 0)), (max(-x, 0), max(-y, 0)))
    marked = Image.alpha_composite(base, marks)
    out = io.BytesIO()
    fmt = IMAGE_FORMATS[content_type]
    if fmt == "JPEG":
        marked.convert("RGB").save(out, "JPEG", quality=85)
    else:
        marked.save(out, "PNG")
    return out.getvalue()


def _too_big() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"this image is larger than {MAX_IMAGE_PIXELS} pixels and cannot be read online",
        code="not_readable_online",
    )

"""The institution's (or a court's) round red seal, drawn as vector graphics.

A red ring, the organisation's name along the upper arc, a five-pointed star
in the centre and a label below it (e.g. 调解专用章), as Chinese official seals
look. Deterministic: the same name gives the same drawing. Being vector, it
adds about a kilobyte to the PDF, not an image. Drawn with canvas primitives
only, so no font but the CJK one is referenced (``pdffonts`` stays clean).

This is the *picture* of the seal; what makes the document trustworthy is the
PAdES signature with the organisation's certificate (``agreements.pdf.sign``).
"""

from __future__ import annotations

import math

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

SEAL_RGB = (0.85, 0.1, 0.12)
SEAL_ALPHA = 0.88


def _star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw_seal(canvas: Canvas, x: float, y: float, size: float, name: str, font: str,
              label: str = "调解专用章") -> None:
    """Draw the seal of ``name`` in the ``size`` x ``size`` square at (x, y) (bottom left)."""
    canvas.saveState()
    canvas.setFillColorRGB(*SEAL_RGB, alpha=SEAL_ALPHA)
    canvas.setStrokeColorRGB(*SEAL_RGB, alpha=SEAL_ALPHA)
    c = size / 2
    ring = size * 0.47
    canvas.translate(x, y)
    canvas.setLineWidth(size * 0.03)
    canvas.circle(c, c, ring, stroke=1, fill=0)
    chars = [ch for ch in name.strip() if not ch.isspace()] or ["印"]
    char_size = min(size * 0.13, size * 2.6 / len(chars))
    text_radius = ring - size * 0.04 - char_size * 0.85
    span = min(math.radians(250), math.radians(22) * len(chars))
    step = span / max(len(chars) - 1, 1)
    start = math.pi / 2 + span / 2
    canvas.setFont(font, char_size)
    for i, ch in enumerate(chars):
        angle = start - i * step if len(chars) > 1 else math.pi / 2
        canvas.saveState()
        canvas.translate(c + text_radius * math.cos(angle), c + text_radius * math.sin(angle))
        canvas.rotate(math.degrees(angle - math.pi / 2))
        canvas.drawCentredString(0, 0, ch)
        canvas.restoreState()
    path = canvas.beginPath()
    points = _star_points(c, c, size * 0.13)
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    if label:
        canvas.setFont(font, min(size * 0.09, size * 0.55 / len(label)))
        canvas.drawCentredString(c, c - size * 0.27, label)
    canvas.restoreState()


class Seal(Flowable):
    """The seal as a platypus flowable (e.g. in the signature table)."""

    def __init__(self, name: str, font: str, size: float, label: str = "调解专用章") -> None:
        super().__init__()
        self.name, self.font, self.size, self.label = name, font, size, label
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        draw_seal(self.canv, 0, 0, self.size, self.name, self.font, self.label)

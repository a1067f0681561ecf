"""The handwritten signature drawn in the browser: a PNG data URL, checked before it is kept.

The browser sends ``data:image/png;base64,...``. The bytes must be a real PNG
(decoded in full by Pillow, not just sniffed), within size and dimension
limits checked *before* decoding (no decompression bomb), and not blank: a
signature with no stroke is refused. Pure: no database, no storage.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from odr.errors import ValidationFailed

PREFIX = "data:image/png;base64,"
MAX_BYTES = 300_000  # a signature pad's PNG is a few tens of kB
MAX_SIDE = 2000  # pixels, each side
MIN_SIDE = 16
MAX_DATA_URL_CHARS = len(PREFIX) + (MAX_BYTES * 4) // 3 + 4


@dataclass(frozen=True)
class SignatureImage:
    png: bytes
    width: int
    height: int


def _refuse(message: str, code: str = "signature_image_invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, details=[{"field": "signature_png", "message": message}])


def decode_signature_png(data_url: str | None) -> SignatureImage:
    """The PNG bytes of a drawn signature; 422 ``signature_image_invalid``/``signature_blank``."""
    if not data_url:
        raise _refuse("draw your signature: signature_png is required", "signature_image_required")
    if not data_url.startswith(PREFIX):
        raise _refuse("the signature must be a data:image/png;base64 URL")
    if len(data_url) > MAX_DATA_URL_CHARS:
        raise _refuse(f"the signature image is larger than {MAX_BYTES} bytes")
    try:
        png = base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("the signature image is not valid base64") from None
    if len(png) > MAX_BYTES:
        raise _refuse(f"the signature image is larger than {MAX_BYTES} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
                width, height = image.size
                if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                    raise _refuse(
                        f"the signature image must be {MIN_SIDE} to {MAX_SIDE} pixels on each side"
                    )
                image.load()  # decode every row: a truncated or corrupt PNG fails here
                blank = _is_blank(image)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("the signature image is not a valid PNG") from None
    if blank:
        raise _refuse("the signature is empty: draw it again", "signature_blank")
    return SignatureImage(png=png, width=width, height=height)


def _is_blank(image: Image.Image) -> bool:
    """True when no pixel differs from the others (nothing was drawn)."""
    rgba = image.convert("RGBA")
    alpha_low, alpha_high = rgba.getchannel("A").getextrema()  # type: ignore[misc]
    if alpha_high == 0:
        return True  # fully transparent
    if alpha_low != alpha_high:
        return False  # strokes on a transparent background
    gray_low, gray_high = rgba.convert("L").getextrema()  # type: ignore[misc]
    return bool(gray_low == gray_high)

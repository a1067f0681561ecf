"""Office Open XML packages are inspected before they are kept: zip bombs and fakes are refused."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from odr.errors import PayloadTooLarge, UnsupportedMediaType
from odr.storage.uploads import DOCX, XLSX, check_ooxml
from tests.cases.documents.support import docx, zip_bomb_docx


def _package(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _lying_sizes(data: bytes) -> bytes:
    """Shrink every declared uncompressed size to 1 byte, as a bomb hiding its size would."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (i := out.find(signature, start)) != -1:
            out[i + offset:i + offset + 4] = struct.pack("<I", 1)
            start = i + 4
    return bytes(out)


def test_a_genuine_docx_passes() -> None:
    check_ooxml(io.BytesIO(docx(b"<w:document>" + "调解".encode() * 1000 + b"</w:document>")), DOCX)


def test_a_bomb_over_the_expanded_limit_is_refused() -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        check_ooxml(io.BytesIO(zip_bomb_docx()), DOCX)
    assert refused.value.code == "unsafe_archive"


def test_a_bomb_that_lies_about_its_sizes_is_caught_when_counted() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_ooxml(io.BytesIO(_lying_sizes(zip_bomb_docx(8 * 1024 * 1024))), DOCX)
    assert "damaged" in refused.value.message


@pytest.mark.parametrize(("entries", "content_type", "problem"), [
    ({"word/document.xml": b"<w/>"}, DOCX, "[Content_Types].xml"),
    ({"[Content_Types].xml": b"<T/>", "word/document.xml": b"<w/>"}, XLSX, "xl/"),
    ({"[Content_Types].xml": b"<T/>", "word/../../evil.sh": b"rm"}, DOCX, "outside the package"),
])
def test_a_zip_that_is_not_a_real_package_is_refused(
    entries: dict[str, bytes], content_type: str, problem: str
) -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_ooxml(io.BytesIO(_package(entries)), content_type)
    assert problem in refused.value.message


def test_a_truncated_package_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType):
        check_ooxml(io.BytesIO(docx()[:-30]), DOCX)

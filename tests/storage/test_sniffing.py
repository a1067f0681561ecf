"""Uploads are judged by their bytes: an allowlist of real types, names that must not lie."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from odr.errors import BadRequest, UnsupportedMediaType
from odr.storage.uploads import DOCX, XLSX, UploadCheck, check_type, sniff
from tests.storage import samples

ACCEPTED: list[tuple[Callable[[], bytes], str, str]] = [
    (samples.pdf, "起诉状.pdf", "application/pdf"),
    (samples.jpeg, "photo.JPG", "image/jpeg"),
    (samples.png, "screenshot.png", "image/png"),
    (samples.webp, "chat.webp", "image/webp"),
    (samples.mp4, "recording.mp4", "video/mp4"),
    (samples.webm, "session.webm", "video/webm"),
    (samples.mp3, "call.mp3", "audio/mpeg"),
    (samples.m4a, "voice-memo.m4a", "audio/mp4"),
    (samples.wav, "voice.wav", "audio/wav"),
    (samples.ogg, "voice.ogg", "audio/ogg"),
    (samples.docx, "agreement.docx", DOCX),
    (samples.xlsx, "repayments.xlsx", XLSX),
    (samples.text, "statement.txt", "text/plain"),
]


@pytest.mark.parametrize(("make", "name", "content_type"), ACCEPTED)
def test_allowed_types_are_recognised_by_content(
    make: Callable[[], bytes], name: str, content_type: str
) -> None:
    assert check_type(sniff(make()), name) == content_type


def test_a_name_without_extension_is_judged_by_content_alone() -> None:
    assert check_type(sniff(samples.pdf()), "scan") == "application/pdf"
    assert check_type(sniff(samples.pdf()), "") == "application/pdf"


def test_a_program_renamed_pdf_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_type(sniff(samples.exe()), "invoice.pdf")
    assert refused.value.status == 415
    assert refused.value.code == "file_type_mismatch"
    assert "'invoice.pdf' is named like a PDF document" in refused.value.message
    assert "a Windows program" in refused.value.message


def test_a_genuine_file_under_another_types_name_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_type(sniff(samples.pdf()), "photo.png")
    assert refused.value.code == "file_type_mismatch"
    assert "named like a PNG image but its content is a PDF document" in refused.value.message


@pytest.mark.parametrize(
    ("make", "name"),
    [(samples.pdf, "invoice.exe"), (samples.text, "page.html"), (samples.text, "run.sh")],
)
def test_an_unaccepted_extension_on_accepted_content_is_refused(
    make: Callable[[], bytes], name: str
) -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_type(sniff(make()), name)
    assert refused.value.code == "file_type_mismatch"


@pytest.mark.parametrize(
    ("make", "name"),
    [(samples.exe, "setup.exe"), (samples.elf, "tool"), (samples.plain_zip, "evidence.zip")],
)
def test_types_outside_the_allowlist_are_refused(make: Callable[[], bytes], name: str) -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_type(sniff(make()), name)
    assert refused.value.code == "file_type_not_allowed"
    assert "accepted types: PDF" in refused.value.message


def test_bytes_with_nul_or_invalid_utf8_are_not_text() -> None:
    assert sniff(b"hello\x00world") is None
    assert sniff(b"caf\xe9 au lait") is None  # Latin-1, not UTF-8
    assert sniff("多字节".encode()[:-1]) == "text/plain"  # a character cut at the head's end


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


async def _drain(check: UploadCheck, *parts: bytes) -> bytes:
    return b"".join([c async for c in check.checked(_chunks(*parts))])


async def test_text_that_turns_binary_after_the_head_is_refused_while_streaming() -> None:
    head = b"plain line\n" * 1000  # longer than the sniffed head
    with pytest.raises(UnsupportedMediaType):
        await _drain(UploadCheck("notes.txt"), head, b"more text", b"\x00\x01binary tail")
    with pytest.raises(UnsupportedMediaType):
        await _drain(UploadCheck("notes.txt"), head, b"\xff\xfe")
    with pytest.raises(UnsupportedMediaType):  # ends in the middle of a character
        await _drain(UploadCheck("notes.txt"), head, "完".encode()[:2])


async def test_checked_stream_passes_every_byte_through_unchanged() -> None:
    parts = [samples.pdf(), b"\x00" * 10_000, b"tail"]
    check = UploadCheck("a.pdf")
    assert await _drain(check, *parts) == b"".join(parts)
    assert check.content_type == "application/pdf"
    text = ["第一行\n".encode() * 3000, "第二行".encode()]
    assert await _drain(UploadCheck("a.txt"), *text) == b"".join(text)


async def test_an_empty_file_is_refused() -> None:
    with pytest.raises(BadRequest) as refused:
        await _drain(UploadCheck("empty.pdf"))
    assert refused.value.code == "empty_file"

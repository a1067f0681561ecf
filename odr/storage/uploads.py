"""Accepting an uploaded file: sniff it by content, cap its size, store it once.

The declared name and content type are claims; the bytes decide. The first
``HEAD_BYTES`` are sniffed with ``filetype`` (plus a small UTF-8 check for
plain text) before anything is written, and a type outside ``ALLOWED`` or a
name whose extension contradicts the content is refused with 415. Text is
checked to its last byte while it streams. Every refusal — wrong type, too
large, truncated — happens before the blob store commits, so nothing is left.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import filetype
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest, UnsupportedMediaType
from odr.storage.base import BlobRef
from odr.storage.models import StoredBlob

if TYPE_CHECKING:
    from odr.services import Services

HEAD_BYTES = 8192  # what filetype looks at
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Accepted content types -> the file name extensions that may carry them.
ALLOWED: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"pdf"}),
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe"}),
    "image/png": frozenset({"png"}),
    "image/webp": frozenset({"webp"}),
    "video/mp4": frozenset({"mp4"}),
    "video/webm": frozenset({"webm", "weba"}),
    "audio/mpeg": frozenset({"mp3"}),
    "audio/mp4": frozenset({"m4a", "mp4"}),
    "audio/wav": frozenset({"wav"}),
    "audio/ogg": frozenset({"ogg", "oga", "opus"}),
    DOCX: frozenset({"docx"}),
    XLSX: frozenset({"xlsx"}),
    TEXT: frozenset({"txt", "text", "csv", "log", "md"}),
}

LABELS: dict[str, str] = {
    "application/pdf": "a PDF document",
    "image/jpeg": "a JPEG image",
    "image/png": "a PNG image",
    "image/webp": "a WebP image",
    "video/mp4": "an MP4 video",
    "video/webm": "a WebM video",
    "audio/mpeg": "an MP3 audio file",
    "audio/mp4": "an M4A audio file",
    "audio/wav": "a WAV audio file",
    "audio/ogg": "an Ogg audio file",
    DOCX: "a Word (.docx) document",
    XLSX: "an Excel (.xlsx) workbook",
    TEXT: "plain text",
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a Linux program",
    "application/zip": "a ZIP archive",
}

_ALIASES = {"audio/x-wav": "audio/wav"}
# C0 controls other than tab, LF, FF and CR (and DEL) mean the bytes are not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

ACCEPTED_SUMMARY = "PDF, JPEG, PNG, WebP, MP4, WebM, MP3, M4A, WAV, Ogg, DOCX, XLSX, plain text"


def describe(content_type: str | None) -> str:
    if content_type is None:
        return "unrecognised binary data"
    return LABELS.get(content_type, content_type)


def extension_of(name: str) -> str:
    """The lower-case extension of a declared name, without the dot ('' if none)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return PurePosixPath(base).suffix.lower().lstrip(".")


def _is_text_start(head: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not _CONTROL.search(text)


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None if unrecognised binary.

    Text is judged on the head only; ``UploadCheck`` verifies the rest.
    """
    kind = filetype.guess(head)
    if kind is not None:
        return _ALIASES.get(kind.mime, kind.mime)
    return TEXT if _is_text_start(head) else None


def check_type(content_type: str | None, declared_name: str) -> str:
    """Refuse content outside the allowlist, or a name that says otherwise (415)."""
    ext = extension_of(declared_name)
    shown = declared_name or "the file"
    allowed_exts = ALLOWED.get(content_type or "")
    if content_type is not None and allowed_exts is not None and (not ext or ext in allowed_exts):
        return content_type
    mismatch = {"declared_extension": ext, "content_type": content_type}
    claimed = next((ct for ct, exts in ALLOWED.items() if ext and ext in exts), None)
    if claimed is not None:
        raise UnsupportedMediaType(
            f"{shown!r} is named like {describe(claimed)} but its content is "
            f"{describe(content_type)}; only genuine files are accepted",
            code="file_type_mismatch",
            details=mismatch,
        )
    if allowed_exts is not None:
        raise UnsupportedMediaType(
            f"{shown!r} is named .{ext} but its content is {describe(content_type)}; "
            "rename it to match what it is",
            code="file_type_mismatch",
            details=mismatch,
        )
    raise UnsupportedMediaType(
        f"{shown!r} is {describe(content_type)}, which is not accepted; "
        f"accepted types: {ACCEPTED_SUMMARY}",
        code="file_type_not_allowed",
        details={"content_type": content_type, "accepted": sorted(ALLOWED)},
    )


class UploadCheck:
    """Passes a stream through, deciding its type from the head before the first byte leaves."""

    def __init__(self, declared_name: str) -> None:
        self.declared_name = declared_name
        self.content_type: str | None = None

    async def checked(self, stream: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        source = aiter(stream)
        head = bytearray()
        async for chunk in source:
            head += chunk
            if len(head) >= HEAD_BYTES:
                break
        if not head:
            raise BadRequest("the file is empty", code="empty_file")
        self.content_type = check_type(sniff(bytes(head[:HEAD_BYTES])), self.declared_name)
        if self.content_type != TEXT:
            yield bytes(head)
            async for chunk in source:
                yield chunk
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        self._check_text(decoder, bytes(head), final=False)
        yield bytes(head)
        async for chunk in source:
            self._check_text(decoder, chunk, final=False)
            yield chunk
        self._check_text(decoder, b"", final=True)

    # The text path: every chunk is decoded (and discarded) to prove it is UTF-8 text.
    @staticmethod
    def _check_text(decoder: codecs.IncrementalDecoder, data: bytes, *, final: bool) -> None:
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise _not_text() from None
        if _CONTROL.search(text):
            raise _not_text()


def _not_text() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "the file starts as plain text but contains binary data; only UTF-8 text is accepted",
        code="file_type_mismatch",
        details={"content_type": None},
    )


async def record_blob(uow: UnitOfWork, clock: Clock, ref: BlobRef, content_type: str) -> StoredBlob:
    """Insert the blob's row unless it exists (concurrent uploads of one file both succeed)."""
    session = uow.session
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(StoredBlob)
        .values(sha256=ref.sha256, size=ref.size, content_type=content_type, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    blob = await session.get(StoredBlob, ref.sha256)
    assert blob is not None
    return blob


async def store_upload(
    services: Services,
    uow: UnitOfWork,
    stream: AsyncIterable[bytes],
    *,
    declared_name: str,
    max_bytes: int | None = None,
) -> StoredBlob:
    """Sniff, cap and store one uploaded file, and record its ``StoredBlob`` in ``uow``.

    The stream is consumed before ``uow`` runs its first statement, so a slow
    upload never holds a database transaction (or SQLite's write lock) open.
    ``max_bytes`` can only lower ``settings.max_upload_bytes``. Raises 400
    (empty), 413 (too large) or 415 (type refused) with nothing stored.
    """
    limit = services.settings.max_upload_bytes
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    check = UploadCheck(declared_name)
    ref = await services.storage.put_stream(check.checked(stream), max_bytes=limit)
    assert check.content_type is not None
    return await record_blob(uow, services.clock, ref, check.content_type)

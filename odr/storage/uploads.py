"""Accepting an uploaded file: sniff it by content, cap its size, store it once.

The declared name and content type are claims; the bytes decide. The first
``HEAD_BYTES`` are sniffed with ``filetype`` (plus a small UTF-8 check for
plain text) before anything is written, and a type outside ``ALLOWED`` or a
name whose extension contradicts the content is refused with 415. Text is
checked to its last byte while it streams. Office Open XML files (DOCX,
XLSX) are ZIP archives: they are spooled while they stream and their
central directory is inspected at the end (``check_ooxml``), so a zip bomb or
a ZIP that only pretends to be an Office document is refused too. Every
refusal — wrong type, too large, truncated, unsafe archive — happens before
the blob store commits, so nothing is left.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import tempfile
import zipfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING

import filetype
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from odr.storage.base import BlobRef
from odr.storage.models import StoredBlob

if TYPE_CHECKING:
    from odr.services import Services

HEAD_BYTES = 8192  # what filetype looks at
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"  # legacy Word (OLE compound file), as filetype recognises it
XLS = "application/vnd.ms-excel"  # legacy Excel (OLE compound file)

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
    DOC: frozenset({"doc"}),
    XLS: frozenset({"xls"}),
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
    DOC: "a Word 97-2003 (.doc) document",
    XLS: "an Excel 97-2003 (.xls) workbook",
    TEXT: "plain text",
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a Linux program",
    "application/zip": "a ZIP archive",
}

_ALIASES = {"audio/x-wav": "audio/wav"}
# C0 controls other than tab, LF, FF and CR (and DEL) mean the bytes are not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

ACCEPTED_SUMMARY = (
    "PDF, JPEG, PNG, WebP, MP4, WebM, MP3, M4A, WAV, Ogg, DOCX, XLSX, DOC, XLS, plain text"
)

# Office Open XML packages: the folder of the main part each type must have.
OOXML_PARTS: dict[str, str] = {DOCX: "word/", XLSX: "xl/"}
OOXML_MAX_UNCOMPRESSED = 100 * 1024 * 1024  # what all entries expand to, together
OOXML_MAX_RATIO = 100  # expanded size / archive size, checked once past OOXML_RATIO_FLOOR
OOXML_RATIO_FLOOR = 1024 * 1024  # tiny packages compress well and are harmless
OOXML_MAX_ENTRIES = 10_000
OOXML_SPOOL_MEMORY = 4 * 1024 * 1024  # larger packages spool to a temporary file


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
        if self.content_type in OOXML_PARTS:
            async for chunk in self._checked_ooxml(bytes(head), source, self.content_type):
                yield chunk
            return
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

    async def _checked_ooxml(
        self, head: bytes, source: AsyncIterator[bytes], content_type: str
    ) -> AsyncIterator[bytes]:
        """Pass the package through while spooling it; inspect it before the stream ends."""
        with tempfile.SpooledTemporaryFile(max_size=OOXML_SPOOL_MEMORY) as spool:
            spool.write(head)
            yield head
            async for chunk in source:
                await asyncio.to_thread(spool.write, chunk)
                yield chunk
            await asyncio.to_thread(check_ooxml, spool, content_type)

    # The text path: every chunk is decoded (and discarded) to prove it is UTF-8 text.
    @staticmethod
    def _check_text(decoder: codecs.IncrementalDecoder, data: bytes, *, final: bool) -> None:
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise _not_text() from None
        if _CONTROL.search(text):
            raise _not_text()


def _not_ooxml(content_type: str, why: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"the file looks like {describe(content_type)} but is not a genuine one: {why}",
        code="file_type_mismatch",
        details={"content_type": content_type, "problem": why},
    )


def check_ooxml(fileobj: IO[bytes], content_type: str) -> None:
    """Refuse a DOCX/XLSX that is not a real package, or that expands absurdly (a zip bomb).

    The central directory is read first (entry count, declared sizes, names),
    then every entry is decompressed and counted without being kept: zipfile
    stops at each entry's declared size and checks its CRC, so declared sizes
    that lie are caught as a broken package. Raises 415 for a fake or broken
    package and 413 for one that expands past the limits.
    """
    fileobj.seek(0, 2)
    archive_size = max(fileobj.tell(), 1)
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as package:
            entries = package.infolist()
            _check_ooxml_directory(entries, archive_size, content_type)
            for entry in entries:
                with package.open(entry) as member:
                    while member.read(1024 * 1024):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise _not_ooxml(content_type, f"the archive is damaged ({exc})") from None
    except RuntimeError as exc:  # an encrypted entry
        raise _not_ooxml(content_type, f"the archive cannot be read ({exc})") from None


def _check_ooxml_directory(
    entries: list[zipfile.ZipInfo], archive_size: int, content_type: str
) -> None:
    if len(entries) > OOXML_MAX_ENTRIES:
        raise _unsafe_archive(f"it holds {len(entries)} entries", len(entries), archive_size)
    names = [entry.filename for entry in entries]
    if any(name.startswith(("/", "\\")) or ".." in name.split("/") for name in names):
        raise _not_ooxml(content_type, "an entry name points outside the package")
    if "[Content_Types].xml" not in names:
        raise _not_ooxml(content_type, "it has no [Content_Types].xml")
    if not any(name.startswith(OOXML_PARTS[content_type]) for name in names):
        raise _not_ooxml(content_type, f"it has no {OOXML_PARTS[content_type]} part")
    expanded = sum(entry.file_size for entry in entries)
    if expanded > OOXML_MAX_UNCOMPRESSED:
        raise _unsafe_archive(f"it expands to {expanded} bytes", expanded, archive_size)
    if expanded > OOXML_RATIO_FLOOR and expanded / archive_size > OOXML_MAX_RATIO:
        raise _unsafe_archive(
            f"it expands {expanded // archive_size} times its size", expanded, archive_size
        )


def _unsafe_archive(why: str, expanded: int, archive_size: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the Office document is refused as a possible zip bomb: {why} "
        f"(limits: {OOXML_MAX_UNCOMPRESSED} bytes expanded, {OOXML_MAX_RATIO} times its size)",
        code="unsafe_archive",
        details={"expanded": expanded, "archive_size": archive_size},
    )


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

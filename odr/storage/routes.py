"""``POST /api/v1/files``: upload one file, streamed straight into the blob store.

Two ways to send it: ``multipart/form-data`` with the file in the field
``file`` (what a browser form or ``FormData`` sends), or the raw bytes as the
body with the name in ``X-Filename`` (percent-encoded UTF-8 for non-ASCII
names). Either way the body is parsed as it arrives — never spooled whole —
so the size cap stops a large upload early and memory stays flat.

There is deliberately no download route here: who may read a file depends on
the case it is attached to, so reading comes with case documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from odr.accounts.models import User
from odr.audit.chain import record
from odr.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission
from odr.storage.uploads import store_upload

FILE_FIELD = "file"
# Room for the multipart boundaries, part headers and small extra fields.
MULTIPART_OVERHEAD = 64 * 1024
MAX_NAME = 255


def _interrupted() -> BadRequest:
    return BadRequest("the upload was interrupted before it finished", code="upload_interrupted")


class UploadedFile(BaseModel):
    sha256: str
    size: int
    content_type: str


def _clean_name(raw: str) -> str:
    """Keep the last path component; drop control characters; bound the length."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:MAX_NAME]


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


class MultipartFile:
    """Streams the one ``file`` part of a multipart body; other parts are skipped."""

    def __init__(self, request: Request, boundary: bytes, body_limit: int) -> None:
        self._body = aiter(request.stream())
        self._body_limit = body_limit
        self._received = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_end": self._on_end,
            },
        )
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._in_file = False
        self._found = False
        self._file_done = False
        self._ended = False
        self._pending: list[bytes] = []
        self.filename = ""

    # -- parser callbacks (synchronous; they only record what they saw) --------
    def _on_part_begin(self) -> None:
        self._disposition = b""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name != FILE_FIELD:
            return
        if self._found:
            raise BadRequest("send exactly one file per upload", code="too_many_files")
        self._found = self._in_file = True
        self.filename = _clean_name(options.get(b"filename", b"").decode("utf-8", "replace"))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and end > start:
            self._pending.append(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._file_done = True

    def _on_end(self) -> None:
        self._ended = True

    # -- reading -------------------------------------------------------------
    async def _feed(self) -> bool:
        """Parse the next body chunk; False at the end of the body."""
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            return False
        except ClientDisconnect:
            raise _interrupted() from None
        self._received += len(chunk)
        if self._received > self._body_limit:
            raise PayloadTooLarge(f"the upload is larger than the limit of {self._body_limit} bytes")
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise BadRequest(f"the multipart body is malformed: {exc}", code="bad_multipart") from exc
        return True

    async def start(self) -> str:
        """Read up to the file part's headers and return its declared name."""
        while not self._found:
            if not await self._feed():
                raise BadRequest(
                    f"no file in the form: send it in the field {FILE_FIELD!r}", code="missing_file"
                )
        return self.filename

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes; raises if the body ends before the form does."""
        while True:
            pending, self._pending = self._pending, []
            for piece in pending:
                yield piece
            if self._file_done:
                break
            if not await self._feed():
                raise BadRequest("the upload ended before the file did", code="truncated_upload")
        while await self._feed():  # the rest of the form must arrive whole too
            self._pending.clear()
        if not self._ended:
            raise BadRequest("the upload ended before the form did", code="truncated_upload")


async def _raw_chunks(request: Request, expected: int | None) -> AsyncIterator[bytes]:
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            yield chunk
    except ClientDisconnect:
        raise _interrupted() from None
    if expected is not None and received != expected:
        raise BadRequest("the upload ended before the file did", code="truncated_upload")


@endpoint(permission=Permission.STORAGE_UPLOAD, resp=UploadedFile, status=201, tags=("files",))
async def upload_file(request: Request, actor: Actor) -> Response:
    """Upload one file (multipart field `file`, or the raw body with `X-Filename`).

    The content decides the type: PDF, JPEG, PNG, WebP, MP4, WebM, MP3, M4A,
    WAV, Ogg, DOCX, XLSX or UTF-8 plain text are accepted; anything else, or a
    name whose extension contradicts the content, is refused with 415. Bodies
    over the upload limit get 413. The answer names the stored blob by its
    SHA-256; uploading the same content again returns the same blob.
    """
    services = services_of(request)
    limit = services.settings.max_upload_bytes
    media_type, params = parse_options_header(request.headers.get("content-type", ""))
    media = media_type.decode("latin-1").lower()
    declared = _declared_length(request)
    if media == "multipart/form-data":
        if declared is not None and declared > limit + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(f"the file is larger than the limit of {limit} bytes")
        boundary = params.get(b"boundary")
        if not boundary:
            raise BadRequest("the multipart body has no boundary", code="bad_multipart")
        form = MultipartFile(request, boundary, limit + MULTIPART_OVERHEAD)
        name = await form.start()
        stream = form.chunks()
    elif media in ("", "application/x-www-form-urlencoded"):
        raise UnsupportedMediaType(
            "send the file as multipart/form-data (field 'file') or as the raw body "
            "with its Content-Type and X-Filename"
        )
    else:
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"the file is larger than the limit of {limit} bytes")
        name = _clean_name(unquote(request.headers.get("x-filename", "")))
        stream = _raw_chunks(request, declared)

    async with services.db.uow() as uow:
        blob = await store_upload(services, uow, stream, declared_name=name, max_bytes=limit)
        user = await uow.session.get(User, actor.user_id)
        await record(
            uow, services.clock, action="file.uploaded", actor_id=actor.user_id,
            actor_label=user.username if user else "", subject_type="file",
            subject_id=blob.sha256,
            data={"name": name, "size": blob.size, "content_type": blob.content_type},
        )
        out = UploadedFile(sha256=blob.sha256, size=blob.size, content_type=blob.content_type)
    return ok(out, status=201)


routes = [Route("/api/v1/files", upload_file, methods=["POST"])]

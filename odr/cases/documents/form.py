"""A multipart form with small text fields and one streamed file.

Built on the upload route's streaming parser (``odr.storage.routes.MultipartFile``):
fields must come before the file (as browsers' ``FormData`` and httpx send
them when appended first), so the route can validate them and check the
policy before a single byte of the file is stored. A field after the file is
refused, which aborts the stream and leaves nothing stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from odr.cases.documents.names import check_filename
from odr.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from odr.storage.routes import FILE_FIELD, MULTIPART_OVERHEAD, MultipartFile

MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 20


class DocumentForm(MultipartFile):
    """``fields`` holds the text parts before the file; ``filename`` the checked base name."""

    def __init__(self, request: Request, boundary: bytes, body_limit: int) -> None:
        super().__init__(request, boundary, body_limit)
        self.fields: dict[str, str] = {}
        self._field: str | None = None
        self._field_data = bytearray()
        self._late_field: str | None = None

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE_FIELD:
            if self._found:
                raise BadRequest("send exactly one file per upload", code="too_many_files")
            self._found = self._in_file = True
            self.filename = check_filename(options.get(b"filename", b"").decode("utf-8", "replace"))
            return
        if self._found:
            self._late_field = name
        if name in self.fields or len(self.fields) >= MAX_FIELDS:
            raise BadRequest(f"the form field {name!r} is repeated or there are too many fields",
                             code="bad_form")
        self._field = name
        self._field_data = bytearray()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._field is not None:
            self._field_data += data[start:end]
            if len(self._field_data) > MAX_FIELD_BYTES:
                raise PayloadTooLarge(f"the form field {self._field!r} is too long", code="field_too_long")
            return
        super()._on_part_data(data, start, end)

    def _on_part_end(self) -> None:
        if self._field is not None:
            try:
                self.fields[self._field] = self._field_data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(f"the form field {self._field!r} is not UTF-8 text",
                                 code="bad_form") from None
            self._field = None
            return
        super()._on_part_end()

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in super().chunks():
            yield chunk
        if self._late_field is not None:
            raise BadRequest(
                f"the form field {self._late_field!r} came after the file: send the fields first",
                code="field_after_file",
            )


async def open_document_form(request: Request, limit: int) -> DocumentForm:
    """Parse up to the file's headers: the fields before it, and its checked name."""
    media_type, params = parse_options_header(request.headers.get("content-type", ""))
    if media_type.decode("latin-1").lower() != "multipart/form-data":
        raise UnsupportedMediaType(
            "send the document as multipart/form-data: the fields title, kind, visibility "
            "(and replaces_id for a new version), then the file in the field 'file'"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"the file is larger than the limit of {limit} bytes")
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequest("the multipart body has no boundary", code="bad_multipart")
    form = DocumentForm(request, boundary, limit + MULTIPART_OVERHEAD)
    await form.start()
    return form

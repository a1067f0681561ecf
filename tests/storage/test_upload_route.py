"""POST /api/v1/files as a browser or API client uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from starlette.types import Message

from odr.app import create_app
from odr.audit.models import AuditEntry
from odr.services import Services
from odr.settings import Settings
from odr.storage.models import StoredBlob
from tests.factories import make_user, sign_in
from tests.storage import samples
from tests.storage.conftest import everything_stored
from tests.support import s3 as s3_support
from tests.support.s3 import S3Server

URL = "/api/v1/files"


async def blob_rows(services: Services) -> list[tuple[str, int, str]]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(select(StoredBlob))).scalars()
        return [(r.sha256, r.size, r.content_type) for r in rows]


async def upload_audits(services: Services) -> list[dict[str, Any]]:
    """The ``file.uploaded`` audit entries as plain dicts, oldest first."""
    async with services.db.reader() as uow:
        query = select(AuditEntry).where(AuditEntry.action == "file.uploaded").order_by(AuditEntry.seq)
        return [
            {"actor_id": a.actor_id, "subject_id": a.subject_id, "data": a.data}
            for a in (await uow.session.execute(query)).scalars()
        ]


async def signed_in(client: httpx.AsyncClient, services: Services, role: str = "party") -> int:
    user = await make_user(services, role)
    await sign_in(client, services, user)
    return user.id


async def test_party_uploads_a_pdf_as_multipart_form(
    client: httpx.AsyncClient, services: Services
) -> None:
    user_id = await signed_in(client, services)
    data = samples.pdf()

    response = await client.post(URL, files={"file": ("借款合同.pdf", data, "application/pdf")})

    assert response.status_code == 201, response.text
    sha = hashlib.sha256(data).hexdigest()
    assert response.json() == {"sha256": sha, "size": len(data), "content_type": "application/pdf"}
    assert await services.storage.get_bytes(sha) == data
    assert await blob_rows(services) == [(sha, len(data), "application/pdf")]
    [audit] = await upload_audits(services)
    assert audit["actor_id"] == user_id
    assert audit["subject_id"] == sha
    assert audit["data"] == {"name": "借款合同.pdf", "size": len(data), "content_type": "application/pdf"}


async def test_raw_body_upload_with_percent_encoded_name(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services, "agent")
    data = samples.png()

    response = await client.post(
        URL, content=data,
        headers={"Content-Type": "image/png", "X-Filename": quote("转账截图.png")},
    )

    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"
    [audit] = await upload_audits(services)
    assert audit["data"]["name"] == "转账截图.png"


async def test_uploading_the_same_file_twice_keeps_one_blob_and_audits_both(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)
    data = samples.text()
    first = await client.post(URL, files={"file": ("statement.txt", data, "text/plain")})
    second = await client.post(
        URL, content=data, headers={"Content-Type": "text/plain", "X-Filename": "copy.txt"}
    )

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["content_type"] == "text/plain"
    assert len(await blob_rows(services)) == 1
    assert await everything_stored(services.storage) == {
        f"{first.json()['sha256'][:2]}/{first.json()['sha256']}"
    }
    assert [a["data"]["name"] for a in await upload_audits(services)] == ["statement.txt", "copy.txt"]


async def test_a_program_renamed_pdf_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)

    response = await client.post(URL, files={"file": ("invoice.pdf", samples.exe(), "application/pdf")})

    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "file_type_mismatch"
    assert "'invoice.pdf' is named like a PDF document but its content is a Windows program" in (
        error["message"]
    )
    assert await blob_rows(services) == []
    assert await upload_audits(services) == []
    assert await everything_stored(services.storage) == set()


async def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_kept(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)
    services.settings.max_upload_bytes = 100_000
    big = samples.pdf() + b"\x00" * 200_000

    as_form = await client.post(URL, files={"file": ("big.pdf", big, "application/pdf")})

    async def no_length() -> AsyncIterator[bytes]:  # chunked: the cap must bite mid-stream
        for i in range(0, len(big), 16_384):
            yield big[i : i + 16_384]

    streamed = await client.post(
        URL, content=no_length(), headers={"Content-Type": "application/pdf", "X-Filename": "big.pdf"}
    )
    # One byte over: the body is within the multipart allowance, so the store's cap must catch it.
    just_over = await client.post(URL, files={"file": ("big.pdf", big[:100_001], "application/pdf")})
    ok_size = await client.post(URL, files={"file": ("ok.pdf", big[:100_000], "application/pdf")})

    assert as_form.status_code == streamed.status_code == just_over.status_code == 413
    assert as_form.json()["error"]["code"] == "payload_too_large"
    assert ok_size.status_code == 201
    assert len(await blob_rows(services)) == 1
    assert len(await everything_stored(services.storage)) == 1


async def test_anonymous_upload_is_refused_401(client: httpx.AsyncClient, services: Services) -> None:
    response = await client.post(URL, files={"file": ("a.pdf", samples.pdf(), "application/pdf")})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert await everything_stored(services.storage) == set()


async def test_upload_without_csrf_token_is_refused_403(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)
    del client.headers["X-CSRF-Token"]

    response = await client.post(URL, files={"file": ("a.pdf", samples.pdf(), "application/pdf")})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert await blob_rows(services) == []


async def test_platform_admin_may_not_upload_case_files(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services, "admin")
    response = await client.post(URL, files={"file": ("a.pdf", samples.pdf(), "application/pdf")})
    assert response.status_code == 403


async def test_bad_forms_get_clear_400s_and_keep_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)
    no_file = await client.post(URL, files={"evidence": ("a.pdf", samples.pdf(), "application/pdf")})
    two_files = await client.post(
        URL,
        files=[("file", ("a.pdf", samples.pdf(), "application/pdf")),
               ("file", ("b.png", samples.png(), "image/png"))],
    )
    boundary = "odr-test-boundary"
    cut_off = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + samples.pdf()  # the closing boundary never comes
    truncated = await client.post(
        URL, content=cut_off, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    empty = await client.post(URL, content=b"", headers={"Content-Type": "application/pdf"})
    urlencoded = await client.post(URL, data={"file": "not a file"})

    assert (no_file.status_code, no_file.json()["error"]["code"]) == (400, "missing_file")
    assert (two_files.status_code, two_files.json()["error"]["code"]) == (400, "too_many_files")
    assert (truncated.status_code, truncated.json()["error"]["code"]) == (400, "truncated_upload")
    assert (empty.status_code, empty.json()["error"]["code"]) == (400, "empty_file")
    assert urlencoded.status_code == 415
    assert await blob_rows(services) == []
    assert await everything_stored(services.storage) == set()


async def test_uploaded_files_have_no_public_download_url(
    client: httpx.AsyncClient, services: Services
) -> None:
    await signed_in(client, services)
    sha = (await client.post(URL, files={"file": ("a.pdf", samples.pdf(), "application/pdf")})).json()[
        "sha256"
    ]
    for path in (f"{URL}/{sha}", URL, f"/files/{sha[:2]}/{sha}", f"/var/files/{sha[:2]}/{sha}"):
        response = await client.get(path)
        assert response.status_code in (404, 405), path
        assert b"%PDF" not in response.content


async def test_upload_route_stores_into_s3_when_configured(
    settings: Settings, s3_server: S3Server
) -> None:
    s3_settings = settings.model_copy(update={
        "storage_url": f"s3://{s3_server.new_bucket()}/odr",
        "s3_endpoint_url": s3_server.endpoint_url,
        "s3_access_key": SecretStr(s3_support.ACCESS_KEY),
        "s3_secret_key": SecretStr(s3_support.SECRET_KEY),
    })
    services = Services.build(s3_settings)
    try:
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await signed_in(client, services, "mediator")
            data = samples.docx()
            response = await client.post(URL, files={"file": ("协议.docx", data, "application/octet-stream")})
        assert response.status_code == 201, response.text
        sha = response.json()["sha256"]
        assert await everything_stored(services.storage) == {f"{sha[:2]}/{sha}"}
        assert await services.storage.get_bytes(sha) == data
    finally:
        await services.close()


async def test_an_interrupted_upload_leaves_nothing(client: httpx.AsyncClient, services: Services) -> None:
    opened = await sign_in(client, services, await make_user(services, "party"))
    app = create_app(services)
    pieces: list[Message] = [
        {"type": "http.request", "body": samples.pdf() + b"\x00" * 300_000, "more_body": True},
        {"type": "http.disconnect"},  # the browser tab was closed mid-upload
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return pieces.pop(0) if pieces else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": URL, "raw_path": URL.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/pdf"),
            (b"x-filename", b"evidence.pdf"),
            (b"x-csrf-token", opened.csrf_token.encode()),
            (b"cookie", f"odr_session={opened.token}; odr_csrf={opened.csrf_token}".encode()),
        ],
    }
    await app(scope, receive, send)

    assert sent[0]["status"] == 400
    assert b"upload_interrupted" in b"".join(m.get("body", b"") for m in sent)
    assert await blob_rows(services) == []
    assert await everything_stored(services.storage) == set()

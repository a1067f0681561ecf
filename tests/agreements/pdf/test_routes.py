"""The public routes: verification by code and by upload (throttled), the root certificate,
and the local timestamp authority over real HTTP (agreement_tsa_url pointing at it)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import httpx
import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimestampRequestError
from starlette.applications import Starlette

from agreements.pdf.render import render_agreement
from agreements.pdf.sign import sign_pdf_at
from agreements.pki import routes as pki_routes
from agreements.pki.ca import OrgIdentity, OrgKind
from agreements.pki.signers import signer_for
from agreements.verification.verify import mask_name
from odr.http.errors import EXCEPTION_HANDLERS
from odr.services import Services
from tests.agreements.pdf.support import effective_agreement, sample_data
from tests.support.live import serve_in_loop


async def test_code_lookup_shows_masked_case_and_names_version_time_and_pdf_hash(
    client: httpx.AsyncClient, services: Services
) -> None:
    made = await effective_agreement(services)
    response = await client.get(f"/api/v1/verify/{made.agreement.verification_code}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "agreement"
    assert body["version"] == 1
    assert body["status"] == "effective"
    assert body["pdf_sha256"] == made.agreement.pdf_sha256
    assert datetime.fromisoformat(body["effective_at"]).astimezone(UTC) == services.clock.now()
    assert made.case.number not in response.text
    assert body["case_number_masked"].endswith(made.case.number[-3:])
    for party in made.parties:
        assert party.name not in response.text
        assert {"side": party.side, "name_masked": mask_name(party.name)} in body["parties"]
        assert party.id_doc_last4 not in body["parties"].__repr__()


async def test_pdf_upload_reports_an_intact_agreement_and_a_tampered_one(
    client: httpx.AsyncClient, services: Services
) -> None:
    made = await effective_agreement(services)
    response = await client.post("/api/v1/verify/pdf",
                                 files={"file": ("agreement.pdf", made.pdf, "application/pdf")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intact"] is True
    assert body["document"]["agreement_id"] == made.agreement.id
    assert body["document"]["version"] == 1
    tampered = made.pdf + b"\n%% appended\n"
    response = await client.post("/api/v1/verify/pdf",
                                  files={"file": ("agreement.pdf", tampered, "application/pdf")})
    assert response.status_code == 200
    assert response.json()["intact"] is False


async def test_upload_refuses_what_is_not_a_pdf_with_a_clear_4xx(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/verify/pdf",
                                 files={"file": ("x.pdf", b"GIF89a not a pdf", "application/pdf")})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_a_pdf"
    response = await client.post("/api/v1/verify/pdf", content=b"%PDF-1.7",
                                 headers={"Content-Type": "application/pdf"})
    assert response.status_code == 415
    response = await client.post("/api/v1/verify/pdf", files={"other": ("x", b"%PDF-", "x/y")})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_missing"


async def test_unknown_codes_are_throttled_per_address(
    client: httpx.AsyncClient, services: Services
) -> None:
    limit = services.settings.invitation_max_failures_per_address
    for _ in range(limit):
        response = await client.get("/api/v1/verify/NOSUCHCODE")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "code_unknown"
    blocked = await client.get("/api/v1/verify/NOSUCHCODE")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    services.clock.advance(minutes=services.settings.invitation_failure_window_minutes + 1)  # type: ignore[attr-defined]
    assert (await client.get("/api/v1/verify/NOSUCHCODE")).status_code == 404


async def test_root_certificate_is_published(client: httpx.AsyncClient, services: Services) -> None:
    response = await client.get("/api/v1/pki/root.pem")
    assert response.status_code == 200
    root = x509.load_pem_x509_certificate(response.content)
    assert root.subject == root.issuer
    assert (services.settings.pki_dir / "root.cert.pem").read_bytes() == response.content


def _tsa_app(services: Services) -> Starlette:
    app = Starlette(routes=pki_routes.routes, exception_handlers=dict(EXCEPTION_HANDLERS))
    app.state.services = services
    return app


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database work: one backend
async def test_signing_uses_the_tsa_url_over_http_when_configured(services: Services) -> None:
    pdf = render_agreement(sample_data())
    signer = signer_for(services.settings, OrgIdentity(OrgKind.INSTITUTION, "SFCDMC", "上海调解"))
    at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    async with serve_in_loop(_tsa_app(services)) as url:
        settings = services.settings.model_copy(update={"agreement_tsa_url": f"{url}/api/v1/tsa"})
        signed = await sign_pdf_at(settings, pdf, signer, at, reason="r", location="l")
        async with httpx.AsyncClient() as http:
            wrong = await http.post(f"{url}/api/v1/tsa", content=b"x",
                                    headers={"Content-Type": "text/plain"})
            garbage = await http.post(f"{url}/api/v1/tsa", content=b"\x30\x03\x02\x01",
                                      headers={"Content-Type": "application/timestamp-query"})
    assert wrong.status_code == 415
    assert garbage.status_code == 400
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    [embedded] = reader.embedded_regular_signatures
    token = embedded.signer_info["unsigned_attrs"][0]["values"][0]
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    assert tst_info["gen_time"].native == services.clock.now()  # the server's (injected) clock
    # The server is gone: signing with the URL now fails instead of quietly stamping locally.
    with pytest.raises(TimestampRequestError):
        await asyncio.wait_for(
            sign_pdf_at(settings, pdf, signer, at, reason="r", location="l"), timeout=30)

"""Trusted timestamps (RFC 3161): the local development authority and the HTTP client.

``timestamper(settings, now)`` is what signing uses: an HTTP client of
``settings.agreement_tsa_url`` when set, otherwise the local authority
answering in-process with the injected clock's time. ``respond(settings,
now, request_der)`` is the same local authority behind POST /api/v1/tsa, so
the HTTP path can be exercised end to end.
"""

from __future__ import annotations

import functools
from datetime import datetime

import httpx
from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from agreements.pki.signers import KeyMaterial, tsa_material
from odr.settings import Settings

TIMESTAMP_QUERY = "application/timestamp-query"
TIMESTAMP_REPLY = "application/timestamp-reply"


class LocalTimeStamper(DummyTimeStamper):
    """pyHanko's in-process authority with the key parsed once, not per stamp
    (loading an RSA key checks it, ~30 ms)."""

    def __init__(self, material: KeyMaterial, now: datetime) -> None:
        super().__init__(tsa_cert=material.chain[0], tsa_key=material.key,
                         certs_to_embed=material.chain[1:],  # type: ignore[arg-type]
                         fixed_dt=now)
        self._private = _private_key(material.key.dump())
        self._signing_certificate = _signing_certificate_attr(material.chain[0].dump())

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       dt: datetime) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
            self._signing_certificate,
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._private.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


@functools.lru_cache(maxsize=8)
def _signing_certificate_attr(cert_der: bytes) -> cms.CMSAttribute:
    """The ESS signing-certificate attribute of the TSA's certificate (hashing it once)."""
    return simple_cms_attribute(
        "signing_certificate", as_signing_certificate(asn1_x509.Certificate.load(cert_der)))


@functools.lru_cache(maxsize=8)
def _private_key(der: bytes) -> RSAPrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the local timestamp authority needs an RSA key")
    return key


def local_timestamper(settings: Settings, now: datetime) -> LocalTimeStamper:
    """The local authority, stamping ``now`` (the injected clock), RSA key from the dev CA."""
    return LocalTimeStamper(tsa_material(settings), now)


class HttpxTimeStamper(TimeStamper):
    """An RFC 3161 client over HTTP with httpx (no extra HTTP library needed)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.url, content=req.dump(), headers={"Content-Type": TIMESTAMP_QUERY}
                )
        except httpx.HTTPError as exc:
            raise TimestampRequestError(f"timestamp authority unreachable: {exc}") from exc
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code != 200 or content_type != TIMESTAMP_REPLY:
            raise TimestampRequestError(
                f"timestamp authority answered {response.status_code} {content_type or '-'}"
            )
        return tsp.TimeStampResp.load(response.content)


def timestamper(settings: Settings, now: datetime) -> TimeStamper:
    if settings.agreement_tsa_url:
        return HttpxTimeStamper(settings.agreement_tsa_url)
    return local_timestamper(settings, now)


def respond(settings: Settings, now: datetime, request_der: bytes) -> bytes:
    """Answer one DER-encoded TimeStampReq with the local authority (ValueError if malformed)."""
    try:
        request = tsp.TimeStampReq.load(request_der)
        request.native  # parse everything now: asn1crypto is lazy  # noqa: B018
    except Exception as exc:  # asn1crypto raises assorted errors on garbage
        raise ValueError("not an RFC 3161 timestamp request") from exc
    return local_timestamper(settings, now).request_tsa_response(request).dump()

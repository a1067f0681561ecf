"""PAdES signing (baseline B-T): a CMS signature over the whole file with an RFC 3161
timestamp on it, by an institution's or a court's ``PdfSigner``.

The signing time is the injected clock's; the timestamp comes from
``settings.agreement_tsa_url`` when set, else from the local development
authority (see ``agreements.pki.tsa``). pyHanko's async API is used, so
``sign_pdf`` can be awaited inside a request or an outbox job; the hashing and
the key operation take a few milliseconds. ``sign_pdf_blocking`` is for code
without an event loop (the benchmark, scripts).
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import finalise_output
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from agreements.pki.signers import PdfSigner
from agreements.pki.tsa import timestamper
from odr.services import Services
from odr.settings import Settings

# The CMS signature value, signed attributes and the timestamp token with the
# authority's certificates: ~5 KB with the development CA; room for an
# external authority's longer chain.
RESERVE_FOR_SIGNATURE_AND_TIMESTAMP = 12 * 1024


async def sign_pdf_at(
    settings: Settings, pdf: bytes, signer: PdfSigner, now: datetime, *, reason: str, location: str
) -> bytes:
    """Sign ``pdf`` as of ``now`` and return the signed file (an incremental update)."""
    meta = signers.PdfSignatureMetadata(
        field_name=signer.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=signer.name,
        certify=True,  # DocMDP: later changes other than form filling break the certification
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(meta, signer=signer.signer, timestamper=timestamper(settings, now))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    # The steps of pyHanko's PdfSigner.async_sign_pdf, with the session's time set
    # from our clock instead of the wall clock.
    session = pdf_signer.init_signing_session(writer)
    session.system_time = now
    validation = await session.perform_presign_validation(writer)
    # Reserve room from the certificates' sizes rather than pyHanko's estimate,
    # which makes a dummy signature with a real timestamp (one more TSA call).
    reserved = sum(len(c.dump()) for c in signer.chain) + RESERVE_FOR_SIGNATURE_AND_TIMESTAMP
    reserved += reserved % 2  # pyHanko wants an even count
    tbs = session.prepare_tbs_document(validation_info=validation, bytes_reserved=reserved)
    digest, output = tbs.digest_tbs_document(output=io.BytesIO())
    post = await tbs.perform_signature(
        document_digest=digest.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=now),
    )
    await post.post_signature_processing(output)
    result = finalise_output(None, output)
    return result.getvalue()  # type: ignore[no-any-return,attr-defined]


async def sign_pdf(
    services: Services, pdf: bytes, signer: PdfSigner, *, reason: str, location: str
) -> bytes:
    """PAdES B-T signature by ``signer`` with a trusted timestamp, at the services' clock time."""
    return await sign_pdf_at(
        services.settings, pdf, signer, services.clock.now(), reason=reason, location=location
    )


def sign_pdf_blocking(
    settings: Settings, pdf: bytes, signer: PdfSigner, now: datetime, *, reason: str, location: str
) -> bytes:
    """``sign_pdf_at`` for callers without a running event loop."""
    return asyncio.run(sign_pdf_at(settings, pdf, signer, now, reason=reason, location=location))

"""The whole job for one agreement: gather (audited), render, PAdES-sign.

``signed_agreement_pdf`` is what the ``agreements.finish_pdf`` outbox job
calls inside its unit of work; storing the document, serving it and
``run_pdf_stored`` stay with the caller. Rendering is CPU work and runs in a
thread; the ID-number decryptions are audited in ``uow``.
"""

from __future__ import annotations

import asyncio

from agreements.models import Agreement
from agreements.pdf.data import agreement_pdf_data
from agreements.pdf.render import render_agreement
from agreements.pdf.sign import sign_pdf
from agreements.pki.signers import signer_for_institution
from odr.cases.models import Case
from odr.db.uow import UnitOfWork
from odr.errors import Conflict
from odr.services import Services


async def signed_agreement_pdf(uow: UnitOfWork, services: Services, agreement: Agreement) -> bytes:
    """The signed PDF of ``agreement``'s effective (else current) version, sealed by its
    case's institution."""
    case = await uow.session.get(Case, agreement.case_id)
    if case is None or case.institution_id is None:
        raise Conflict("the case has no mediation institution to seal the agreement",
                       code="no_institution")
    data = await agreement_pdf_data(uow, services, agreement)
    pdf = await asyncio.to_thread(render_agreement, data, services.settings.pdf_cjk_font_path)
    signer = await signer_for_institution(services, case.institution_id, session=uow.session)
    return await sign_pdf(
        services, pdf, signer,
        reason=f"调解协议 {agreement.verification_code} 第 {data.version} 版（电子印章）",
        location=data.institution_name or "online",
    )

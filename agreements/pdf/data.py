"""Everything the agreement PDF shows, gathered in one transaction.

This is the only place an agreement's parties' identity numbers are
decrypted (the content keeps masked numbers only): each decryption writes one
audit entry ``identity.decrypted`` (subject: the party; purpose: the agreement
PDF) in the caller's unit of work, so the entries commit with the stored PDF
or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from agreements.content import AgreementContent
from agreements.models import Agreement, AgreementSignature, AgreementVersion, SignerRole
from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.models import Case, CaseParty
from odr.db.uow import UnitOfWork
from odr.orgs.models import Institution
from odr.services import Services

ID_DOC_CONTEXT = "case_party.id_doc"
DECRYPT_ACTION = "identity.decrypted"
PURPOSE = "agreement_pdf"


@dataclass(frozen=True)
class SignatureMark:
    """One signature block: who signed (for whom), when, and the drawn image."""

    role: str  # SignerRole: party | mediator | seal
    signer_name: str  # the person who signed (a party, its agent, the mediator, the admin)
    party_name: str  # the party signed for ("" for the mediator and the seal)
    signed_at: datetime  # UTC
    png: bytes | None  # the handwritten signature drawn in the browser
    party_id: int | None = None


@dataclass(frozen=True)
class AgreementPdfData:
    """The rendered agreement's input. ``render_agreement`` needs nothing else."""

    content: AgreementContent
    version: int
    content_sha256: str
    verification_code: str
    verify_url: str
    institution_name: str
    institution_code: str
    signatures: list[SignatureMark] = field(default_factory=list)
    id_numbers: dict[int, str] = field(default_factory=dict)  # party_id -> full ID number
    effective_at: datetime | None = None
    agreement_id: int | None = None
    kind: str = "written"  # AgreementKind: an oral agreement shows no party signatures (L18)


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


async def _signatures(
    uow: UnitOfWork, services: Services, agreement: Agreement, version: int,
    parties: dict[int, CaseParty],
) -> list[SignatureMark]:
    rows = list((await uow.session.execute(
        select(AgreementSignature, User.real_name)
        .join(User, User.id == AgreementSignature.signer_user_id)
        .where(AgreementSignature.agreement_id == agreement.id,
               AgreementSignature.version_number == version,
               AgreementSignature.voided_at.is_(None))
        .order_by(AgreementSignature.signed_at, AgreementSignature.id)
    )).all())
    order = {SignerRole.PARTY: 0, SignerRole.MEDIATOR: 1, SignerRole.SEAL: 2}
    marks = []
    for signature, signer_name in rows:
        party = parties.get(signature.party_id) if signature.party_id is not None else None
        png = await services.storage.get_bytes(signature.image_sha256) if signature.image_sha256 else None
        marks.append(SignatureMark(
            role=signature.role, signer_name=signer_name, party_name=party.name if party else "",
            signed_at=signature.signed_at, png=png, party_id=signature.party_id,
        ))
    return sorted(marks, key=lambda m: (order.get(SignerRole(m.role), 9), m.signed_at))


async def agreement_pdf_data(
    uow: UnitOfWork, services: Services, agreement: Agreement, *, actor_label: str = "agreements.pdf"
) -> AgreementPdfData:
    """The data of ``agreement``'s effective (else current) version, in ``uow`` (a write
    unit of work: the decryptions are audited in it)."""
    session = uow.session
    number = agreement.effective_version or agreement.current_version
    version = (await session.execute(
        select(AgreementVersion).where(AgreementVersion.agreement_id == agreement.id,
                                       AgreementVersion.number == number)
    )).scalar_one()
    content = AgreementContent.model_validate(version.content)
    case = await session.get(Case, agreement.case_id)
    assert case is not None
    institution = (
        await session.get(Institution, case.institution_id) if case.institution_id else None
    )
    party_ids = [p.party_id for p in content.parties]
    parties = {
        p.id: p for p in (await session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id)
        )).scalars()
    }
    id_numbers: dict[int, str] = {}
    now = services.clock.now()
    for party_id in party_ids:
        party = parties.get(party_id)
        if party is None:
            continue
        id_numbers[party_id] = services.crypto.decrypt(party.id_doc_number_enc, context=ID_DOC_CONTEXT)
        await record(
            uow, services.clock, action=DECRYPT_ACTION, actor_label=actor_label,
            subject_type="case_party", subject_id=party.id,
            data={"purpose": PURPOSE, "agreement_id": agreement.id, "version": number,
                  "case_id": case.id, "field": "id_doc_number", "at": now.isoformat()},
        )
    return AgreementPdfData(
        content=content,
        version=number,
        content_sha256=version.content_sha256,
        verification_code=agreement.verification_code,
        verify_url=verify_url(services.settings.public_base_url, agreement.verification_code),
        institution_name=institution.name_zh if institution else content.institution_name,
        institution_code=institution.code if institution else "",
        signatures=await _signatures(uow, services, agreement, number, parties),
        id_numbers=id_numbers,
        effective_at=agreement.effective_at,
        agreement_id=agreement.id,
        kind=agreement.kind,
    )

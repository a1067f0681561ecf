"""What the drafting API shows: an agreement with its current version, L15 problems,
signatures (valid and voided) and who must still sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.content import AgreementContent
from agreements.drafting.checks import problems
from agreements.drafting.prefill import case_parties
from agreements.drafting.schemas import (
    AgreementDetail,
    AgreementOut,
    ProblemOut,
    SignatureOut,
    SignerOut,
    VersionOut,
    VersionSummary,
)
from agreements.drafting.service import OPEN_STATUSES, version_of
from agreements.drafting.signers import required_signers
from agreements.models import Agreement, AgreementKind, AgreementSignature, AgreementVersion
from agreements.signing.required import counts
from odr.accounts.models import User
from odr.cases.models import Case
from odr.clock import to_local


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.real_name).where(User.id.in_(ids)))
    return {i: n or "" for i, n in rows.tuples()}


def summary(version: AgreementVersion, names: dict[int, str]) -> VersionSummary:
    return VersionSummary(
        number=version.number, content_sha256=version.content_sha256,
        changed_fields=list(version.changed_fields or []), change_note=version.change_note,
        author_id=version.author_id, author_name=names.get(version.author_id, ""),
        created_at=version.created_at,
    )


async def version_out(session: AsyncSession, version: AgreementVersion) -> VersionOut:
    names = await _names(session, {version.author_id})
    return VersionOut(**summary(version, names).model_dump(),
                      content=AgreementContent.model_validate(version.content))


async def versions_of(session: AsyncSession, agreement_id: int) -> list[AgreementVersion]:
    return list((await session.execute(
        select(AgreementVersion).where(AgreementVersion.agreement_id == agreement_id)
        .order_by(AgreementVersion.number)
    )).scalars())


async def detail(
    session: AsyncSession, case: Case, agreement: Agreement, now: datetime
) -> AgreementDetail:
    version = await version_of(session, agreement.id, agreement.current_version)
    content = AgreementContent.model_validate(version.content)
    is_open = agreement.status in OPEN_STATUSES
    party_ids = {p.id for p in await case_parties(session, case.id)}
    # L15 problems matter before signing; an effective agreement's past due dates are not one.
    found = problems(content, party_ids=party_ids, channel=case.channel,
                     today=to_local(now).date()) if is_open else []
    signatures = list((await session.execute(
        select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id)
        .order_by(AgreementSignature.id)
    )).scalars())
    names = await _names(session, {s.signer_user_id for s in signatures})
    # An oral agreement is signed by nobody (L18); the mediator records it.
    signers = [] if agreement.kind == AgreementKind.ORAL else [
        SignerOut(role=r.role, party_id=r.party_id, name=r.name, signed=r.signed,
                  signature_id=r.signature_id)
        for r in await required_signers(session, case, agreement)]
    return AgreementDetail(
        agreement=AgreementOut.model_validate(agreement), status=agreement.status,
        version=await version_out(session, version),
        problems=[ProblemOut(**p.as_dict()) for p in found],
        signatures=[SignatureOut(
            id=s.id, role=s.role, party_id=s.party_id, signer_user_id=s.signer_user_id,
            signer_name=names.get(s.signer_user_id, ""), authorization_id=s.authorization_id,
            version_number=s.version_number, content_sha256=s.content_sha256,
            signed_at=s.signed_at, valid=counts(s, version), voided_at=s.voided_at,
            void_reason=s.void_reason,
        ) for s in signatures],
        required=[s for s in signers if not s.signed] if is_open else [],
        signers=signers,
    )

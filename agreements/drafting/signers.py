"""Who must sign an agreement (L16) and who already has, on its current version.

The signing flow imports ``required_signers`` (and ``missing_signers``) so
the draft page and the signing service agree on one list: every party of the
case, the mediator, and the institution's seal. A signature counts only while
it is not voided and carries the current version's number and hash
(``agreements.signing.required.counts``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.models import Agreement, AgreementSignature, AgreementVersion, SignerRole
from agreements.signing.required import counts
from odr.cases.models import Case
from odr.orgs.models import Institution


@dataclass(frozen=True)
class RequiredSigner:
    role: str  # SignerRole
    party_id: int | None
    name: str  # the party's name, the mediator's, or the institution's (the seal)
    signature_id: int | None  # the valid signature on the current version, if any

    @property
    def signed(self) -> bool:
        return self.signature_id is not None

    def as_dict(self) -> dict[str, object]:
        return {"role": self.role, "party_id": self.party_id, "name": self.name,
                "signed": self.signed, "signature_id": self.signature_id}


async def _current(session: AsyncSession, agreement: Agreement) -> AgreementVersion | None:
    return (await session.execute(select(AgreementVersion).where(
        AgreementVersion.agreement_id == agreement.id,
        AgreementVersion.number == agreement.current_version,
    ))).scalar_one_or_none()


async def required_signers(
    session: AsyncSession, case: Case, agreement: Agreement
) -> list[RequiredSigner]:
    """Each party of the case (applicants first), the mediator, then the seal, with the valid
    signature on the current version of each (``signature_id`` None when still missing)."""
    from agreements.drafting.prefill import case_parties, mediator_name

    version = await _current(session, agreement)
    signatures = list((await session.execute(
        select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id)
        .order_by(AgreementSignature.id)
    )).scalars())
    valid = [s for s in signatures if version is not None and counts(s, version)]

    def found(role: str, party_id: int | None = None) -> int | None:
        return next((s.id for s in valid if s.role == role
                     and (role != SignerRole.PARTY or s.party_id == party_id)), None)

    out = [RequiredSigner(SignerRole.PARTY.value, p.id, p.name, found(SignerRole.PARTY, p.id))
           for p in await case_parties(session, case.id)]
    out.append(RequiredSigner(SignerRole.MEDIATOR.value, None, await mediator_name(session, case),
                              found(SignerRole.MEDIATOR)))
    institution = (await session.get(Institution, case.institution_id)
                   if case.institution_id is not None else None)
    out.append(RequiredSigner(SignerRole.SEAL.value, None,
                              institution.name_zh if institution else "", found(SignerRole.SEAL)))
    return out


async def missing_signers(
    session: AsyncSession, case: Case, agreement: Agreement
) -> list[RequiredSigner]:
    """The required signers without a valid signature on the current version."""
    return [r for r in await required_signers(session, case, agreement) if not r.signed]

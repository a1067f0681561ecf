"""Who must sign, who has, and for whom a caller may sign (L16).

A written agreement takes effect when every party of the case, the mediator
and the institution's seal are on its *current* version (any order). A
signature counts only while it is not voided, names the current version and
carries that version's hash: an edit (a new version) or a voiding therefore
takes it out of the count without touching the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.models import Agreement, AgreementSignature, AgreementVersion, SignerRole
from odr.cases.models import AgentAuthorization, AgentScope, CaseParticipant, CaseParty, CaseRole
from odr.cases.transitions import active_participation
from odr.errors import NotFound


@dataclass(frozen=True)
class SignatureState:
    """The valid signatures of the current version against what L16 requires."""

    party_ids: tuple[int, ...]  # every party of the case, in order
    signed_party_ids: frozenset[int]
    mediator_signed: bool
    sealed: bool

    @property
    def missing_party_ids(self) -> list[int]:
        return [p for p in self.party_ids if p not in self.signed_party_ids]

    @property
    def missing(self) -> list[dict[str, object]]:
        """What is still needed: ``{"role": "party", "party_id": n}``, mediator, seal."""
        out: list[dict[str, object]] = [
            {"role": SignerRole.PARTY.value, "party_id": p} for p in self.missing_party_ids
        ]
        if not self.mediator_signed:
            out.append({"role": SignerRole.MEDIATOR.value})
        if not self.sealed:
            out.append({"role": SignerRole.SEAL.value})
        return out

    @property
    def complete(self) -> bool:
        """L16: every party, the mediator and the seal (an agreement with no party never is)."""
        return bool(self.party_ids) and not self.missing

    def has_signed(self, role: str, party_id: int | None) -> bool:
        if role == SignerRole.PARTY:
            return party_id in self.signed_party_ids
        if role == SignerRole.MEDIATOR:
            return self.mediator_signed
        return self.sealed


def counts(signature: AgreementSignature, version: AgreementVersion) -> bool:
    """Whether ``signature`` counts for ``version`` (the agreement's current one)."""
    return (
        signature.voided_at is None
        and signature.version_number == version.number
        and signature.content_sha256 == version.content_sha256
    )


def signature_state(
    party_ids: Sequence[int], signatures: Iterable[AgreementSignature], version: AgreementVersion
) -> SignatureState:
    valid = [s for s in signatures if counts(s, version)]
    return SignatureState(
        party_ids=tuple(party_ids),
        signed_party_ids=frozenset(
            s.party_id for s in valid if s.role == SignerRole.PARTY and s.party_id is not None
        ),
        mediator_signed=any(s.role == SignerRole.MEDIATOR for s in valid),
        sealed=any(s.role == SignerRole.SEAL for s in valid),
    )


async def current_version(session: AsyncSession, agreement: Agreement) -> AgreementVersion:
    version = (await session.execute(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id,
            AgreementVersion.number == agreement.current_version,
        )
    )).scalar_one_or_none()
    if version is None:
        raise NotFound("the agreement has no current version", code="version_not_found")
    return version


async def case_party_ids(session: AsyncSession, case_id: int) -> list[int]:
    return list((await session.execute(
        select(CaseParty.id).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
    )).scalars())


async def signatures_of(session: AsyncSession, agreement_id: int) -> list[AgreementSignature]:
    return list((await session.execute(
        select(AgreementSignature).where(AgreementSignature.agreement_id == agreement_id)
        .order_by(AgreementSignature.id)
    )).scalars())


async def load_state(
    session: AsyncSession, agreement: Agreement, version: AgreementVersion
) -> SignatureState:
    return signature_state(
        await case_party_ids(session, agreement.case_id),
        await signatures_of(session, agreement.id),
        version,
    )


async def signable_parties(
    session: AsyncSession, case_id: int, user_id: int | None, now: datetime
) -> dict[int, int | None]:
    """Parties ``user_id`` may sign for now: party id -> the agent authorization used (or None).

    Its own party (a running applicant or respondent participation), or the
    principal of an authorization with the ``sign_agreement`` scope valid now
    (not revoked, started, not expired) while its agent participation runs.
    """
    if user_id is None:
        return {}
    own = (await session.execute(
        select(CaseParticipant.party_id).where(
            CaseParticipant.case_id == case_id,
            CaseParticipant.user_id == user_id,
            CaseParticipant.role.in_((CaseRole.APPLICANT, CaseRole.RESPONDENT)),
            CaseParticipant.party_id.is_not(None),
            active_participation(now),
        )
    )).scalars()
    out: dict[int, int | None] = {int(p): None for p in own if p is not None}
    is_agent = (await session.execute(
        select(CaseParticipant.id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.user_id == user_id,
            CaseParticipant.role == CaseRole.AGENT, active_participation(now),
        ).limit(1)
    )).scalar_one_or_none()
    if is_agent is None:
        return out
    grants = (await session.execute(
        select(AgentAuthorization.id, AgentAuthorization.party_id, AgentAuthorization.scopes)
        .where(
            AgentAuthorization.case_id == case_id,
            AgentAuthorization.agent_user_id == user_id,
            AgentAuthorization.revoked_at.is_(None),
            AgentAuthorization.valid_from <= now,
            or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
        ).order_by(AgentAuthorization.id)
    )).all()
    for grant_id, party_id, scopes in grants:
        if AgentScope.SIGN_AGREEMENT in (scopes or []):
            out.setdefault(int(party_id), int(grant_id))
    return out

"""The address-confirmation form (送达地址确认书) and whether a party consents to e-service (L33).

A party consents when, in order:

1. its latest ``Consent`` row for stage ``electronic_service`` says *agree*: the
   addresses on that form count, and reaching one completes a service
   (basis ``confirmed``); a latest row saying *refuse* or *withdraw* is an
   objection, and no presumption applies after it;
2. it filed the case online itself: the mobile it gave in the filing counts as
   an address it provided (basis ``presumed_from_filing``, OLR 29 (3));
3. the same person (same identity document) opened an earlier electronic service
   on the platform without objecting: the addresses that reached it are used,
   but as addresses it never confirmed, so the service completes only when it
   opens the link (basis ``presumed_from_prior_service``, OLR 29 (4), 31).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import (
    AgentAuthorization,
    AgentScope,
    Case,
    CaseChannel,
    CaseParticipant,
    CaseParty,
    CaseRole,
    Consent,
    ConsentDecision,
    ConsentStage,
)
from odr.cases.transitions import Who, active_participation, add_event
from odr.db.uow import UnitOfWork
from odr.errors import ValidationFailed
from odr.eservice.models import ConsentBasis, ServiceAddress, ServiceChannel, ServiceRecord
from odr.services import Services

MOBILE = re.compile(r"1[3-9]\d{9}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Address:
    channel: ServiceChannel
    address: str
    confirmed: bool  # provided or confirmed by the recipient (OLR 31 para. 1)


@dataclass(frozen=True)
class PartyConsent:
    """A party's standing for electronic service, as of now."""

    party_id: int
    basis: ConsentBasis | None
    addresses: tuple[Address, ...]
    consent_id: int | None = None  # the form, when basis is ``confirmed``
    decision: str | None = None  # the latest recorded decision, if any
    decided_at: datetime | None = None

    @property
    def consents(self) -> bool:
        return self.basis is not None and bool(self.addresses)

    @property
    def refusal(self) -> str:
        """Why this party cannot be served electronically (empty when it can)."""
        if self.consents:
            return ""
        if self.decision in (ConsentDecision.REFUSE, ConsentDecision.WITHDRAW):
            return "refused electronic service"
        return "has not confirmed an address for electronic service"


async def latest_consent(session: AsyncSession, case_id: int, party_id: int) -> Consent | None:
    return (
        await session.execute(
            select(Consent)
            .where(
                Consent.case_id == case_id,
                Consent.party_id == party_id,
                Consent.stage == ConsentStage.ELECTRONIC_SERVICE,
            )
            .order_by(Consent.at.desc(), Consent.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def party_consent(session: AsyncSession, case: Case, party: CaseParty) -> PartyConsent:
    """Whether and where ``party`` may be served electronically (see the module's rules)."""
    latest = await latest_consent(session, case.id, party.id)
    if latest is not None:
        if latest.decision != ConsentDecision.AGREE:
            return PartyConsent(party.id, None, (), None, latest.decision, latest.at)
        rows = (
            await session.execute(
                select(ServiceAddress)
                .where(ServiceAddress.consent_id == latest.id)
                .order_by(ServiceAddress.id)
            )
        ).scalars()
        addresses = tuple(Address(ServiceChannel(r.channel), r.address, True) for r in rows)
        if addresses:
            return PartyConsent(
                party.id, ConsentBasis.CONFIRMED, addresses, latest.id, latest.decision, latest.at
            )
        # An agreement with no address (not from the form) is no objection: presumptions apply.
    presumed = await _presumed(session, case, party)
    if latest is None:
        return presumed
    return PartyConsent(
        party.id, presumed.basis, presumed.addresses, None, latest.decision, latest.at
    )


async def _presumed(session: AsyncSession, case: Case, party: CaseParty) -> PartyConsent:
    """Consent presumed from the party's own online filing, else from an accepted earlier service."""
    if (
        case.channel == CaseChannel.SELF_FILED
        and case.created_by_id is not None
        and party.user_id == case.created_by_id
        and party.mobile
    ):
        return PartyConsent(
            party.id, ConsentBasis.PRESUMED_FROM_FILING,
            (Address(ServiceChannel.SMS, party.mobile, True),),
        )
    prior = await _addresses_of_accepted_services(session, party)
    if prior:
        return PartyConsent(party.id, ConsentBasis.PRESUMED_FROM_PRIOR_SERVICE, prior)
    return PartyConsent(party.id, None, ())


async def _addresses_of_accepted_services(
    session: AsyncSession, party: CaseParty
) -> tuple[Address, ...]:
    """Addresses at which this person (by identity document) opened an earlier service."""
    rows = (
        await session.execute(
            select(ServiceRecord.channel, ServiceRecord.address)
            .join(CaseParty, CaseParty.id == ServiceRecord.party_id)
            .where(
                CaseParty.id_doc_lookup == party.id_doc_lookup,
                CaseParty.id_doc_type == party.id_doc_type,
                ServiceRecord.opened_at.is_not(None),
            )
            .order_by(ServiceRecord.id)
        )
    ).all()
    seen = dict.fromkeys((ServiceChannel(c), a) for c, a in rows)
    return tuple(Address(channel, address, False) for channel, address in seen)


async def parties_acted_for(
    session: AsyncSession, case_id: int, user_id: int | None, now: datetime
) -> set[int]:
    """The parties of a case ``user_id`` is, or acts for as an agent with general authority."""
    if user_id is None:
        return set()
    own = (
        await session.execute(
            select(CaseParticipant.party_id).where(
                CaseParticipant.case_id == case_id,
                CaseParticipant.user_id == user_id,
                CaseParticipant.role.in_((CaseRole.APPLICANT, CaseRole.RESPONDENT)),
                CaseParticipant.party_id.is_not(None),
                active_participation(now),
            )
        )
    ).scalars()
    ids = {int(p) for p in own if p is not None}
    grants = (
        await session.execute(
            select(AgentAuthorization.party_id, AgentAuthorization.scopes).where(
                AgentAuthorization.case_id == case_id,
                AgentAuthorization.agent_user_id == user_id,
                AgentAuthorization.revoked_at.is_(None),
                AgentAuthorization.valid_from <= now,
                or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
            )
        )
    ).all()
    ids.update(party_id for party_id, scopes in grants if AgentScope.GENERAL in scopes)
    return ids


@dataclass(frozen=True)
class AddressForm:
    """What a party fills in on the address-confirmation form."""

    agree: bool
    mobile: str | None = None
    email: str | None = None
    inapp: bool = False
    reason: str | None = None


def form_addresses(form: AddressForm, party: CaseParty, actor_user_id: int) -> list[Address]:
    """The addresses of an *agree* form, checked; 422 naming each bad field."""
    problems: list[dict[str, str]] = []
    addresses: list[Address] = []
    if form.mobile:
        if MOBILE.fullmatch(form.mobile):
            addresses.append(Address(ServiceChannel.SMS, form.mobile, True))
        else:
            problems.append({"field": "mobile", "message": "not a mainland mobile number"})
    if form.email:
        if EMAIL.fullmatch(form.email) and len(form.email) <= 200:
            addresses.append(Address(ServiceChannel.EMAIL, form.email.lower(), True))
        else:
            problems.append({"field": "email", "message": "not an e-mail address"})
    if form.inapp:
        # The party's own workspace; an agent filling the form for an account-less party
        # receives in its own workspace (代收).
        inbox = party.user_id or actor_user_id
        addresses.append(Address(ServiceChannel.INAPP, str(inbox), True))
    if problems:
        raise ValidationFailed("the address-confirmation form is invalid", details=problems)
    if not addresses:
        raise ValidationFailed(
            "to consent to electronic service, give at least one address "
            "(mobile, e-mail, or in-app)",
            details=[{"field": "mobile", "message": "no address given"}],
        )
    return addresses


async def confirm_addresses(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    party: CaseParty,
    form: AddressForm,
    who: Who,
) -> tuple[Consent, list[Address]]:
    """Record the form: a ``Consent`` (agree/refuse, channel web) and, if agreed, its addresses."""
    assert who.user_id is not None
    addresses = form_addresses(form, party, who.user_id) if form.agree else []
    now = services.clock.now()
    consent = Consent(
        case_id=case.id, party_id=party.id, stage=ConsentStage.ELECTRONIC_SERVICE,
        decision=ConsentDecision.AGREE if form.agree else ConsentDecision.REFUSE,
        channel="web", by_user_id=who.user_id, reason=form.reason, at=now,
    )
    uow.session.add(consent)
    await uow.session.flush()
    for a in addresses:
        uow.session.add(ServiceAddress(
            case_id=case.id, party_id=party.id, consent_id=consent.id,
            channel=a.channel, address=a.address, created_at=now,
        ))
    data = {
        "party_id": party.id, "decision": consent.decision,
        "channels": [a.channel.value for a in addresses],
    }
    # The timeline event carries the audit entry (case.service_address_confirmed).
    await add_event(uow, services, case, "service_address_confirmed", who, data=data)
    return consent, addresses


async def parties_of(session: AsyncSession, case_id: int, ids: Sequence[int] | None = None) -> list[CaseParty]:
    stmt = select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
    if ids is not None:
        stmt = stmt.where(CaseParty.id.in_(list(ids)))
    return list((await session.execute(stmt)).scalars())

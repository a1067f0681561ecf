"""The case as its participants and staff see it (``GET /api/v1/cases/{id}``).

Identity numbers and mobiles are masked (last four characters, 138****5678);
nothing here decrypts. The applicant sees the reviewer's rejection reason.
Staff reviewing a self-filed case that prefers their institution may read it
before it is theirs (``odr.policy.reviews_case``), but only while it awaits
review or was sent back.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select

from odr.accounts.identity import mask_document, mask_mobile
from odr.accounts.models import User
from odr.cases.intake.money import fen_to_cny
from odr.cases.intake.review import AWAITING_REVIEW, review_view
from odr.cases.lifecycle import STATUS_LABELS_ZH, CaseStatus, allowed_events
from odr.cases.messages.audience import acting_for
from odr.cases.models import Case, CaseParty
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.orgs.models import Court, Institution
from odr.policy import Actor, Permission, authorize, decide

REVIEWER_READS = frozenset({*AWAITING_REVIEW, CaseStatus.REJECTED})


class OrgRef(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str


class PersonRef(BaseModel):
    id: int
    name: str


class PartyOut(BaseModel):
    id: int
    side: str
    kind: str
    name: str
    id_doc_type: str
    id_doc_number: str | None  # masked
    mobile: str | None  # masked
    address: str
    legal_representative: str | None
    linked: bool  # a verified user has taken this party's place
    mine: bool  # the viewer is this party, or acts for it as its agent ("you" on the page)


class CaseDetail(BaseModel):
    id: int
    number: str
    title: str
    category: str
    channel: str
    procedure: str | None
    court_case_number: str | None
    status: str
    status_label: str
    claim_amount: str
    claim_amount_fen: int
    claims: str
    facts: str
    institution_id: int | None
    court_id: int | None
    institution: OrgRef | None
    preferred_institution: OrgRef | None
    proposed_institution: OrgRef | None  # no preference: the institution routing proposed
    court: OrgRef | None
    mediator: PersonRef | None
    parties: list[PartyOut]
    online: bool
    offline_reason: str | None
    rejection_reason: str | None
    end_ground: str | None
    end_reasons: str | None
    allowed_events: list[str]
    my_roles: list[str]
    submitted_at: datetime | None
    accepted_at: datetime | None
    mediation_started_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _org(row: Institution | Court | None) -> OrgRef | None:
    if row is None:
        return None
    return OrgRef(id=row.id, code=row.code, name_zh=row.name_zh, name_en=row.name_en)


async def case_detail(uow: UnitOfWork, actor: Actor, case_id: int, now: datetime) -> CaseDetail:
    """The detail of one case, if the policy lets ``actor`` read it (or review it)."""
    session = uow.session
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    view = await review_view(uow, case, now)
    if not decide(actor, Permission.CASE_READ, view) and not (
        case.status in REVIEWER_READS and decide(actor, Permission.CASE_REVIEW, view)
    ):
        authorize(actor, Permission.CASE_READ, view)  # raises with the policy's reason
    parties = (await session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
    )).scalars().all()
    institution = await session.get(Institution, case.institution_id) if case.institution_id else None
    preferred = (
        await session.get(Institution, case.preferred_institution_id)
        if case.preferred_institution_id else None
    )
    proposed = (
        await session.get(Institution, case.proposed_institution_id)
        if case.proposed_institution_id else None
    )
    court = await session.get(Court, case.court_id) if case.court_id else None
    own = {a.party_id for a in await acting_for(session, case.id, actor.user_id, now)}
    mediator = await session.get(User, case.mediator_id) if case.mediator_id else None
    try:
        label = STATUS_LABELS_ZH[CaseStatus(case.status)]
    except ValueError:
        label = case.status
    return CaseDetail(
        id=case.id, number=case.number, title=case.title, category=case.category,
        channel=case.channel, procedure=case.procedure, court_case_number=case.court_case_number,
        status=case.status, status_label=label, claim_amount=fen_to_cny(case.claim_amount_fen),
        claim_amount_fen=case.claim_amount_fen, claims=case.claims, facts=case.facts,
        institution_id=case.institution_id, court_id=case.court_id,
        institution=_org(institution), preferred_institution=_org(preferred),
        proposed_institution=_org(proposed), court=_org(court),
        mediator=PersonRef(id=mediator.id, name=mediator.real_name) if mediator else None,
        parties=[
            PartyOut(
                id=p.id, side=p.side, kind=p.kind, name=p.name, id_doc_type=p.id_doc_type,
                id_doc_number=mask_document(p.id_doc_type, p.id_doc_last4),
                mobile=mask_mobile(p.mobile), address=p.address,
                legal_representative=p.legal_representative, linked=p.user_id is not None,
                mine=p.id in own,
            )
            for p in parties
        ],
        online=case.online, offline_reason=case.offline_reason,
        rejection_reason=case.rejection_reason, end_ground=case.end_ground,
        end_reasons=case.end_reasons,
        allowed_events=[str(e) for e in allowed_events(case.status, case.channel)],
        my_roles=sorted(view.roles_of(actor.user_id)),
        submitted_at=case.submitted_at, accepted_at=case.accepted_at,
        mediation_started_at=case.mediation_started_at, closed_at=case.closed_at,
        created_at=case.created_at, updated_at=case.updated_at,
    )

"""Version 1 of a new draft, pre-filled from the case and its category template (L15).

Identity numbers and mobiles are masked here; the full numbers stay encrypted
on ``CaseParty`` and only the PDF step decrypts them (audited).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.content import AgreementContent, PartyBlock
from agreements.drafting.templates import template_for
from odr.accounts.identity import mask_mobile
from odr.accounts.models import User
from odr.cases.models import Case, CaseParticipant, CaseParty, CaseRole
from odr.cases.transitions import active_participation
from odr.eservice.receipts import mask_id
from odr.orgs.models import Institution


async def case_parties(session: AsyncSession, case_id: int) -> list[CaseParty]:
    """The case's parties: applicants first, then respondents, each in filing order."""
    rows = (await session.execute(
        select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
    )).scalars().all()
    return sorted(rows, key=lambda p: (p.side != "applicant", p.id))


async def agent_names(session: AsyncSession, case_id: int, now: datetime) -> dict[int, str]:
    """party id -> the names of its agents whose participation runs now (joined by "、")."""
    rows = (await session.execute(
        select(CaseParticipant.party_id, User.real_name)
        .join(User, User.id == CaseParticipant.user_id)
        .where(CaseParticipant.case_id == case_id, CaseParticipant.role == CaseRole.AGENT,
               CaseParticipant.party_id.is_not(None), active_participation(now))
        .order_by(CaseParticipant.id)
    )).all()
    names: dict[int, list[str]] = {}
    for party_id, name in rows:
        if party_id is not None:
            names.setdefault(party_id, []).append(name or "")
    return {k: "、".join(n for n in v if n)[:100] for k, v in names.items()}


def party_block(party: CaseParty, agent_name: str = "") -> PartyBlock:
    return PartyBlock(
        party_id=party.id, side="respondent" if party.side == "respondent" else "applicant",
        kind="organisation" if party.kind == "organisation" else "person", name=party.name,
        id_doc_type=party.id_doc_type, id_masked=mask_id(party.id_doc_type, party.id_doc_last4),
        address=party.address or "", mobile_masked=mask_mobile(party.mobile) or "",
        legal_representative=party.legal_representative or "", agent_name=agent_name,
    )


async def mediator_name(session: AsyncSession, case: Case) -> str:
    if case.mediator_id is None:
        return ""
    user = await session.get(User, case.mediator_id)
    return (user.real_name or "") if user else ""


async def institution_name(session: AsyncSession, case: Case, language: str) -> str:
    if case.institution_id is None:
        return ""
    inst = await session.get(Institution, case.institution_id)
    if inst is None:
        return ""
    return inst.name_en if language == "en" and inst.name_en else inst.name_zh


async def prefill(
    session: AsyncSession, case: Case, *, language: str, now: datetime
) -> AgreementContent:
    """The content a new draft starts from: who, where, which case, the template's clauses.

    Facts and disputed matters start from what the application said (the
    mediator rewrites them as agreed); no term is invented.
    """
    template = template_for(case.category, language)
    agents = await agent_names(session, case.id, now)
    return AgreementContent(
        language="en" if language == "en" else "zh-CN",
        title=template.title,
        case_number=case.number,
        institution_name=await institution_name(session, case, language),
        mediator_name=await mediator_name(session, case),
        parties=[party_block(p, agents.get(p.id, "")) for p in await case_parties(session, case.id)],
        facts=case.facts or "",
        disputed_matters=case.claims or "",
        terms=[],
        other_terms=template.other_terms,
        copies_note=template.copies_note,
    )

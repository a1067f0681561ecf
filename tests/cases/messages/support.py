"""A small world for the progress and messages tests: one case with all its people, and helpers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from odr.accounts.models import User
from odr.cases.models import AgentAuthorization, CaseDocument, CaseParticipant, CaseParty
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services
from odr.storage.models import StoredBlob
from tests.factories import make_case, make_user, seeded_orgs


@dataclass
class World:
    case: Any
    other_case: Any
    applicant: User
    respondent: User
    mediator: User
    other_mediator: User
    admin: User  # admin of the case's institution
    other_admin: User  # admin of another institution
    judge: User
    clerk: User
    other_judge: User  # judge of another court
    outsider: User  # a verified party of another case
    institution_id: int
    court_id: int


async def make_world(services: Services, *, status: str = "in_mediation") -> World:
    courts, insts = await seeded_orgs(services)
    court, other_court = courts[0], courts[1]
    inst, other_inst = insts[0], insts[1]
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    outsider = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=inst)
    other_mediator = await make_user(services, "mediator", password=None, institution_id=inst)
    admin = await make_user(services, "institution_admin", password=None, institution_id=inst)
    other_admin = await make_user(
        services, "institution_admin", password=None, institution_id=other_inst
    )
    judge = await make_user(services, "judge", password=None, court_id=court)
    clerk = await make_user(services, "clerk", password=None, court_id=court)
    other_judge = await make_user(services, "judge", password=None, court_id=other_court)
    case = await make_case(
        services, applicant=applicant, respondent=respondent, status=status,
        channel="delegated", institution_id=inst, court_id=court, mediator=mediator,
    )
    other_case = await make_case(
        services, applicant=outsider, status=status, channel="delegated", institution_id=inst,
        court_id=court, mediator=other_mediator,
    )
    return World(
        case=case, other_case=other_case, applicant=applicant, respondent=respondent,
        mediator=mediator, other_mediator=other_mediator, admin=admin, other_admin=other_admin,
        judge=judge, clerk=clerk, other_judge=other_judge, outsider=outsider,
        institution_id=inst, court_id=court,
    )


async def party_of(services: Services, case_id: int, user: User) -> CaseParty:
    async with services.db.reader() as uow:
        return (
            await uow.session.execute(
                select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.user_id == user.id)
            )
        ).scalar_one()


async def add_agent(
    services: Services, case_id: int, principal: User, agent: User,
    scopes: tuple[str, ...] = ("general",),
) -> None:
    """``agent`` acts for ``principal``'s party under an authorization with ``scopes``."""
    party = await party_of(services, case_id, principal)
    now = services.clock.now()
    async with services.db.uow() as uow:
        uow.session.add(AgentAuthorization(
            case_id=case_id, party_id=party.id, agent_user_id=agent.id, scopes=list(scopes),
            valid_from=now, created_at=now,
        ))
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent.id, role="agent", party_id=party.id, created_at=now,
        ))


async def add_document(
    services: Services, case_id: int, *, uploaded_by: User, side: str | None,
    visibility: str = "all", title: str = "证据",
) -> int:
    """A case document row (and its blob row), as the documents part would store it."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        sha = hashlib.sha256(f"{case_id}:{title}:{now.timestamp()}:{uploaded_by.id}:{visibility}"
                             .encode()).hexdigest()
        if await uow.session.get(StoredBlob, sha) is None:
            uow.session.add(StoredBlob(sha256=sha, size=3, content_type="application/pdf",
                                       created_at=now))
            await uow.session.flush()
        doc = CaseDocument(
            case_id=case_id, version=1, kind="evidence", title=title, filename="e.pdf",
            blob_sha256=sha, content_type="application/pdf", size=3, visibility=visibility,
            side=side, uploaded_by_id=uploaded_by.id, created_at=now,
        )
        uow.session.add(doc)
        await uow.session.flush()
        doc.lineage_id = doc.id
        return doc.id


async def notices(services: Services, template: str) -> list[dict[str, Any]]:
    """Payloads of queued notifications of ``template``, oldest first."""
    async with services.db.reader() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage.payload).where(OutboxMessage.kind == NOTIFY_KIND)
                .order_by(OutboxMessage.id)
            )
        ).scalars().all()
    return [p for p in rows if p.get("template") == template]


async def count(services: Services, model: type[Any], *where: Any) -> int:
    async with services.db.reader() as uow:
        stmt = select(func.count()).select_from(model)
        if where:
            stmt = stmt.where(*where)
        return int((await uow.session.execute(stmt)).scalar_one())

"""Cases, documents, address forms and delivery steps the electronic-service tests share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import CaseDocument, CaseParticipant, CaseParty
from odr.eservice.models import DocumentService, ServiceRecord
from odr.notify.models import Notification
from odr.outbox.drain import drain_once
from odr.services import Services
from odr.storage.models import StoredBlob
from tests.factories import make_case, make_user, seeded_orgs, sign_in

PDF = b"%PDF-1.4\n% a served document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class World:
    """A self-filed case in mediation: the applicant filed it online, a respondent, its staff."""

    case_id: int
    number: str
    applicant: User
    respondent: User
    mediator: User
    admin: User  # institution admin of the case's institution
    judge: User  # judge of the case's court
    applicant_party: int
    respondent_party: int
    document_id: int  # a notice, visible to all
    institution_id: int
    court_id: int


async def make_world(services: Services, *, status: str = "in_mediation", **fields: Any) -> World:
    courts, institutions = await seeded_orgs(services)
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=institutions[0])
    admin = await make_user(
        services, "institution_admin", password=None, institution_id=institutions[0]
    )
    judge = await make_user(services, "judge", password=None, court_id=courts[0])
    case = await make_case(
        services, applicant=applicant, respondent=respondent, status=status,
        institution_id=institutions[0], court_id=courts[0], mediator=mediator, **fields,
    )
    parties = await party_ids(services, case.id)
    document_id = await add_document(services, case.id, title="调解通知书")
    return World(
        case_id=case.id, number=case.number, applicant=applicant, respondent=respondent,
        mediator=mediator, admin=admin, judge=judge, applicant_party=parties["applicant"],
        respondent_party=parties["respondent"], document_id=document_id,
        institution_id=institutions[0], court_id=courts[0],
    )


async def party_ids(services: Services, case_id: int) -> dict[str, int]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(CaseParty.side, CaseParty.id).where(CaseParty.case_id == case_id)
        )).all()
    return {side: pid for side, pid in rows}


async def add_document(
    services: Services, case_id: int, *, title: str = "文书", kind: str = "notice",
    content: bytes = PDF, visibility: str = "all", side: str | None = None,
) -> int:
    """A case document written directly (content stored, blob row, document row)."""
    content = content + title.encode()  # distinct content per title
    blob = await services.storage.put_bytes(content)
    now = services.clock.now()
    async with services.db.uow() as uow:
        if await uow.session.get(StoredBlob, blob.sha256) is None:
            uow.session.add(StoredBlob(
                sha256=blob.sha256, size=blob.size, content_type="application/pdf", created_at=now,
            ))
            await uow.session.flush()  # no ORM relationship orders the two inserts
        doc = CaseDocument(
            case_id=case_id, version=1, kind=kind, title=title, filename=f"{kind}.pdf",
            blob_sha256=blob.sha256, content_type="application/pdf", size=blob.size,
            visibility=visibility, side=side, created_at=now,
        )
        uow.session.add(doc)
        await uow.session.flush()
        doc.lineage_id = doc.id
        return doc.id


async def add_agent(
    services: Services, case_id: int, party_id: int, scopes: list[str], **grant: Any
) -> User:
    """A verified agent acting for ``party_id`` under an authorization with ``scopes``."""
    from odr.cases.models import AgentAuthorization

    agent = await make_user(services, "agent", password=None)
    now = services.clock.now()
    async with services.db.uow() as uow:
        uow.session.add(AgentAuthorization(
            case_id=case_id, party_id=party_id, agent_user_id=agent.id, scopes=scopes,
            valid_from=now, created_at=now, **grant,
        ))
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent.id, role="agent", party_id=party_id, created_at=now,
        ))
    return agent


async def confirm(
    client: httpx.AsyncClient, services: Services, user: User, case_id: int, **form: Any
) -> httpx.Response:
    """``user`` fills in the address-confirmation form (default: agree, in-app only)."""
    await sign_in(client, services, user)
    body = {"decision": "agree", "inapp": True, **form}
    return await client.post(f"/api/v1/cases/{case_id}/service-address", json=body)


async def serve(
    client: httpx.AsyncClient, services: Services, by: User, case_id: int, document_id: int,
    recipients: list[int] | None = None,
) -> httpx.Response:
    await sign_in(client, services, by)
    body = {} if recipients is None else {"recipients": recipients}
    return await client.post(f"/api/v1/cases/{case_id}/documents/{document_id}/serve", json=body)


async def drain_next(services: Services) -> int:
    """A worker handles the oldest due outbox message only (one channel's event at a time)."""
    stats = await drain_once(services, "test-one", 1)
    return stats.claimed


async def records(services: Services, party_id: int | None = None) -> list[ServiceRecord]:
    async with services.db.reader() as uow:
        stmt = select(ServiceRecord).order_by(ServiceRecord.id)
        if party_id is not None:
            stmt = stmt.where(ServiceRecord.party_id == party_id)
        rows = list((await uow.session.execute(stmt)).scalars())
    return rows


async def service_of(services: Services, service_id: int) -> DocumentService:
    async with services.db.reader() as uow:
        row = await uow.session.get(DocumentService, service_id)
    assert row is not None
    return row


async def link_of(services: Services, record: ServiceRecord) -> str:
    """The link the recipient received for ``record`` (read from the message as sent)."""
    async with services.db.reader() as uow:
        note = (await uow.session.execute(
            select(Notification).where(Notification.idempotency_key == record.notification_key)
        )).scalar_one()
    link = str(note.context["link"])
    assert link in note.body
    return link.split("/api/v1/service/")[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""A court-referred case whose agreement takes effect through the real path: make_effective
(the AGREEMENT_TAKES_EFFECT transition and its hooks), then the signing part's PDF job
(render, PAdES-sign, store, serve, run the ``on_pdf_stored`` hooks)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from agreements.content import AgreementContent, PartyBlock, Term
from agreements.effects import run_pdf_stored
from agreements.models import Agreement, CourtFiling, PdfState
from agreements.signing.effect import make_effective
from odr.accounts.models import User
from odr.calendar.periods import local_day
from odr.cases.documents.service import add_document
from odr.cases.models import Case, CaseEvent, CaseParty, DocumentKind
from odr.cases.transitions import Who, load_case_for_update
from odr.eservice.addresses import parties_of, party_consent
from odr.eservice.receipts import mask_id
from odr.eservice.service import serve_document
from odr.services import Services
from tests.cases.eservice.support import confirm
from tests.factories import make_agreement, make_case, make_user, seeded_orgs

STAND_IN_PDF = b"%PDF-1.4\n% stand-in for the signed agreement\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class CourtWorld:
    case_id: int
    number: str
    agreement_id: int
    applicant: User
    respondent: User
    mediator: User
    judge: User  # of the referring court
    clerk: User  # of the referring court
    other_judge: User  # of another court
    court_id: int
    other_court_id: int
    institution_id: int
    applicant_party: int
    respondent_party: int


def terms_for(applicant: int, respondent: int, today: date) -> list[Term]:
    """Two dated terms (the second in two instalments' worth of time) and one without a date."""
    return [
        Term(key="pay", obligor_party_ids=[respondent], obligee_party_ids=[applicant],
             text="被申请人向申请人支付人民币一万二千三百四十五元六角七分。", amount_fen=1_234_567,
             manner="银行转账", due_on=today + timedelta(days=10)),
        Term(key="return-goods", obligor_party_ids=[applicant], obligee_party_ids=[respondent],
             text="申请人向被申请人返还样品一件。", manner="快递", due_on=today + timedelta(days=20)),
        Term(key="apology", obligor_party_ids=[respondent], obligee_party_ids=[applicant],
             text="被申请人书面致歉。"),
    ]


async def court_world(
    services: Services, client: httpx.AsyncClient, *, channel: str,
    consenting: tuple[str, ...] = ("applicant", "respondent"), pdf: bool = True,
) -> CourtWorld:
    """A ``channel`` case referred by a court, its agreement effective (and its PDF stored)."""
    courts, institutions = await seeded_orgs(services)
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=institutions[0])
    judge = await make_user(services, "judge", password=None, court_id=courts[0])
    clerk = await make_user(services, "clerk", password=None, court_id=courts[0])
    other_judge = await make_user(services, "judge", password=None, court_id=courts[1])
    case = await make_case(
        services, applicant=applicant, respondent=respondent, status="in_mediation",
        channel=channel, institution_id=institutions[0], court_id=courts[0], mediator=mediator,
    )
    for side, user in (("applicant", applicant), ("respondent", respondent)):
        if side in consenting:
            assert (await confirm(client, services, user, case.id)).status_code == 201
    client.cookies.clear()
    async with services.db.reader() as uow:
        parties = list((await uow.session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
        )).scalars())
    by_side = {p.side: p.id for p in parties}
    content = AgreementContent(
        case_number=case.number, institution_name="测试调解中心", mediator_name=mediator.real_name,
        parties=[PartyBlock.model_validate({
            "party_id": p.id, "side": p.side, "kind": "person", "name": p.name,
            "id_doc_type": p.id_doc_type, "id_masked": mask_id(p.id_doc_type, p.id_doc_last4),
            "address": p.address,
        }) for p in parties],
        facts="双方因买卖合同发生纠纷。", disputed_matters="货款及样品的返还。",
        responsibilities="被申请人应支付货款。",
        terms=terms_for(by_side["applicant"], by_side["respondent"],
                        local_day(services.clock.now())),
    )
    agreement = await make_agreement(services, case, author=mediator, content=content)
    await take_effect(services, case.id, agreement.id, mediator)
    if pdf:
        await store_pdf(services, case.id, agreement.id)
    return CourtWorld(
        case_id=case.id, number=case.number, agreement_id=agreement.id, applicant=applicant,
        respondent=respondent, mediator=mediator, judge=judge, clerk=clerk,
        other_judge=other_judge, court_id=courts[0], other_court_id=courts[1],
        institution_id=institutions[0], applicant_party=by_side["applicant"],
        respondent_party=by_side["respondent"],
    )


async def take_effect(services: Services, case_id: int, agreement_id: int, by: User) -> None:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None
        await make_effective(uow, services, case, agreement, Who(by.id, f"mediator#{by.id}"))


async def store_pdf(services: Services, case_id: int, agreement_id: int) -> int:
    """What the signing part's ``agreements.finish_pdf`` job does, in one transaction: store
    the signed PDF, serve it on the consenting parties (L17), run the ``on_pdf_stored`` hooks.

    Written out here (a stand-in PDF, not rendered) so these tests do not depend on the
    rendering; ``agreements.signing.finish.finish_agreement_pdf`` runs the same hooks.
    """
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.status == "effective"
        document = await add_document(
            uow, services, case, title=f"调解协议书（{case.number}）", kind=DocumentKind.AGREEMENT,
            filename=f"agreement-{case.id}.pdf", data=STAND_IN_PDF + case.number.encode(),
            content_type="application/pdf",
        )
        agreement.pdf_document_id = document.id
        agreement.pdf_state = PdfState.STORED
        await uow.session.flush()
        consenting = [p.id for p in await parties_of(uow.session, case.id)
                      if (await party_consent(uow.session, case, p)).consents]
        if consenting:
            await serve_document(uow, services, case, document, consenting, Who.system("test"))
        await run_pdf_stored(services, uow, case, agreement, document)
        return document.id


async def case_row(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
    assert case is not None
    return case


async def filings(services: Services, case_id: int) -> list[CourtFiling]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CourtFiling).where(CourtFiling.case_id == case_id).order_by(CourtFiling.id)
        )).scalars())


async def events(services: Services, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    async with services.db.reader() as uow:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind is not None:
            stmt = stmt.where(CaseEvent.kind == kind)
        return list((await uow.session.execute(stmt)).scalars())


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()




async def notified(services: Services, template: str) -> set[int]:
    """Users queued an in-app notice of ``template`` (the outbox holds the request)."""
    from odr.notify.messages import NOTIFY_KIND
    from odr.outbox.models import OutboxMessage

    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == NOTIFY_KIND)
        )).scalars()
        return {int(m.payload["user_id"]) for m in rows
                if m.payload.get("template") == template and m.payload.get("channel") == "inapp"}

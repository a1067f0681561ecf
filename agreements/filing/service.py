"""Agreements that go to a court outside judicial confirmation (L37; SMR 19, 20).

- Entrusted (委托, after filing): the effective agreement goes back to the court
  that entrusted the case (``CourtFiling`` kind ``return``; the case moves by
  ``submit_to_court``). A judge of that court reviews it and issues a mediation
  statement (民事调解书, ``issue_mediation_statement``) or rules on the
  plaintiff's withdrawal (民事裁定书, ``rule_withdrawal``). Either document is
  rendered, signed with the court's key, stored and served (L33-L35).
- Delegated (委派, before filing): the agreement, already served on both
  parties by the signing job (L17), is filed with the delegating court for
  record (kind ``record``); the court acknowledges it. The case stays
  ``agreement_effective``: the parties may still apply for confirmation (L37).

``file_agreement`` is the ``on_pdf_stored`` hook's work (idempotent per
agreement: one filing row, unique by agreement). The court's acts check the
filing's kind and status inside the write transaction, so a second act, or an
act of the wrong kind, is a 409 and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agreements.content import AgreementContent
from agreements.filing.statement_pdf import (
    CourtDocumentData,
    CourtDocumentKind,
    PartyLine,
    TermLine,
    render_court_document,
)
from agreements.models import (
    Agreement,
    AgreementVersion,
    CourtFiling,
    CourtFilingKind,
    CourtFilingStatus,
)
from agreements.pdf.sign import sign_pdf
from agreements.pki.signers import signer_for_court
from odr.accounts.models import Membership, Role, User
from odr.audit.chain import record as audit
from odr.calendar.periods import local_day
from odr.cases.deadlines.notices import case_parties_and_agents
from odr.cases.documents.service import add_document
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import Case, CaseChannel, CaseDocument, DocumentKind
from odr.cases.transitions import Who, add_event, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound
from odr.eservice.addresses import parties_of, party_consent
from odr.eservice.models import PaperCopyRequest, PaperCopyStatus
from odr.eservice.service import serve_document
from odr.notify.service import notify_users
from odr.orgs.models import Court, Institution

if TYPE_CHECKING:
    from odr.services import Services

log = logging.getLogger(__name__)

PLATFORM = Who.system("agreements")
KIND_BY_CHANNEL = {
    CaseChannel.ENTRUSTED: CourtFilingKind.RETURN,
    CaseChannel.DELEGATED: CourtFilingKind.RECORD,
}
DOCUMENT_TITLES = {
    CourtDocumentKind.STATEMENT: "民事调解书",
    CourtDocumentKind.WITHDRAWAL: "民事裁定书（准许撤诉）",
}


async def court_staff(uow: UnitOfWork, court_id: int) -> list[int]:
    """The judges and clerks of ``court_id``."""
    rows = await uow.session.execute(
        select(Membership.user_id).where(
            Membership.court_id == court_id, Membership.role.in_([Role.JUDGE, Role.CLERK])
        ).order_by(Membership.user_id)
    )
    return list(dict.fromkeys(rows.scalars()))


async def filing_of_agreement(uow: UnitOfWork, agreement_id: int) -> CourtFiling | None:
    return (await uow.session.execute(
        select(CourtFiling).where(CourtFiling.agreement_id == agreement_id)
    )).scalar_one_or_none()


async def file_agreement(
    services: Services, uow: UnitOfWork, case: Case, agreement: Agreement, document: CaseDocument
) -> CourtFiling | None:
    """Send an effective agreement whose signed PDF is ``document`` to the court (L37).

    Nothing for self-filed and walk-in cases (their path is judicial
    confirmation). Runs again harmlessly: an existing filing is returned as is.
    """
    kind = KIND_BY_CHANNEL.get(CaseChannel(case.channel)) if case.channel in KIND_BY_CHANNEL else None
    if kind is None:
        return None
    existing = await filing_of_agreement(uow, agreement.id)
    if existing is not None:
        return existing
    if case.court_id is None:
        log.warning("case %s is %s but names no court: agreement %s not filed",
                    case.id, case.channel, agreement.id)
        await add_event(uow, services, case, "court_filing_skipped", PLATFORM,
                        data={"agreement_id": agreement.id, "reason": "the case names no court"})
        return None
    now = services.clock.now()
    filing = CourtFiling(
        case_id=case.id, agreement_id=agreement.id, court_id=case.court_id, kind=kind,
        status=CourtFilingStatus.SUBMITTED, submitted_at=now,
    )
    uow.session.add(filing)
    await uow.session.flush()
    facts = {"filing_id": filing.id, "agreement_id": agreement.id, "court_id": case.court_id,
             "kind": str(kind), "document_id": document.id}
    await audit(uow, services.clock, action="court_filing.submitted", actor_id=None,
                actor_label=PLATFORM.label, subject_type="court_filing",
                subject_id=str(filing.id), data={"case_id": case.id, **facts})
    if kind == CourtFilingKind.RETURN and case.status == CaseStatus.AGREEMENT_EFFECTIVE:
        # L37, SMR 20: the entrusting court reviews it; the case waits for the court.
        await transition(uow, services, case, CaseEventKind.SUBMIT_TO_COURT, PLATFORM, data=facts)
    elif kind == CourtFilingKind.RETURN:
        # The case moved on meanwhile: file it all the same (never fail the PDF job on it).
        await add_event(uow, services, case, "agreement_returned_to_court", PLATFORM,
                        data={**facts, "case_status": case.status})
    else:
        # L37, SMR 19: served on both parties already (L17); filed for record.
        await add_event(uow, services, case, "agreement_filed_for_record", PLATFORM, data=facts)
    await notify_users(
        uow, services, await court_staff(uow, case.court_id), template="court_filing_received",
        context={"number": case.number, "filing_kind": str(kind)},
        key=f"court_filing:{filing.id}:received",
    )
    return filing


@dataclass(frozen=True)
class CourtAct:
    """Who acts for the court, as the documents name them."""

    who: Who
    user_id: int
    name: str


async def _check(filing: CourtFiling, kind: CourtFilingKind, act: str) -> None:
    if filing.kind != kind:
        wanted = "returned (entrusted)" if kind == CourtFilingKind.RETURN else "record (delegated)"
        raise Conflict(
            f"{act} is possible only on a {wanted} filing; this one is a {filing.kind} filing (L37)",
            code="wrong_filing_kind", details={"kind": filing.kind},
        )
    if filing.status != CourtFilingStatus.SUBMITTED:
        raise Conflict(f"this filing was already handled ({filing.status})",
                       code="filing_already_handled", details={"status": filing.status})


async def record_filing(
    uow: UnitOfWork, services: Services, case: Case, filing: CourtFiling, act: CourtAct,
    note: str = "",
) -> CourtFiling:
    """The court acknowledges a delegated agreement filed for record (备案, L37)."""
    await _check(filing, CourtFilingKind.RECORD, "acknowledging a record filing")
    now = services.clock.now()
    filing.status = CourtFilingStatus.RECORDED
    filing.handled_by_id = act.user_id
    filing.handled_at = now
    filing.note = note
    await add_event(uow, services, case, "agreement_recorded", act.who, data={
        "filing_id": filing.id, "agreement_id": filing.agreement_id, "court_id": filing.court_id,
    })
    await notify_users(
        uow, services, await case_parties_and_agents(uow, services, case),
        template="court_filing_recorded", context={"number": case.number},
        key=f"court_filing:{filing.id}:recorded",
    )
    return filing


async def effective_content(uow: UnitOfWork, agreement: Agreement) -> AgreementContent:
    """The content of the version that took effect."""
    number = agreement.effective_version or agreement.current_version
    version = (await uow.session.execute(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number
        )
    )).scalar_one_or_none()
    if version is None:
        raise NotFound("the agreement's effective version is missing")
    return AgreementContent.model_validate(version.content)


async def document_data(
    uow: UnitOfWork, services: Services, case: Case, filing: CourtFiling,
    kind: CourtDocumentKind, act: CourtAct, text: str, outcome_code: str,
) -> CourtDocumentData:
    """What the statement or ruling shows (masked IDs only: the court has the full file)."""
    agreement = await uow.session.get(Agreement, filing.agreement_id)
    court = await uow.session.get(Court, filing.court_id)
    if agreement is None or court is None:
        raise NotFound("the filing's agreement or court is missing")
    content = await effective_content(uow, agreement)
    institution = (await uow.session.get(Institution, case.institution_id)
                   if case.institution_id is not None else None)
    base = services.settings.public_base_url.rstrip("/")
    return CourtDocumentData(
        kind=kind, court_name=court.name_zh, case_number=content.case_number or case.number,
        case_title=case.title, institution_name=content.institution_name or (
            getattr(institution, "name_zh", "") if institution is not None else ""),
        mediator_name=content.mediator_name,
        parties=[PartyLine(side=p.side, name=p.name, id_masked=p.id_masked, address=p.address,
                           agent_name=p.agent_name) for p in content.parties],
        terms=[TermLine(text=t.text, amount_fen=t.amount_fen, manner=t.manner, due_on=t.due_on)
               for t in content.terms],
        other_terms=content.other_terms, facts=content.facts, text=text,
        outcome_code=outcome_code, issued_on=local_day(services.clock.now()),
        judge_name=act.name, agreement_code=agreement.verification_code,
        verify_url=f"{base}/verify/{outcome_code}",
    )


async def sign_court_pdf(
    uow: UnitOfWork, services: Services, court_id: int, pdf: bytes, *, reason: str
) -> bytes:
    """PAdES-sign ``pdf`` with the court's key and a trusted timestamp."""
    signer = await signer_for_court(services, court_id, session=uow.session)
    court = await uow.session.get(Court, court_id)
    return await sign_pdf(services, pdf, signer, reason=reason,
                          location=court.address if court is not None else "")


async def render_signed(
    uow: UnitOfWork, services: Services, data: CourtDocumentData, court_id: int
) -> bytes:
    """Render off the event loop, then sign with the court's key."""
    pdf = await asyncio.to_thread(render_court_document, data, services.settings.pdf_cjk_font_path)
    return await sign_court_pdf(
        uow, services, court_id, pdf, reason=f"{data.court_name} {DOCUMENT_TITLES[data.kind]}"
    )


async def serve_on_parties(
    uow: UnitOfWork, services: Services, case: Case, document: CaseDocument, who: Who
) -> tuple[list[int], list[int]]:
    """Serve on every party that consents to e-service (L33); the others get paper (L35).

    Returns (served party ids, paper party ids). A party without consent is put
    in the staff's paper-copy queue (one request per document and party) and on
    the timeline.
    """
    consenting: list[int] = []
    paper: list[dict[str, Any]] = []
    for party in await parties_of(uow.session, case.id):
        consent = await party_consent(uow.session, case, party)
        if consent.consents:
            consenting.append(party.id)
            continue
        paper.append({"party_id": party.id, "name": party.name, "reason": consent.refusal})
        uow.session.add(PaperCopyRequest(
            case_id=case.id, party_id=party.id, document_id=document.id,
            address=party.address or "", status=PaperCopyStatus.REQUESTED, requested_by_id=None,
            requested_at=services.clock.now(),
            note=f"{document.title}: no consent to electronic service (L33, L35)"[:500],
        ))
    if consenting:
        await serve_document(uow, services, case, document, consenting, who)
    if paper:
        await uow.session.flush()
        await add_event(uow, services, case, "paper_service_required", who, data={
            "document_id": document.id, "title": document.title, "parties": paper,
        })
    return consenting, [int(p["party_id"]) for p in paper]


@dataclass(frozen=True)
class Issued:
    filing: CourtFiling
    document: CaseDocument
    served_party_ids: list[int]
    paper_party_ids: list[int]


async def new_outcome_code(uow: UnitOfWork) -> str:
    while True:
        code = secrets.token_hex(8).upper()
        taken = (await uow.session.execute(
            select(CourtFiling.id).where(CourtFiling.outcome_code == code)
        )).scalar_one_or_none()
        if taken is None:
            return code


async def prepare_court_document(
    uow: UnitOfWork, services: Services, case: Case, filing: CourtFiling,
    kind: CourtDocumentKind, act: CourtAct, text: str,
) -> tuple[CourtDocumentData, bytes]:
    """Check the filing allows the act, then render and sign the document (before writing)."""
    await _check(filing, CourtFilingKind.RETURN, DOCUMENT_TITLES[kind])
    code = await new_outcome_code(uow)
    data = await document_data(uow, services, case, filing, kind, act, text, code)
    pdf = await render_signed(uow, services, data, filing.court_id)
    return data, pdf


async def issue_court_document(
    uow: UnitOfWork, services: Services, case: Case, filing: CourtFiling,
    kind: CourtDocumentKind, act: CourtAct, text: str, data: CourtDocumentData, pdf: bytes,
) -> Issued:
    """Store, serve and record the prepared statement or ruling; move the case.

    The caller holds the case row locked; the filing is checked again here, so
    a concurrent act that won the race leaves this one a 409 with nothing written.
    """
    await _check(filing, CourtFilingKind.RETURN, DOCUMENT_TITLES[kind])
    now = services.clock.now()
    document = await add_document(
        uow, services, case, title=DOCUMENT_TITLES[kind], kind=DocumentKind.RULING,
        filename=f"{kind.value}-{case.id}-{filing.id}.pdf", data=pdf,
        content_type="application/pdf", who=act.who,
    )
    filing.status = (CourtFilingStatus.STATEMENT_ISSUED if kind == CourtDocumentKind.STATEMENT
                     else CourtFilingStatus.WITHDRAWAL_RULED)
    filing.handled_by_id = act.user_id
    filing.handled_at = now
    filing.outcome_document_id = document.id
    filing.outcome_code = data.outcome_code
    filing.note = text
    facts = {"filing_id": filing.id, "document_id": document.id, "outcome_code": data.outcome_code,
             "court_id": filing.court_id}
    await audit(uow, services.clock, action=f"court_filing.{filing.status}", actor_id=act.user_id,
                actor_label=act.who.label, subject_type="court_filing", subject_id=str(filing.id),
                data={"case_id": case.id, **facts})
    if kind == CourtDocumentKind.STATEMENT:
        await transition(uow, services, case, CaseEventKind.ISSUE_MEDIATION_STATEMENT, act.who,
                         data=facts)
    else:
        await transition(uow, services, case, CaseEventKind.RULE_WITHDRAWAL, act.who,
                         reason=text, data=facts)
    served, paper = await serve_on_parties(uow, services, case, document, act.who)
    return Issued(filing, document, served, paper)


async def court_act(uow: UnitOfWork, who: Who) -> CourtAct:
    user = await uow.session.get(User, who.user_id) if who.user_id is not None else None
    return CourtAct(who=who, user_id=who.user_id or 0, name=user.real_name if user else "")

"""The designated judge's ruling on a confirmation application (L26).

``rule`` runs in two steps so no write lock is held while the PDF is rendered
and signed:

1. read: load the application, check the policy (``CONFIRMATION_RULE``: the
   designated judge, application accepted) and gather the ruling's text;
   render the 民事裁定书 and sign it with the court's key (PAdES, timestamp);
2. write: lock the case and the application, check again (a second ruling in
   the meantime gets 409/403 and nothing is stored), store the signed PDF as a
   case document of kind ``ruling``, record the outcome, move the case
   (``confirm`` or ``reject_confirmation``), close the court's clocks, serve the
   ruling electronically on every party who consents (L33-L35) and put the
   others on the timeline for paper service, and tell the parties — after a
   rejection, that they may mediate again or sue (CPL 206).
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agreements.confirmation.court import (
    authorized,
    cancel_questioning,
    close_court_clocks,
    load_application,
    notify_parties,
)
from agreements.confirmation.court_deadlines import DECISION, subject_of
from agreements.confirmation.ruling_pdf import RulingParty, RulingPdfData, RulingTerm, render_ruling
from agreements.models import (
    Agreement,
    AgreementVersion,
    ConfirmationApplication,
    ConfirmationStatus,
)
from agreements.pdf.data import verify_url
from odr.accounts.models import User
from odr.calendar.periods import local_day
from odr.cases.deadlines.service import close_deadlines
from odr.cases.documents.service import add_document
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseDocument, CaseParty, DeadlineStatus, DocumentKind
from odr.cases.transitions import Who, add_event, transition
from odr.db.uow import UnitOfWork
from odr.errors import ValidationFailed
from odr.eservice.addresses import party_consent
from odr.eservice.receipts import mask_id
from odr.eservice.service import serve_document
from odr.orgs.models import Court, Institution
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services


class Outcome(StrEnum):
    VALID = "valid"  # 确认有效: enforceable
    REJECTED = "rejected"  # 驳回申请


class RejectionGround(StrEnum):
    """INT 358 (JC 7): why an application is rejected."""

    BREAKS_MANDATORY_LAW = "breaks_mandatory_law"
    HARMS_INTERESTS = "harms_interests"  # the state's, the public's or others' lawful interests
    AGAINST_PUBLIC_ORDER = "against_public_order"
    NOT_VOLUNTARY = "not_voluntary"
    CONTENT_UNCLEAR = "content_unclear"
    OTHER_EXCLUDED = "other_excluded"  # other cases that cannot be confirmed (incl. INT 355 kinds)


GROUND_ZH: dict[str, str] = {
    RejectionGround.BREAKS_MANDATORY_LAW: "违反法律强制性规定",
    RejectionGround.HARMS_INTERESTS: "损害国家利益、社会公共利益或者他人合法权益",
    RejectionGround.AGAINST_PUBLIC_ORDER: "违背公序良俗",
    RejectionGround.NOT_VOLUNTARY: "违反自愿原则",
    RejectionGround.CONTENT_UNCLEAR: "内容不明确",
    RejectionGround.OTHER_EXCLUDED: "属于其他不能进行司法确认的情形",
}
REMEDIES = ("当事人可以通过调解方式变更原调解协议或者达成新的调解协议（可在本平台重新调解），"
            "也可以向人民法院提起诉讼。")
RULING_TITLE = "民事裁定书"


@dataclass(frozen=True)
class Ruled:
    application: ConfirmationApplication
    document: CaseDocument
    served_party_ids: list[int]
    paper_party_ids: list[int]


def check_outcome(outcome: str, ground: str | None) -> None:
    if outcome == Outcome.VALID and ground is not None:
        raise ValidationFailed("a valid ruling has no rejection ground",
                               details=[{"field": "ground"}])
    if outcome == Outcome.REJECTED and ground is None:
        raise ValidationFailed("a rejection names its INT 358 ground (L26)",
                               code="ground_required", details=[{"field": "ground"}])


async def ruling_data(
    session: Any, services: Services, application: ConfirmationApplication, case: Case, *,
    outcome: str, ground: str | None, reason: str, code: str, now: datetime,
) -> RulingPdfData:
    """The ruling's text from the application, its case, agreement, court and judge."""
    court = await session.get(Court, application.court_id)
    judge = await session.get(User, application.judge_user_id)
    agreement = await session.get(Agreement, application.agreement_id)
    assert court is not None and judge is not None and agreement is not None
    version = agreement.effective_version or agreement.current_version
    content = (await session.execute(select(AgreementVersion.content).where(
        AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == version,
    ))).scalar_one()
    parties = list((await session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.side, CaseParty.id)
    )).scalars())
    institution_name = str(content.get("institution_name") or "")
    if not institution_name and case.institution_id is not None:
        institution = await session.get(Institution, case.institution_id)
        institution_name = institution.name_zh if institution else ""
    terms = [RulingTerm(
        text=str(t.get("text", "")), amount_fen=t.get("amount_fen"), manner=str(t.get("manner") or ""),
        due_on=datetime.fromisoformat(t["due_on"]).date() if t.get("due_on") else None,
    ) for t in content.get("terms", [])]
    return RulingPdfData(
        court_name=court.name_zh, case_number=case.number, ruling_code=code, outcome=outcome,
        parties=[RulingParty(p.name, mask_id(p.id_doc_type, p.id_doc_last4), p.address, p.side)
                 for p in parties],
        institution_name=institution_name,
        applied_on=local_day(application.applied_at or application.created_at),
        effective_on=local_day(agreement.effective_at or application.created_at),
        judge_name=judge.real_name or f"#{judge.id}", ruled_on=local_day(now),
        verify_url=verify_url(services.settings.public_base_url, code),
        terms=terms if outcome == Outcome.VALID else [],
        ground_text=GROUND_ZH.get(ground or "", ""), reason=_sentence(reason),
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。.!！?？" else text + "。"


async def sign_ruling(services: Services, pdf: bytes, court_id: int) -> bytes:
    """PAdES-sign ``pdf`` with the court's key (``agreements.pki`` / ``agreements.pdf``)."""
    from agreements.pdf.sign import sign_pdf
    from agreements.pki.signers import signer_for_court

    signer: Any = signer_for_court(services, court_id)
    if inspect.isawaitable(signer):
        signer = await signer
    signed: Any = sign_pdf(services, pdf, signer, reason="民事裁定书（司法确认）",
                           location="在线调解平台")
    if inspect.isawaitable(signed):
        signed = await signed
    return bytes(signed)


async def rule(
    services: Services, actor: Actor, application_id: int, *, outcome: str,
    ground: str | None, reason: str,
) -> Ruled:
    """Rule valid or reject (L26); see the module docstring for the two steps."""
    check_outcome(outcome, ground)
    code = secrets.token_hex(8).upper()
    now = services.clock.now()
    async with services.db.reader() as uow:
        loaded = await load_application(uow, services, application_id, lock=False)
        authorize(actor, Permission.CONFIRMATION_RULE, loaded.view)
        data = await ruling_data(uow.session, services, loaded.application, loaded.case,
                                 outcome=outcome, ground=ground, reason=reason, code=code, now=now)
        court_id = loaded.application.court_id
    pdf = await asyncio.to_thread(render_ruling, data, services.settings.pdf_cjk_font_path)
    signed = await sign_ruling(services, pdf, court_id)
    async with services.db.uow() as uow:
        return await _record(uow, services, actor, application_id, signed, outcome=outcome,
                             ground=ground, reason=reason, code=code)


async def _record(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int, pdf: bytes, *,
    outcome: str, ground: str | None, reason: str, code: str,
) -> Ruled:
    loaded = await authorized(uow, services, actor, application_id, Permission.CONFIRMATION_RULE)
    application, case = loaded.application, loaded.case
    who = Who.of(actor)
    now = services.clock.now()
    document = await add_document(
        uow, services, case, title=RULING_TITLE, kind=DocumentKind.RULING,
        filename=f"ruling-{code}.pdf", data=pdf, content_type="application/pdf", who=who,
    )
    valid = outcome == Outcome.VALID
    application.status = ConfirmationStatus.CONFIRMED if valid else ConfirmationStatus.REJECTED
    application.ruled_at = now
    application.rejection_ground = None if valid else ground
    application.ruling_reason = reason
    application.ruling_document_id = document.id
    application.ruling_code = code
    await close_deadlines(uow, services, case.id, kind=DECISION, subject=subject_of(application),
                          status=DeadlineStatus.MET, who=who, reason="ruled")
    await close_court_clocks(uow, services, application, who, reason="ruled")
    await cancel_questioning(uow, services, case, application, who, "已作出裁定")
    event_data = {"application_id": application.id, "outcome": outcome, "ground": ground,
                  "reason": reason, "document_id": document.id, "ruling_code": code,
                  "judge_user_id": application.judge_user_id, "rule": "L26"}
    await add_event(uow, services, case, "confirmation_ruled", who, data=event_data)
    await transition(uow, services, case,
                     CaseEventKind.CONFIRM if valid else CaseEventKind.REJECT_CONFIRMATION, who,
                     reason=reason or None,
                     data={"application_id": application.id, "document_id": document.id,
                           "outcome": outcome, "ground": ground})
    served, paper = await serve_ruling(uow, services, case, document, who)
    detail = (f"裁定书已送达，核验码{code}。一方拒绝履行的，对方可向法院申请强制执行。" if valid else
              f"驳回理由：{GROUND_ZH.get(ground or '', '')}。{_sentence(reason)}{REMEDIES}")
    await notify_parties(uow, services, case, application, "confirmed" if valid else "rejected",
                         detail, key="ruled")
    return Ruled(application, document, served, paper)


async def serve_ruling(
    uow: UnitOfWork, services: Services, case: Case, document: CaseDocument, who: Who
) -> tuple[list[int], list[int]]:
    """Serve electronically on every consenting party (L33); the others on paper (timeline)."""
    parties = list((await uow.session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
    )).scalars())
    consenting: list[int] = []
    paper: list[dict[str, Any]] = []
    for party in parties:
        consent = await party_consent(uow.session, case, party)
        if consent.consents:
            consenting.append(party.id)
        else:
            paper.append({"party_id": party.id, "name": party.name, "reason": consent.refusal})
    if consenting:
        await serve_document(uow, services, case, document, consenting, who)
    if paper:
        await add_event(uow, services, case, "ruling_paper_service", who, data={
            "document_id": document.id, "parties": paper, "rule": "L33",
        })
    return consenting, [p["party_id"] for p in paper]

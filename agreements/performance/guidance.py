"""What a party can do when a term is not performed.

- Enforceable: the agreement was confirmed valid by a court (L26; the
  confirming court or a court of the same level where the property is
  enforces it, INT 460), or the court issued a mediation statement on it
  (L37; the court of first instance, CPL 235). The party applies to that
  court with the ruling or the statement, within two years counted from the
  last day of performance (the last instalment's, CPL 250).
- Not enforceable: the agreement binds as a contract (PML 31); the party may
  sue on it (PML 32), or, while the window is open, both parties may apply for
  judicial confirmation within 30 days of the agreement taking effect (L21).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from agreements.models import (
    Agreement,
    ConfirmationApplication,
    ConfirmationStatus,
    CourtFiling,
    CourtFilingStatus,
    PerformanceItem,
)
from odr.calendar.periods import days_after, local_day
from odr.calendar.store import load_rest_calendar
from odr.cases.lifecycle import CONFIRMATION_CHANNELS, CaseStatus
from odr.cases.models import Case, CaseDocument
from odr.db.uow import UnitOfWork
from odr.orgs.models import Court

ENFORCEMENT_YEARS = 2  # CPL 250
CONFIRMATION_WINDOW_DAYS = 30  # L21


@dataclass(frozen=True)
class Enforcement:
    basis: str  # confirmed | mediation_statement
    court_id: int
    court_name: str
    document_id: int | None
    document_title: str
    bring: list[str]
    apply_by: date  # two years from the last day of performance (CPL 250)
    rule: str
    text: str


@dataclass(frozen=True)
class ContractRemedy:
    text: str
    may_apply_for_confirmation: bool
    confirmation_last_day: date | None
    rule: str


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def _court_name(uow: UnitOfWork, court_id: int) -> str:
    court = await uow.session.get(Court, court_id)
    return court.name_zh if court is not None else ""


async def _title(uow: UnitOfWork, document_id: int | None, default: str) -> str:
    document = await uow.session.get(CaseDocument, document_id) if document_id else None
    return document.title if document is not None else default


async def enforcement(
    uow: UnitOfWork, case: Case, items: list[PerformanceItem]
) -> Enforcement | None:
    """How to apply for enforcement, when the case has an enforceable title; else None."""
    last_due = max((i.due_on for i in items), default=None)
    if last_due is None:
        return None
    apply_by = years_later(last_due, ENFORCEMENT_YEARS)
    limit = (f"申请执行的期间为二年，从最后一期履行期限届满之日（{last_due.isoformat()}）起计算，"
             f"即最迟于{apply_by.isoformat()}前申请（民事诉讼法第二百五十条；时效可中止、中断）。")
    if case.status == CaseStatus.CONFIRMED:
        application = (await uow.session.execute(
            select(ConfirmationApplication).where(
                ConfirmationApplication.case_id == case.id,
                ConfirmationApplication.status == ConfirmationStatus.CONFIRMED,
            ).order_by(ConfirmationApplication.id.desc()).limit(1)
        )).scalar_one_or_none()
        if application is not None:
            name = await _court_name(uow, application.court_id)
            title = await _title(uow, application.ruling_document_id, "民事裁定书（确认调解协议有效）")
            return Enforcement(
                basis="confirmed", court_id=application.court_id, court_name=name,
                document_id=application.ruling_document_id, document_title=title,
                bring=[title, "调解协议书", "申请执行书", "申请人身份证明"],
                apply_by=apply_by, rule="CPL 250, INT 460, PML 33",
                text=(f"调解协议已经{name}裁定确认有效。对方拒绝履行或者未全部履行的，"
                      f"可以向{name}（或与其同级的被执行财产所在地人民法院）申请强制执行，"
                      f"并提交{title}。{limit}"),
            )
    filing = (await uow.session.execute(
        select(CourtFiling).where(
            CourtFiling.case_id == case.id,
            CourtFiling.status == CourtFilingStatus.STATEMENT_ISSUED,
        ).order_by(CourtFiling.id.desc()).limit(1)
    )).scalar_one_or_none()
    if filing is not None:
        name = await _court_name(uow, filing.court_id)
        title = await _title(uow, filing.outcome_document_id, "民事调解书")
        return Enforcement(
            basis="mediation_statement", court_id=filing.court_id, court_name=name,
            document_id=filing.outcome_document_id, document_title=title,
            bring=[title, "申请执行书", "申请人身份证明"], apply_by=apply_by,
            rule="CPL 250, CPL 235",
            text=(f"{name}已就本案出具民事调解书。对方不履行的，可以向{name}"
                  f"（或与其同级的被执行财产所在地人民法院）申请强制执行，并提交{title}。{limit}"),
        )
    return None


async def contract_remedy(
    uow: UnitOfWork, case: Case, agreement: Agreement | None, today: date
) -> ContractRemedy:
    """For an agreement no court made enforceable: a contract; sue, or confirm in time."""
    last_day: date | None = None
    may_confirm = False
    if (agreement is not None and agreement.effective_at is not None
            and case.channel in CONFIRMATION_CHANNELS
            and case.status == CaseStatus.AGREEMENT_EFFECTIVE):
        calendar = await load_rest_calendar(uow.session)
        last_day = days_after(calendar, local_day(agreement.effective_at),
                              CONFIRMATION_WINDOW_DAYS).last_day
        may_confirm = today <= last_day
    text = ("本调解协议未经人民法院确认，不能直接申请强制执行，但具有法律约束力，当事人应当按照约定履行"
            "（人民调解法第三十一条）。对方不履行的，可以就调解协议的履行或者内容向人民法院提起诉讼"
            "（人民调解法第三十二条）")
    if may_confirm and last_day is not None:
        text += (f"；也可以在{last_day.isoformat()}（协议生效之日起三十日）前由双方共同申请司法确认，"
                 "经确认有效后可申请强制执行（人民调解法第三十三条）")
    return ContractRemedy(text=text + "。", may_apply_for_confirmation=may_confirm,
                          confirmation_last_day=last_day, rule="PML 31-33, L21")

"""The court's clocks of a judicial confirmation application (L25, L27).

- ``confirmation_acceptance``: 3 days from the application (the last party
  joined) to decide acceptance (JC 4). Opened by a hook on the case's
  ``apply_confirmation`` transition; missed → the court's judges and clerks are
  told and the timeline shows the overdue acceptance (escalation).
- ``confirmation_decision``: 15 days from acceptance to rule (JC 5), extendable
  once by 10 with approval, never beyond CPL 187's 30 days; missed → the
  designated judge and the court's staff are told (escalation).
- ``confirmation_supplement``: the days the court gave for missing materials
  (L23); missed while still unanswered → the application is deemed withdrawn
  (L27, INT 357) by ``agreements.confirmation.court.deem_withdrawn``.

Periods are counted by L36 (``odr.cases.deadlines.service.open_deadline``).
Reminders come from the deadline sweep (``deadline_recipients`` below names who).
This module is listed in ``odr.cases.hooks.HOOK_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from agreements.models import ConfirmationApplication, ConfirmationStatus
from odr.accounts.models import Membership, Role
from odr.cases.deadlines.service import deadline_recipients, on_deadline_missed
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, Deadline, EventVisibility
from odr.cases.progress.vocabulary import register_kind_labels
from odr.cases.transitions import TransitionContext, Who, add_event, on_transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

ACCEPTANCE = "confirmation_acceptance"
DECISION = "confirmation_decision"
SUPPLEMENT = "confirmation_supplement"
COURT_KINDS = (ACCEPTANCE, DECISION, SUPPLEMENT)
SUBJECT = "confirmation_application"

ACCEPTANCE_DAYS = 3  # JC 4
DECISION_DAYS = 15  # JC 5
EXTENSION_DAYS = 10  # JC 5, once, with approval
OUTER_BOUND_DAYS = 30  # CPL 187
CLOCK = Who.system("confirmation clock")

register_kind_labels("confirmation_accepted", zh="法院受理司法确认申请", en="Confirmation accepted")
register_kind_labels("confirmation_not_accepted", zh="法院不予受理司法确认申请",
                     en="Confirmation not accepted")
register_kind_labels("confirmation_supplement_requested", zh="法院要求补充材料",
                     en="Supplementary materials requested")
register_kind_labels("confirmation_supplement_answered", zh="当事人已补充材料",
                     en="Supplementary materials provided")
register_kind_labels("confirmation_deemed_withdrawn", zh="逾期未补充材料，按撤回申请处理",
                     en="Deemed withdrawn (supplement not provided)")
register_kind_labels("confirmation_extended", zh="审查期限延长", en="Review period extended")
register_kind_labels("confirmation_questioning_scheduled", zh="安排共同询问",
                     en="Joint questioning scheduled")
register_kind_labels("confirmation_overdue", zh="司法确认期限已届满", en="Confirmation deadline passed")
register_kind_labels("confirmation_ruled", zh="作出司法确认裁定", en="Confirmation ruling made")
register_kind_labels("ruling_paper_service", zh="裁定书需纸质送达", en="Ruling to be served on paper")


def subject_of(application: ConfirmationApplication) -> tuple[str, int]:
    return (SUBJECT, application.id)


async def application_of(uow: UnitOfWork, deadline: Deadline) -> ConfirmationApplication | None:
    if deadline.subject_type != SUBJECT or deadline.subject_id is None:
        return None
    return (await uow.session.execute(
        select(ConfirmationApplication).where(ConfirmationApplication.id == deadline.subject_id)
        .with_for_update()
    )).scalar_one_or_none()


async def court_staff(uow: UnitOfWork, court_id: int, *roles: str) -> list[int]:
    """Users with a membership of ``court_id`` in ``roles`` (default judges and clerks)."""
    wanted = roles or (Role.JUDGE, Role.CLERK)
    return list(dict.fromkeys((await uow.session.execute(
        select(Membership.user_id).where(Membership.court_id == court_id,
                                         Membership.role.in_(wanted))
        .order_by(Membership.user_id)
    )).scalars()))


@on_transition(CaseEventKind.APPLY_CONFIRMATION)
async def open_acceptance_clock(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """Every party joined (L20): the court has 3 days to decide acceptance (L25, JC 4)."""
    from odr.cases.deadlines.service import find_live_deadline, open_deadline

    stmt = select(ConfirmationApplication).where(ConfirmationApplication.case_id == ctx.case.id)
    wanted = ctx.data.get("application_id")
    if wanted is not None:
        stmt = stmt.where(ConfirmationApplication.id == int(wanted))
    else:
        stmt = stmt.where(ConfirmationApplication.status.in_(
            (ConfirmationStatus.GATHERING, ConfirmationStatus.APPLIED)))
    application = (await uow.session.execute(
        stmt.order_by(ConfirmationApplication.id.desc()).limit(1)
    )).scalar_one_or_none()
    if application is None:
        return
    subject = subject_of(application)
    if await find_live_deadline(uow, ctx.case.id, ACCEPTANCE, subject=subject) is not None:
        return
    await open_deadline(
        uow, services, ctx.case, ACCEPTANCE, ACCEPTANCE_DAYS,
        starts_at=application.applied_at or services.clock.now(), rule="L25",
        subject_type=subject[0], subject_id=subject[1], who=CLOCK,
    )


@on_transition(CaseEventKind.WITHDRAW_CONFIRMATION)
async def cancel_questioning_of_withdrawn(
    services: Services, uow: UnitOfWork, ctx: TransitionContext
) -> None:
    """A withdrawn (or refused, deemed withdrawn) application's questioning cannot happen."""
    from agreements.confirmation.court import cancel_questioning

    wanted = ctx.data.get("application_id")
    if wanted is None:
        return
    application = await uow.session.get(ConfirmationApplication, int(wanted))
    if application is not None:
        await cancel_questioning(uow, services, ctx.case, application, ctx.who,
                                 ctx.reason or "司法确认申请已撤回")


@deadline_recipients(ACCEPTANCE)
async def remind_court(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
                       ) -> list[int]:
    """Acceptance is the court's act: its judges and clerks are reminded, not the parties."""
    application = await application_of(uow, deadline)
    return [] if application is None else await court_staff(uow, application.court_id)


@deadline_recipients(DECISION)
async def remind_judge(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
                       ) -> list[int]:
    """The designated judge is reminded before the ruling falls due (and the court's clerks)."""
    application = await application_of(uow, deadline)
    if application is None:
        return []
    clerks = await court_staff(uow, application.court_id, Role.CLERK)
    judge = [application.judge_user_id] if application.judge_user_id else []
    return [*judge, *clerks]


@deadline_recipients(SUPPLEMENT)
async def remind_applicants(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
                            ) -> list[int]:
    """The parties (and their agents) owe the materials."""
    from odr.cases.deadlines.notices import case_parties_and_agents

    return await case_parties_and_agents(uow, services, case)


@on_deadline_missed(ACCEPTANCE)
@on_deadline_missed(DECISION)
async def escalate_overdue(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
                           ) -> None:
    """The court let its own period pass: every judge and clerk of the court is told, and the
    timeline says so (the application stays where it is; only the court can act on it)."""
    from odr.notify.service import notify_users

    application = await application_of(uow, deadline)
    if application is None or application.status in _CLOSED:
        return
    staff = await court_staff(uow, application.court_id)
    if application.judge_user_id and application.judge_user_id not in staff:
        staff.insert(0, application.judge_user_id)
    notified = await notify_users(
        uow, services, staff, template="confirmation_overdue",
        context={"number": case.number, "deadline": deadline.kind,
                 "last_day": deadline.last_day.isoformat()},
        key=f"confirmation:{application.id}:overdue:{deadline.id}",
    )
    await add_event(
        uow, services, case, "confirmation_overdue", CLOCK,
        data={"application_id": application.id, "deadline_id": deadline.id,
              "deadline_kind": deadline.kind, "last_day": deadline.last_day.isoformat(),
              "rule": "L25", "notified": notified},
        visibility=EventVisibility.ALL,
    )


@on_deadline_missed(SUPPLEMENT)
async def supplement_missed(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
                            ) -> None:
    """L27 (INT 357): the supplement deadline passed unanswered: deemed withdrawn."""
    from agreements.confirmation.court import deem_withdrawn

    application = await application_of(uow, deadline)
    if application is None or application.status != ConfirmationStatus.SUPPLEMENT_REQUESTED:
        return  # answered in time (or closed otherwise): nothing to do
    await deem_withdrawn(uow, services, case, application, deadline)


_CLOSED = frozenset({
    ConfirmationStatus.NOT_ACCEPTED, ConfirmationStatus.WITHDRAWN,
    ConfirmationStatus.DEEMED_WITHDRAWN, ConfirmationStatus.CONFIRMED,
    ConfirmationStatus.REJECTED, ConfirmationStatus.LAPSED,
})

"""The court's side of judicial confirmation before the ruling (L23, L25, L27).

Each act runs in the caller's unit of work, holds the case row and then the
application row (the lock order of every request that moves a case), checks
the policy on a ``ConfirmationView`` (the court is the application's court),
writes its timeline event (which is also its audit entry ``case.<kind>``) and
tells the parties. Nothing here costs anything: the court charges no fee (JC 11).

- ``accept``: within 3 days of the application (JC 4) one judge of that court is
  designated (JC 6) and the 15-day decision clock starts (JC 5, L36).
- ``refuse``: not accepted (an L24 kind, no jurisdiction). The case goes back to
  ``agreement_effective`` by ``withdraw_confirmation`` — the only way back the
  lifecycle has — with an explicit ``confirmation_not_accepted`` entry, so the
  parties may still apply to a competent court within the L21 window.
- ``request_supplement`` / ``supplement_answered`` (L23) and ``deem_withdrawn``
  when the supplement deadline passes unanswered (L27, INT 357).
- ``extend``: +10 days once, approved by another judge of the court (the
  president), never beyond CPL 187's 30 days (L25).
- ``schedule_questioning``: both parties questioned together (INT 356) in a
  video hearing presided over by the designated judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agreements.confirmation.court_deadlines import (
    ACCEPTANCE,
    ACCEPTANCE_DAYS,
    COURT_KINDS,
    DECISION,
    DECISION_DAYS,
    EXTENSION_DAYS,
    OUTER_BOUND_DAYS,
    SUPPLEMENT,
    subject_of,
)
from agreements.models import ConfirmationApplication, ConfirmationStatus
from odr.accounts.models import Membership, Role, User
from odr.audit.chain import record
from odr.calendar.periods import period_after
from odr.calendar.store import load_rest_calendar
from odr.cases.deadlines.service import (
    close_deadlines,
    extend_deadline,
    find_live_deadline,
    open_deadline,
    recompute,
)
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import Case, Deadline, DeadlineStatus
from odr.cases.queries import case_view
from odr.cases.transitions import Who, add_event, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound, ValidationFailed
from odr.eservice.notices import notify_case_participants
from odr.policy import Actor, Permission, authorize
from odr.policy.agreements import ConfirmationView

if TYPE_CHECKING:
    from odr.meetings.models import Meeting
    from odr.services import Services

PARTY_ROLES = ("applicant", "respondent")
MIN_SUPPLEMENT_DAYS = 1
MAX_SUPPLEMENT_DAYS = 30
NO_FEE = "司法确认不收取费用。"


@dataclass
class Loaded:
    """An application with its case (both locked when loaded for a write) and policy view."""

    application: ConfirmationApplication
    case: Case
    view: ConfirmationView


def confirmation_view_of(case_view_: Any, application: ConfirmationApplication) -> ConfirmationView:
    return ConfirmationView(
        case=case_view_, court_id=application.court_id, status=application.status,
        judge_user_id=application.judge_user_id,
    )


async def load_application(
    uow: UnitOfWork, services: Services, application_id: int, *, lock: bool
) -> Loaded:
    """The application and its case; with ``lock`` the case row, then the application row."""
    found = await uow.session.get(ConfirmationApplication, application_id)
    if found is None:
        raise NotFound("no such confirmation application", code="application_not_found")
    if lock:
        case = await load_case_for_update(uow, found.case_id)
        application = (await uow.session.execute(
            select(ConfirmationApplication).where(ConfirmationApplication.id == application_id)
            .with_for_update()
        )).scalar_one()
    else:
        loaded_case = await uow.session.get(Case, found.case_id)
        if loaded_case is None:
            raise NotFound("no such case")
        case, application = loaded_case, found
    view = await case_view(uow.session, case, services.clock.now())
    return Loaded(application, case, confirmation_view_of(view, application))


async def authorized(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int,
    permission: Permission, *, lock: bool = True,
) -> Loaded:
    loaded = await load_application(uow, services, application_id, lock=lock)
    authorize(actor, permission, loaded.view)
    return loaded


async def is_judge_of(uow: UnitOfWork, user_id: int, court_id: int) -> bool:
    """An active judge account with a judge's membership of ``court_id``."""
    row = (await uow.session.execute(
        select(Membership.id).join(User, User.id == Membership.user_id).where(
            Membership.user_id == user_id, Membership.court_id == court_id,
            Membership.role == Role.JUDGE, User.role == Role.JUDGE, User.is_active.is_(True),
        ).limit(1)
    )).scalar_one_or_none()
    return row is not None


async def notify_parties(
    uow: UnitOfWork, services: Services, case: Case, application: ConfirmationApplication,
    step: str, detail: str, *, key: str,
) -> int:
    """Tell every party (and agent) of the case what the court did (``confirmation_court_notice``)."""
    return await notify_case_participants(
        uow, services, case, "confirmation_court_notice",
        {"confirmation_step": step, "detail": detail}, roles=PARTY_ROLES,
        key=f"confirmation:{application.id}:{key}",
    )


async def notify_people(
    uow: UnitOfWork, services: Services, case: Case, application: ConfirmationApplication,
    user_ids: list[int], step: str, detail: str, *, key: str,
) -> int:
    from odr.notify.service import notify_users

    return await notify_users(
        uow, services, user_ids, template="confirmation_court_notice",
        context={"case_number": case.number, "number": case.number, "case_title": case.title,
                 "confirmation_step": step, "detail": detail},
        key=f"confirmation:{application.id}:{key}",
    )


async def live_clock(uow: UnitOfWork, application: ConfirmationApplication, kind: str
                     ) -> Deadline | None:
    return await find_live_deadline(uow, application.case_id, kind, subject=subject_of(application))


async def close_court_clocks(
    uow: UnitOfWork, services: Services, application: ConfirmationApplication, who: Who,
    *, reason: str, status: DeadlineStatus = DeadlineStatus.CANCELLED,
) -> None:
    await close_deadlines(uow, services, application.case_id, kind=COURT_KINDS,
                          subject=subject_of(application), status=status, who=who, reason=reason)


async def cancel_questioning(
    uow: UnitOfWork, services: Services, case: Case, application: ConfirmationApplication,
    who: Who, reason: str,
) -> None:
    """An upcoming questioning hearing of a closed application cannot happen: cancel it."""
    if application.questioning_meeting_id is None:
        return
    from odr.meetings.models import Meeting, MeetingStatus
    from odr.meetings.notices import notify_seats
    from odr.meetings.queries import seats_of
    from odr.meetings.scheduling import timeline_visibility

    meeting = await uow.session.get(Meeting, application.questioning_meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        return
    now = services.clock.now()
    meeting.status, meeting.cancelled_reason, meeting.updated_at = (
        MeetingStatus.CANCELLED, reason, now)
    data = {"meeting_id": meeting.id, "reason": reason, "starts_at": meeting.starts_at.isoformat()}
    await record(uow, services.clock, action="meeting.cancelled", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id, data=data)
    await add_event(uow, services, case, "meeting_cancelled", who, data=data,
                    visibility=timeline_visibility(meeting), audit=False)
    await notify_seats(uow, services, meeting, case, await seats_of(uow.session, meeting.id),
                       template="meeting_cancelled", key=f"meeting:{meeting.id}:cancelled",
                       extra={"reason": reason})


async def _back_to_effective(
    uow: UnitOfWork, services: Services, case: Case, who: Who, reason: str, data: dict[str, Any]
) -> None:
    """The application ended without a ruling: the case returns to ``agreement_effective``."""
    if case.status == CaseStatus.CONFIRMATION_APPLIED:
        await transition(uow, services, case, CaseEventKind.WITHDRAW_CONFIRMATION, who,
                         reason=reason, data=data)


def _data(application: ConfirmationApplication, **extra: Any) -> dict[str, Any]:
    return {"application_id": application.id, "court_id": application.court_id, **extra}


async def accept(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int, judge_user_id: int
) -> Loaded:
    """Accept the application and designate its one judge (L25, JC 4, JC 6)."""
    loaded = await authorized(uow, services, actor, application_id,
                              Permission.CONFIRMATION_COURT_ACT)
    application, case = loaded.application, loaded.case
    if application.status != ConfirmationStatus.APPLIED:
        raise Conflict(
            f"only an application awaiting acceptance can be accepted (it is {application.status})",
            code="not_awaiting_acceptance",
        )
    if not await is_judge_of(uow, judge_user_id, application.court_id):
        raise ValidationFailed(
            "the designated judge must be a judge of the court applied to (L25, JC 6)",
            code="judge_not_of_court", details=[{"field": "judge_user_id"}],
        )
    now = services.clock.now()
    who = Who.of(actor)
    application.status = ConfirmationStatus.ACCEPTED
    application.accepted_at = now
    application.judge_user_id = judge_user_id
    case_court_set = False
    if case.court_id is None:
        # A self-filed case has no court: the application's court becomes the case's, so its
        # judges may read the case and hold the questioning hearing (odr.policy.meetings).
        case.court_id = application.court_id
        case_court_set = True
    await close_deadlines(uow, services, case.id, kind=ACCEPTANCE, subject=subject_of(application),
                          status=DeadlineStatus.MET, who=who, reason="accepted")
    decision = await open_deadline(
        uow, services, case, DECISION, DECISION_DAYS, starts_at=now, rule="L25",
        subject_type=subject_of(application)[0], subject_id=application.id, who=who,
    )
    await add_event(uow, services, case, "confirmation_accepted", who, data=_data(
        application, judge_user_id=judge_user_id, decision_last_day=decision.last_day.isoformat(),
        case_court_set=case_court_set, fee_fen=0, rule="L25",
    ))
    detail = (f"审查法官已指定，法院应于{decision.last_day.isoformat()}前作出裁定。{NO_FEE}")
    await notify_parties(uow, services, case, application, "accepted", detail, key="accepted")
    await notify_people(uow, services, case, application, [judge_user_id], "judge_designated",
                        f"请于{decision.last_day.isoformat()}前作出裁定。", key="judge")
    return loaded


async def refuse(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int, reason: str
) -> Loaded:
    """Not accepted (e.g. an L24 kind, INT 355): closed, the case back to agreement_effective."""
    loaded = await authorized(uow, services, actor, application_id,
                              Permission.CONFIRMATION_COURT_ACT)
    application, case = loaded.application, loaded.case
    if application.accepted_at is not None:
        raise Conflict(
            "the application is already accepted: an excluded kind found now is ruled on "
            "(rejected) by the designated judge (INT 355 para. 2)", code="already_accepted",
        )
    now = services.clock.now()
    who = Who.of(actor)
    application.status = ConfirmationStatus.NOT_ACCEPTED
    application.closed_at = now
    application.close_reason = reason
    await close_court_clocks(uow, services, application, who, reason="not accepted")
    await add_event(uow, services, case, "confirmation_not_accepted", who,
                    data=_data(application, reason=reason, rule="L24"))
    await _back_to_effective(uow, services, case, who, reason,
                             _data(application, outcome="not_accepted"))
    await notify_parties(uow, services, case, application, "not_accepted", f"理由：{reason}",
                         key="not_accepted")
    return loaded


async def request_supplement(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int, note: str, days: int
) -> Deadline:
    """Ask for missing materials with a deadline (L23); unanswered, it counts as withdrawal (L27)."""
    loaded = await authorized(uow, services, actor, application_id,
                              Permission.CONFIRMATION_COURT_ACT)
    application, case = loaded.application, loaded.case
    if application.status == ConfirmationStatus.SUPPLEMENT_REQUESTED:
        raise Conflict("a supplement is already awaited", code="supplement_pending")
    if not MIN_SUPPLEMENT_DAYS <= days <= MAX_SUPPLEMENT_DAYS:
        raise ValidationFailed(f"days must be {MIN_SUPPLEMENT_DAYS}-{MAX_SUPPLEMENT_DAYS}",
                               details=[{"field": "days"}])
    who = Who.of(actor)
    if application.accepted_at is None:
        # Acceptance is decided on complete materials: its clock restarts once they arrive.
        await close_deadlines(uow, services, case.id, kind=ACCEPTANCE,
                              subject=subject_of(application), status=DeadlineStatus.CANCELLED,
                              who=who, reason="materials to supplement (L23)")
    application.status = ConfirmationStatus.SUPPLEMENT_REQUESTED
    application.supplement_note = note
    deadline = await open_deadline(
        uow, services, case, SUPPLEMENT, days, rule="L27",
        subject_type=subject_of(application)[0], subject_id=application.id, who=who,
    )
    await add_event(uow, services, case, "confirmation_supplement_requested", who, data=_data(
        application, note=note, days=days, last_day=deadline.last_day.isoformat(), rule="L23",
    ))
    await notify_parties(
        uow, services, case, application, "supplement",
        f"需补充：{note}。请于{deadline.last_day.isoformat()} 24:00前提交，"
        "逾期未补充的，按撤回申请处理。", key=f"supplement:{deadline.id}",
    )
    return deadline


async def supplement_answered(
    uow: UnitOfWork, services: Services, application: ConfirmationApplication,
    who: Who | None = None,
) -> bool:
    """The parties supplied the materials (called by the materials upload, case row held).

    Returns False when no supplement was awaited. The application returns to
    where it was (awaiting acceptance, with a fresh 3-day clock, or accepted).
    """
    if application.status != ConfirmationStatus.SUPPLEMENT_REQUESTED:
        return False
    case = await uow.session.get(Case, application.case_id)
    assert case is not None
    by = who or Who.system("applicants")
    await close_deadlines(uow, services, case.id, kind=SUPPLEMENT, subject=subject_of(application),
                          status=DeadlineStatus.MET, who=by, reason="materials supplemented")
    if application.accepted_at is None:
        application.status = ConfirmationStatus.APPLIED
        await open_deadline(
            uow, services, case, ACCEPTANCE, ACCEPTANCE_DAYS, rule="L25",
            subject_type=subject_of(application)[0], subject_id=application.id, who=by,
        )
    else:
        application.status = ConfirmationStatus.ACCEPTED
    await add_event(uow, services, case, "confirmation_supplement_answered", by,
                    data=_data(application, status=application.status, rule="L23"))
    from agreements.confirmation.court_deadlines import court_staff

    staff = await court_staff(uow, application.court_id)
    await notify_people(uow, services, case, application, staff, "supplement_answered",
                        "请继续审查。", key=f"supplement_answered:{services.clock.now():%Y%m%d%H%M%S}")
    return True


async def deem_withdrawn(
    uow: UnitOfWork, services: Services, case: Case, application: ConfirmationApplication,
    deadline: Deadline,
) -> None:
    """L27 (INT 357): the supplement deadline passed unanswered; treated as withdrawn."""
    who = Who.system("confirmation clock")
    reason = "逾期未补充材料，按撤回申请处理（L27）"
    application.status = ConfirmationStatus.DEEMED_WITHDRAWN
    application.closed_at = services.clock.now()
    application.close_reason = reason
    await close_court_clocks(uow, services, application, who, reason="deemed withdrawn")
    await cancel_questioning(uow, services, case, application, who, reason)
    await add_event(uow, services, case, "confirmation_deemed_withdrawn", who,
                    data=_data(application, deadline_id=deadline.id, rule="L27"))
    await _back_to_effective(uow, services, case, who, reason,
                             _data(application, outcome="deemed_withdrawn"))
    await notify_parties(uow, services, case, application, "deemed_withdrawn",
                         f"补充材料期限已于{deadline.last_day.isoformat()} 24:00届满。",
                         key="deemed_withdrawn")


async def extend(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int,
    approved_by_id: int, reason: str,
) -> Deadline:
    """+10 days once, with the approval of another judge (the president) of the court (L25)."""
    loaded = await authorized(uow, services, actor, application_id, Permission.CONFIRMATION_RULE)
    application, case = loaded.application, loaded.case
    if application.extended_at is not None:
        raise Conflict("the review period was already extended once (L25)",
                       code="already_extended")
    if approved_by_id == application.judge_user_id or not await is_judge_of(
        uow, approved_by_id, application.court_id
    ):
        raise ValidationFailed(
            "the extension is approved by the court's president or another judge of the court "
            "(JC 5), not by the designated judge", code="approver_not_judge_of_court",
            details=[{"field": "approved_by_id"}],
        )
    deadline = await live_clock(uow, application, DECISION)
    if deadline is None:
        raise Conflict("the review period has no running clock to extend (already passed?)",
                       code="no_decision_clock")
    assert application.accepted_at is not None
    calendar = await load_rest_calendar(uow.session)
    bound = period_after(calendar, application.accepted_at, OUTER_BOUND_DAYS, working=False)
    days = EXTENSION_DAYS
    while days > 0:
        deadline.extended_days += days
        candidate = recompute(calendar, deadline)
        deadline.extended_days -= days
        if candidate.last_day <= bound.last_day:
            break
        days -= 1
    if days <= 0:
        raise Conflict("an extension would pass CPL 187's 30 days", code="outer_bound")
    who = Who.of(actor)
    await extend_deadline(uow, services, case, deadline, days, who, reason=reason,
                          data={"approved_by_id": approved_by_id, "rule": "L25"})
    application.extended_at = services.clock.now()
    application.extension_approved_by_id = approved_by_id
    await add_event(uow, services, case, "confirmation_extended", who, data=_data(
        application, days=days, approved_by_id=approved_by_id, reason=reason,
        last_day=deadline.last_day.isoformat(), rule="L25",
    ))
    await notify_parties(uow, services, case, application, "extended",
                         f"裁定期限延长至{deadline.last_day.isoformat()}。", key="extended")
    return deadline


async def schedule_questioning(
    uow: UnitOfWork, services: Services, actor: Actor, application_id: int,
    starts_at: datetime, duration_minutes: int,
) -> Meeting:
    """Both parties questioned together (INT 356): a video hearing the designated judge presides."""
    from odr.meetings.models import Meeting, MeetingStatus
    from odr.meetings.scheduling import schedule
    from odr.meetings.schemas import ScheduleIn

    loaded = await authorized(uow, services, actor, application_id,
                              Permission.CONFIRMATION_COURT_ACT)
    application, case = loaded.application, loaded.case
    if application.status != ConfirmationStatus.ACCEPTED or application.judge_user_id is None:
        raise Conflict("the parties are questioned once the application is accepted and its "
                       "judge designated", code="not_accepted")
    if case.court_id != application.court_id:
        raise Conflict(
            "the case belongs to another court; its hearing cannot be held by this court",
            code="case_of_other_court", details={"case_court_id": case.court_id},
        )
    if application.questioning_meeting_id is not None:
        current = await uow.session.get(Meeting, application.questioning_meeting_id)
        if current is not None and current.status in (MeetingStatus.SCHEDULED, MeetingStatus.OPEN):
            raise Conflict("a questioning is already scheduled: move it instead",
                           code="questioning_scheduled", details={"meeting_id": current.id})
    body = ScheduleIn(
        kind="hearing", title="司法确认共同询问", starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=duration_minutes),
        host_user_id=application.judge_user_id,
    )
    meeting = await schedule(uow, services, actor, case.id, body)
    application.questioning_meeting_id = meeting.id
    await add_event(uow, services, case, "confirmation_questioning_scheduled", Who.of(actor),
                    data=_data(application, meeting_id=meeting.id,
                               starts_at=meeting.starts_at.isoformat(), rule="L25"))
    return meeting


__all__ = [
    "Loaded", "accept", "authorized", "cancel_questioning", "close_court_clocks",
    "confirmation_view_of", "deem_withdrawn", "extend", "load_application", "notify_parties",
    "refuse", "request_supplement", "schedule_questioning", "supplement_answered",
]

"""Meetings follow their case: when mediation stops, its upcoming sessions are cancelled.

After any status change of a case: if the case is no longer in mediation
(agreement effective, ended, withdrawn, mediator replaced: L7, L8, L14), its
upcoming mediation sessions are cancelled; once the case is over (terminal),
its upcoming hearings too. Each cancellation is audited, on the timeline and
notified to every seat holder, like one the host makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.audit.chain import record
from odr.cases.lifecycle import TERMINAL, CaseEventKind, CaseStatus
from odr.cases.transitions import TransitionContext, add_event, on_transition
from odr.db.uow import UnitOfWork
from odr.meetings.models import Meeting, MeetingKind, MeetingStatus
from odr.meetings.notices import notify_seats
from odr.meetings.queries import seats_of
from odr.meetings.scheduling import timeline_visibility

if TYPE_CHECKING:
    from odr.services import Services


@on_transition(*CaseEventKind)
async def cancel_sessions_that_cannot_happen(
    services: Services, uow: UnitOfWork, ctx: TransitionContext
) -> None:
    case = ctx.case
    if case.status == CaseStatus.IN_MEDIATION:
        return
    kinds = [MeetingKind.MEDIATION]
    if case.status in TERMINAL:
        kinds.append(MeetingKind.HEARING)
    meetings = (await uow.session.execute(
        select(Meeting).where(Meeting.case_id == case.id, Meeting.kind.in_(kinds),
                              Meeting.status == MeetingStatus.SCHEDULED)
        .with_for_update()
    )).scalars().all()
    now = services.clock.now()
    reason = _reason_text(ctx.event)
    for meeting in meetings:
        meeting.status, meeting.cancelled_reason, meeting.updated_at = (
            MeetingStatus.CANCELLED, reason, now)
        data = {"meeting_id": meeting.id, "reason": reason, "event": str(ctx.event),
                "starts_at": meeting.starts_at.isoformat()}
        await record(uow, services.clock, action="meeting.cancelled", actor_id=ctx.who.user_id,
                     actor_label=ctx.who.label, subject_type="meeting", subject_id=meeting.id,
                     data=data)
        await add_event(uow, services, case, "meeting_cancelled", ctx.who, data=data,
                        visibility=timeline_visibility(meeting), audit=False)
        await notify_seats(uow, services, meeting, case, await seats_of(uow.session, meeting.id),
                           template="meeting_cancelled", key=f"meeting:{meeting.id}:cancelled",
                           extra={"reason": reason})


def _reason_text(event: CaseEventKind) -> str:
    return {
        CaseEventKind.AGREEMENT_TAKES_EFFECT: "调解协议已生效",
        CaseEventKind.END_WITHOUT_AGREEMENT: "调解已终结",
        CaseEventKind.WITHDRAW: "申请已撤回",
        CaseEventKind.REPLACE_MEDIATOR: "调解员已更换，新的调解员将重新安排",
    }.get(event, "案件状态已变更")

"""Reply deadlines of threads: who is reminded, and the escalation when one passes unanswered.

Registered with the clocks part's registries (``odr.cases.deadlines.service``);
this module is listed in ``odr.cases.hooks.HOOK_MODULES`` so the sweep (which
installs the hooks) knows the consequences. The sweep marks the deadline
missed and calls ``escalate_unanswered`` in the same transaction, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.cases.deadlines.service import deadline_recipients, on_deadline_missed
from odr.cases.messages.audience import escalation_group, staff_user_ids
from odr.cases.messages.models import MessageThread, ThreadStatus
from odr.cases.messages.notices import notify
from odr.cases.messages.replies import COMPLAINT_REPLY, MESSAGE_REPLY, SUBJECT
from odr.cases.messages.service import event_kind
from odr.cases.models import Case, Deadline, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

CLOCK = Who.system("reply clock")


async def _thread(uow: UnitOfWork, deadline: Deadline) -> MessageThread | None:
    if deadline.subject_type != SUBJECT or deadline.subject_id is None:
        return None
    return (
        await uow.session.execute(
            select(MessageThread).where(MessageThread.id == deadline.subject_id).with_for_update()
        )
    ).scalar_one_or_none()


@deadline_recipients(MESSAGE_REPLY)
@deadline_recipients(COMPLAINT_REPLY)
async def remind_addressees(
    services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
) -> list[int]:
    """The reminder goes to the staff the thread is addressed to, never to the parties."""
    thread = await _thread(uow, deadline)
    if thread is None:
        return []
    groups = {thread.addressee, *([thread.escalated_to] if thread.escalated_to else [])}
    return await staff_user_ids(uow.session, case, groups)


@on_deadline_missed(MESSAGE_REPLY)
@on_deadline_missed(COMPLAINT_REPLY)
async def escalate_unanswered(
    services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
) -> None:
    """Unanswered past the deadline: the institution's admins (court threads: the court's clerks)
    are told, may read and reply, and the thread shows as escalated."""
    thread = await _thread(uow, deadline)
    if thread is None or thread.status != ThreadStatus.AWAITING_REPLY:
        return
    group = escalation_group(thread.addressee)
    thread.escalated_at = services.clock.now()
    thread.escalated_to = group
    staff = await staff_user_ids(uow.session, case, {group}, clerks_only=group == "court")
    notified = await notify(
        uow, services, staff, template="thread_escalated",
        context={"case_number": case.number, "thread_kind": thread.kind},
        key=f"thread:{thread.id}:escalated:{deadline.id}", channels=("inapp", "sms"),
    )
    await add_event(
        uow, services, case, event_kind(thread, "escalated"), CLOCK,
        data={"thread_id": thread.id, "thread_kind": thread.kind, "to": thread.addressee,
              "escalated_to": group, "deadline_id": deadline.id, "notified": notified},
        visibility=EventVisibility.STAFF,
    )

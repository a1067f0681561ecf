"""Reply deadlines of threads, on the case's legal clocks (``odr.cases.deadlines.service``).

A deadline of kind ``message_reply`` (or ``complaint_reply``) about the
thread (``subject_type="thread"``) opens when the party side writes and no
reply is awaited yet, counted in working days (L36); it is met when staff
answer. Its timeline events are staff-only: a party must not learn from the
timeline that the other side wrote or was answered (L11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odr.cases.deadlines.service import describe, find_live_deadline, live_deadlines, open_deadline
from odr.cases.messages.models import MessageThread, ThreadKind
from odr.cases.models import Case, DeadlineStatus, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

MESSAGE_REPLY = "message_reply"  # Deadline.kind of a message awaiting the staff's reply
COMPLAINT_REPLY = "complaint_reply"  # Deadline.kind of a complaint awaiting the reply
REPLY_KINDS = (MESSAGE_REPLY, COMPLAINT_REPLY)
SUBJECT = "thread"  # Deadline.subject_type


async def open_reply_deadline(
    uow: UnitOfWork, services: Services, case: Case, thread: MessageThread, who: Who
) -> None:
    settings = services.settings
    if thread.kind == ThreadKind.COMPLAINT:
        kind, days = COMPLAINT_REPLY, settings.complaint_reply_working_days
    else:
        kind, days = MESSAGE_REPLY, settings.message_reply_working_days
    if await find_live_deadline(uow, case.id, kind, subject=(SUBJECT, thread.id)) is None:
        await open_deadline(
            uow, services, case, kind, days, working=True, subject_type=SUBJECT,
            subject_id=thread.id, who=who, visibility=EventVisibility.STAFF,
        )


async def close_reply_deadline(
    uow: UnitOfWork, services: Services, case: Case, thread: MessageThread, who: Who
) -> None:
    """Staff answered: the reply deadline is met.

    Like ``close_deadlines``, but its event is staff-only: a party must not
    learn from the timeline that the other side's thread was answered.
    """
    now = services.clock.now()
    for deadline in await live_deadlines(uow, case.id, kind=REPLY_KINDS, subject=(SUBJECT, thread.id)):
        deadline.status = DeadlineStatus.MET
        deadline.closed_at = now
        deadline.paused_at = None
        await add_event(
            uow, services, case, "deadline_closed", who,
            data={**describe(deadline), "thread_kind": thread.kind},
            visibility=EventVisibility.STAFF,
        )

"""Reading threads back for one viewer: only those the policy lets them read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.messages.audience import side_user_ids
from odr.cases.messages.models import MessageThread, ThreadAttachment, ThreadMessage
from odr.cases.messages.replies import REPLY_KINDS, SUBJECT
from odr.cases.messages.schemas import AttachmentOut, MessageOut, ThreadDetail, ThreadOut
from odr.cases.models import CaseDocument, Deadline, DeadlineStatus
from odr.policy import (
    Actor,
    CaseView,
    Permission,
    ThreadView,
    decide,
    is_court_staff,
    is_institution_staff,
)

LIVE = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)


def sees_supervision(actor: Actor, case: CaseView) -> bool:
    """The supervision flag is for the institution's admins and the court's staff."""
    return is_institution_staff(actor, case) or is_court_staff(actor, case)


async def _reply_due(session: AsyncSession, thread_ids: Sequence[int]) -> dict[int, datetime]:
    if not thread_ids:
        return {}
    rows = (
        await session.execute(
            select(Deadline.subject_id, Deadline.due_at).where(
                Deadline.subject_type == SUBJECT,
                Deadline.subject_id.in_(list(thread_ids)),
                Deadline.kind.in_(REPLY_KINDS),
                Deadline.status.in_(LIVE),
            )
        )
    ).all()
    return {int(subject_id): due for subject_id, due in rows if subject_id is not None}


def thread_out(
    thread: MessageThread, due: datetime | None, *, supervision_visible: bool
) -> ThreadOut:
    return ThreadOut(
        id=thread.id, case_id=thread.case_id, kind=thread.kind, to=thread.addressee,
        about=thread.about, subject=thread.subject, side=thread.side, status=thread.status,
        reply_due_at=due, escalated=thread.escalated_at is not None,
        escalated_to=thread.escalated_to,
        supervision=thread.supervision if supervision_visible else None,
        supervision_of_id=thread.supervision_of_id if supervision_visible else None,
        created_at=thread.created_at, last_message_at=thread.last_message_at,
    )


async def visible_threads(
    session: AsyncSession, view: CaseView, actor: Actor, now: datetime
) -> list[ThreadOut]:
    """The case's threads ``actor`` may read, newest activity first."""
    threads = (
        await session.execute(
            select(MessageThread).where(MessageThread.case_id == view.case_id)
            .order_by(MessageThread.last_message_at.desc(), MessageThread.id.desc())
        )
    ).scalars().all()
    sides: dict[str, frozenset[int]] = {}
    readable: list[MessageThread] = []
    for thread in threads:
        if thread.side not in sides:
            sides[thread.side] = await side_user_ids(session, view.case_id, thread.side, now)
        tview = ThreadView(case=view, kind=thread.kind, addressee=thread.addressee,
                           side_user_ids=sides[thread.side], escalated_to=thread.escalated_to)
        if decide(actor, Permission.THREAD_READ, tview):
            readable.append(thread)
    due = await _reply_due(session, [t.id for t in readable])
    show = sees_supervision(actor, view)
    return [thread_out(t, due.get(t.id), supervision_visible=show) for t in readable]


async def thread_detail(
    session: AsyncSession, thread: MessageThread, view: CaseView, actor: Actor
) -> ThreadDetail:
    """One thread with its messages and their attachments (metadata; content via the documents API)."""
    messages = (
        await session.execute(
            select(ThreadMessage).where(ThreadMessage.thread_id == thread.id)
            .order_by(ThreadMessage.id)
        )
    ).scalars().all()
    attached: dict[int, list[AttachmentOut]] = {}
    if messages:
        rows = (
            await session.execute(
                select(ThreadAttachment.message_id, CaseDocument)
                .join(CaseDocument, CaseDocument.id == ThreadAttachment.document_id)
                .where(ThreadAttachment.message_id.in_([m.id for m in messages]))
                .order_by(ThreadAttachment.id)
            )
        ).all()
        for message_id, doc in rows:
            attached.setdefault(message_id, []).append(AttachmentOut(
                document_id=doc.id, title=doc.title, filename=doc.filename,
                content_type=doc.content_type, size=doc.size,
                content_url=f"/api/v1/threads/{thread.id}/attachments/{doc.id}",
            ))
    due = (await _reply_due(session, [thread.id])).get(thread.id)
    base = thread_out(thread, due, supervision_visible=sees_supervision(actor, view))
    return ThreadDetail(
        **base.model_dump(),
        messages=[
            MessageOut(
                id=m.id, author_label=m.author_label, from_staff=m.from_staff,
                mine=m.author_id == actor.user_id, body=m.body, created_at=m.created_at,
                attachments=attached.get(m.id, []),
            )
            for m in messages
        ],
    )

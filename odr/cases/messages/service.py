"""Opening threads and adding messages (reading them back: ``odr.cases.messages.views``).

All writes run in the caller's unit of work with the case row locked
(``load_case_for_update``), so the thread, its reply deadline, the timeline
event, the audit entry and the notices commit together or not at all.

Timeline events of threads (``thread_*`` / ``complaint_*``) are written with
``visibility=staff`` and carry ids, never subjects or bodies: the other side
must not learn that a side wrote to the mediator (L11), so no party sees them
(a side reads its own threads through the thread API). Complaint events are
further hidden from the mediator by the timeline view (the mediator is not
told who complained about them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import User
from odr.cases.messages.attachments import checked_attachments, party_may_attach, staff_may_attach
from odr.cases.messages.audience import ActingFor, acting_for, side_user_ids, staff_user_ids
from odr.cases.messages.complaints import earlier_complaint
from odr.cases.messages.models import (
    Addressee,
    ComplaintAbout,
    MessageThread,
    ThreadAttachment,
    ThreadKind,
    ThreadMessage,
    ThreadStatus,
)
from odr.cases.messages.notices import notify
from odr.cases.messages.replies import close_reply_deadline, open_reply_deadline
from odr.cases.messages.schemas import MessageCreate, ThreadCreate
from odr.cases.models import Case, CaseDocument, CaseParty, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, ValidationFailed
from odr.policy import (
    Actor,
    CaseView,
    ThreadView,
    acts_for_party,
    is_case_mediator,
    is_case_staff,
    is_court_staff,
    is_institution_staff,
    is_thread_staff,
)

if TYPE_CHECKING:
    from odr.services import Services

ROLE_LABELS = {
    "applicant": "申请人", "respondent": "被申请人", "agent": "代理人", "mediator": "调解员",
    "institution_admin": "调解组织", "judge": "法官", "clerk": "书记员",
}

COMPLAINT_TO = frozenset({Addressee.INSTITUTION, Addressee.COURT})


def event_kind(thread: MessageThread, what: str) -> str:
    """``thread_opened``, ``complaint_message``, ... (the timeline vocabulary names them)."""
    prefix = "complaint" if thread.kind == ThreadKind.COMPLAINT else "thread"
    return f"{prefix}_{what}"


def _check_request(case: Case, req: ThreadCreate) -> None:
    """The addressee exists for this case, and a complaint says what it is about."""
    if req.kind == ThreadKind.COMPLAINT:
        if req.to not in COMPLAINT_TO:
            raise ValidationFailed(
                "a complaint goes to the institution or the court", code="invalid_addressee",
                details=[{"field": "to", "message": "institution or court"}],
            )
        if req.about is None:
            raise ValidationFailed(
                "say what the complaint is about: the mediator or the service",
                code="invalid_complaint", details=[{"field": "about", "message": "required"}],
            )
        if req.about == ComplaintAbout.MEDIATOR and case.mediator_id is None:
            raise Conflict("this case has no mediator to complain about", code="no_mediator")
    elif req.about is not None:
        raise ValidationFailed(
            "only a complaint has an 'about'", code="invalid_message",
            details=[{"field": "about", "message": "only for complaints"}],
        )
    if req.to is None:
        raise ValidationFailed(
            "say who you write to: the mediator, the judge, the institution or the court",
            code="invalid_addressee", details=[{"field": "to", "message": "required"}],
        )
    if req.party_id is not None:
        raise ValidationFailed(
            "a party writes to the case's staff; party_id is for staff writing to a party",
            code="invalid_message", details=[{"field": "party_id", "message": "staff only"}],
        )
    missing = {
        Addressee.MEDIATOR: case.mediator_id is None,
        Addressee.INSTITUTION: case.institution_id is None,
        Addressee.JUDGE: case.court_id is None,
        Addressee.COURT: case.court_id is None,
    }[req.to]
    if missing:
        raise Conflict(
            f"this case has no {req.to} to write to yet", code="no_addressee",
            details={"to": str(req.to)},
        )


def _side_of(view: CaseView, actor: Actor, parties: list[ActingFor]) -> ActingFor:
    """The party the actor writes for; an agent needs a general authorization."""
    usable = [
        p for p in parties
        if p.role != "agent" or view.is_agent_with(actor.user_id, "general")
    ]
    if not usable:
        raise Forbidden("you do not act for a party of this case")
    if len({p.side for p in usable}) > 1:
        raise Conflict("you act for parties on both sides of this case", code="ambiguous_side")
    return usable[0]


async def _author_label(session: AsyncSession, actor: Actor, role: str) -> str:
    name = (
        await session.execute(select(User.real_name).where(User.id == actor.user_id))
    ).scalar_one_or_none() or f"#{actor.user_id}"
    return f"{name}（{ROLE_LABELS.get(role, role)}）"


async def _save_message(
    uow: UnitOfWork, services: Services, thread: MessageThread, actor: Actor, label: str,
    body: str, docs: list[CaseDocument], *, from_staff: bool,
) -> ThreadMessage:
    assert actor.user_id is not None
    now = services.clock.now()
    message = ThreadMessage(
        thread_id=thread.id, author_id=actor.user_id, author_label=label, from_staff=from_staff,
        body=body, created_at=now,
    )
    uow.session.add(message)
    await uow.session.flush()
    for doc in docs:
        uow.session.add(ThreadAttachment(message_id=message.id, document_id=doc.id))
    thread.last_message_at = now
    await uow.session.flush()
    return message


def _event_data(thread: MessageThread, message: ThreadMessage, docs: list[CaseDocument]) -> dict[str, Any]:
    return {
        "thread_id": thread.id, "thread_kind": thread.kind, "to": thread.addressee,
        "side": thread.side, "message_id": message.id, "from_staff": message.from_staff,
        "attachment_ids": [d.id for d in docs],
    }


def staff_groups(actor: Actor, view: CaseView) -> list[Addressee]:
    """The addressee groups ``actor`` answers for in this case (mediator, institution, judge)."""
    groups: list[Addressee] = []
    if is_case_mediator(actor, view):
        groups.append(Addressee.MEDIATOR)
    if is_institution_staff(actor, view):
        groups.append(Addressee.INSTITUTION)
    if is_court_staff(actor, view):
        groups.append(Addressee.JUDGE)
    return groups


async def open_staff_thread(
    uow: UnitOfWork, services: Services, case: Case, view: CaseView, actor: Actor,
    req: ThreadCreate,
) -> MessageThread:
    """Staff write to one party: the thread belongs to that party's side and the writer's group.

    The whole side (the party, its co-parties and agents) reads it, never the
    other side (L11). Staff wrote last, so no reply deadline runs until the
    side answers; then it does, as in a thread the side opened.
    """
    if req.kind != ThreadKind.MESSAGE:
        raise ValidationFailed(
            "staff write messages; complaints are the parties'", code="invalid_message",
            details=[{"field": "kind", "message": "message"}],
        )
    if req.about is not None:
        raise ValidationFailed("only a complaint has an 'about'", code="invalid_message",
                               details=[{"field": "about", "message": "only for complaints"}])
    groups = staff_groups(actor, view)
    if req.to is not None and req.to not in groups:
        raise ValidationFailed(
            f"you write for your own role in this case: {', '.join(groups)}",
            code="invalid_addressee", details=[{"field": "to", "message": ", ".join(groups)}],
        )
    addressee = req.to or groups[0]
    party = await uow.session.get(CaseParty, req.party_id) if req.party_id is not None else None
    if party is None or party.case_id != case.id:
        raise ValidationFailed(
            "name the party you write to (party_id, a party of this case)", code="invalid_party",
            details=[{"field": "party_id", "message": "a party of this case"}],
        )
    docs = await checked_attachments(uow.session, case.id, req.attachment_ids,
                                     lambda d: staff_may_attach(d, party.side))
    assert actor.user_id is not None
    now = services.clock.now()
    thread = MessageThread(
        case_id=case.id, kind=ThreadKind.MESSAGE, addressee=addressee, about=None,
        target_user_id=None, subject=req.subject, side=party.side, party_id=party.id,
        author_id=actor.user_id, status=ThreadStatus.ANSWERED, supervision=False,
        last_message_at=now, created_at=now,
    )
    uow.session.add(thread)
    await uow.session.flush()
    label = await _author_label(uow.session, actor, str(actor.role))
    message = await _save_message(uow, services, thread, actor, label, req.body, docs,
                                  from_staff=True)
    await add_event(uow, services, case, event_kind(thread, "opened"), Who.of(actor),
                    data={**_event_data(thread, message, docs), "party_id": party.id},
                    visibility=EventVisibility.STAFF)
    readers = await side_user_ids(uow.session, case.id, party.side, now)
    await notify(uow, services, readers, template="thread_new_message",
                 context={"case_number": case.number, "thread_kind": thread.kind},
                 key=f"thread:{thread.id}:message:{message.id}")
    return thread


async def open_thread(
    uow: UnitOfWork, services: Services, case: Case, view: CaseView, actor: Actor,
    req: ThreadCreate,
) -> MessageThread:
    """A party's side writes to the case's staff: a thread, its first message, a reply deadline.

    The case's staff (not acting for a party) open a thread to a party instead
    (``open_staff_thread``).
    """
    if not acts_for_party(actor, view) and is_case_staff(actor, view):
        return await open_staff_thread(uow, services, case, view, actor, req)
    _check_request(case, req)
    assert req.to is not None
    now = services.clock.now()
    party = _side_of(view, actor, await acting_for(uow.session, case.id, actor.user_id, now))
    docs = await checked_attachments(
        uow.session, case.id, req.attachment_ids,
        lambda d: party_may_attach(d, party.side, actor.user_id),
    )
    assert actor.user_id is not None
    target = case.mediator_id if req.about == ComplaintAbout.MEDIATOR else None
    earlier = None
    if req.kind == ThreadKind.COMPLAINT:
        assert req.about is not None
        earlier = await earlier_complaint(
            uow.session, services, case.id, party.side, req.about, target
        )
    thread = MessageThread(
        case_id=case.id, kind=req.kind, addressee=req.to, about=req.about,
        target_user_id=target, subject=req.subject, side=party.side, party_id=party.party_id,
        author_id=actor.user_id, status=ThreadStatus.AWAITING_REPLY,
        supervision=earlier is not None, supervision_of_id=earlier.id if earlier else None,
        last_message_at=now, created_at=now,
    )
    uow.session.add(thread)
    await uow.session.flush()
    label = await _author_label(uow.session, actor, party.role)
    message = await _save_message(uow, services, thread, actor, label, req.body, docs,
                                  from_staff=False)
    who = Who.of(actor)
    await add_event(uow, services, case, event_kind(thread, "opened"), who,
                    data=_event_data(thread, message, docs), visibility=EventVisibility.STAFF)
    await open_reply_deadline(uow, services, case, thread, who)
    staff = await staff_user_ids(uow.session, case, {thread.addressee})
    context = {"case_number": case.number, "thread_kind": thread.kind}
    if earlier is not None:
        await add_event(
            uow, services, case, "complaint_supervision", who,
            data={"thread_id": thread.id, "thread_kind": thread.kind, "earlier_thread_id": earlier.id,
                  "about": thread.about, "target_user_id": target},
            visibility=EventVisibility.STAFF,
        )
        await notify(uow, services, staff, template="complaint_supervision",
                     context={"case_number": case.number}, key=f"thread:{thread.id}:supervision",
                     channels=("inapp", "sms"))
    else:
        await notify(uow, services, staff, template="thread_new_message", context=context,
                     key=f"thread:{thread.id}:message:{message.id}")
    return thread


async def add_message(
    uow: UnitOfWork, services: Services, case: Case, tview: ThreadView, thread: MessageThread,
    actor: Actor, req: MessageCreate,
) -> ThreadMessage:
    """A message in a thread: staff answering closes the reply deadline; the side writing reopens it."""
    if thread.case_id != case.id:
        raise ValidationFailed("the thread belongs to another case", code="wrong_case")
    from_staff = is_thread_staff(actor, tview)
    now = services.clock.now()
    if from_staff:
        docs = await checked_attachments(uow.session, case.id, req.attachment_ids,
                                  lambda d: staff_may_attach(d, thread.side))
        role = str(actor.role)
    else:
        party = _side_of(tview.case, actor, await acting_for(uow.session, case.id, actor.user_id, now))
        if party.side != thread.side:
            raise Forbidden("this thread is not addressed to you")
        docs = await checked_attachments(uow.session, case.id, req.attachment_ids,
                                  lambda d: party_may_attach(d, thread.side, actor.user_id))
        role = party.role
    label = await _author_label(uow.session, actor, role)
    message = await _save_message(uow, services, thread, actor, label, req.body, docs,
                                  from_staff=from_staff)
    who = Who.of(actor)
    await add_event(uow, services, case, event_kind(thread, "message"), who,
                    data=_event_data(thread, message, docs), visibility=EventVisibility.STAFF)
    context = {"case_number": case.number, "thread_kind": thread.kind}
    key = f"thread:{thread.id}:message:{message.id}"
    if from_staff:
        thread.status = ThreadStatus.ANSWERED
        await close_reply_deadline(uow, services, case, thread, who)
        side_users = [u for u in tview.side_user_ids if u != actor.user_id]
        await notify(uow, services, side_users, template="thread_reply", context=context, key=key)
    else:
        if thread.status == ThreadStatus.ANSWERED:
            thread.status = ThreadStatus.AWAITING_REPLY
            await open_reply_deadline(uow, services, case, thread, who)
        groups = {thread.addressee, *([thread.escalated_to] if thread.escalated_to else [])}
        staff = await staff_user_ids(uow.session, case, groups)
        await notify(uow, services, staff, template="thread_new_message", context=context, key=key)
    return message

"""Delivering a service record, opening its link, and when a service is complete (L34).

The outbox handler ``eservice.send`` sends a record's message through
``odr.notify`` (its channels, its ``Notification`` row, its exactly-once key) and
then copies the channel's report onto the record: sent and delivered (console,
SMS gateway and SMTP report success when sent; in-app when stored). The
foundation's ``notify.send`` is not used because the record needs the delivery
report in the same step. Import this module to register the handler (workers:
``HANDLER_MODULES``).

Completion (L34, OLR 31): a record reaching an address the recipient provided or
confirmed completes at its delivery; any record completes when the signed-in
recipient opens its link (a read receipt). The service completes at the
*earliest* completion of its records, even when that event is recorded later (a
worker that crashed after sending records the delivery on retry). Each
completion, and each later correction to an earlier time, queues the receipt
(``eservice.receipt``, ``odr.eservice.receipts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.cases.models import Case, CaseDocument, CaseParty, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Forbidden, NotFound, OdrError
from odr.eservice.addresses import parties_acted_for
from odr.eservice.models import CompletionBasis, DocumentService, ServiceChannel, ServiceRecord
from odr.eservice.receipts import RECEIPT_KIND  # importing registers its handler
from odr.eservice.service import SEND_KIND, build_request, link_token, token_hash
from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.outbox.service import enqueue
from odr.policy import Actor
from odr.services import Services

_TOKEN = re.compile(r"[0-9a-f]{64}")
USED_LINK = "[link used]"


class LinkUsed(OdrError):
    status, code = 410, "service_link_used"


async def deliver_record(services: Services, message: OutboxMessage) -> None:
    """Outbox handler ``eservice.send``: send one record's message, record the channel's report."""
    from odr.notify.service import send_notification  # registers notify.send where it runs

    record_id = int(message.payload["record_id"])
    async with services.db.reader() as uow:
        record = await uow.session.get(ServiceRecord, record_id)
        if record is None or record.delivered_at is not None:
            return
        service = await uow.session.get(DocumentService, record.service_id)
        assert service is not None
        case = await uow.session.get(Case, record.case_id)
        document = await uow.session.get(CaseDocument, service.document_id)
        party = await uow.session.get(CaseParty, record.party_id)
        assert case is not None and document is not None and party is not None
        token = link_token(services, record.token_nonce)
        request = await build_request(uow, services, record, case, document, party, token)
        key = record.notification_key
    note = OutboxMessage(kind=NOTIFY_KIND, payload=request.model_dump(mode="json"), idempotency_key=key)
    await send_notification(services, note)
    await record_delivery(services, record_id)


async def record_delivery(services: Services, record_id: int) -> None:
    """Copy the channel's report (the ``Notification`` row) onto the record; complete if valid."""
    async with services.db.uow() as uow:
        record = await _locked(uow, ServiceRecord, record_id)
        if record is None or record.delivered_at is not None:
            return
        sent = (await uow.session.execute(
            select(Notification).where(
                Notification.idempotency_key == record.notification_key,
                Notification.channel == record.channel,
            )
        )).scalar_one_or_none()
        if sent is None or sent.sent_at is None:
            raise RuntimeError(f"service record {record_id}: the channel has not reported delivery")
        record.sent_at = sent.created_at
        record.delivered_at = sent.sent_at
        await audit(
            uow, services.clock, action="eservice.delivered", actor_label="system",
            subject_type="service_record", subject_id=record.id,
            data={"case_id": record.case_id, "channel": record.channel,
                  "delivered_at": sent.sent_at.isoformat()},
        )
        if record.address_confirmed:
            await complete(uow, services, record, sent.sent_at, CompletionBasis.REACHED_CONFIRMED_ADDRESS)


Locked = TypeVar("Locked", ServiceRecord, DocumentService)


async def _locked(uow: UnitOfWork, model: type[Locked], ident: int) -> Locked | None:
    return (await uow.session.execute(
        select(model).where(model.id == ident).with_for_update()
    )).scalar_one_or_none()


async def complete(
    uow: UnitOfWork, services: Services, record: ServiceRecord, at: datetime, basis: CompletionBasis,
) -> None:
    """A valid completion of ``record`` at ``at``: the service keeps the earliest of its records'."""
    if record.completed_at is None or at < record.completed_at:
        record.completed_at = at
        record.completion_basis = basis
    service = await _locked(uow, DocumentService, record.service_id)
    assert service is not None
    if service.completed_at is not None and service.completed_at <= at:
        return
    first = service.completed_at is None
    service.completed_at = at
    service.completion_basis = basis
    service.completed_record_id = record.id
    case = await uow.session.get(Case, service.case_id)
    assert case is not None
    await add_event(
        uow, services, case, "service_completed" if first else "service_completion_corrected",
        Who.system(), data={
            "service_id": service.id, "document_id": service.document_id,
            "party_id": service.party_id, "channel": record.channel, "basis": str(basis),
            "completed_at": at.isoformat(),
        },
    )
    await enqueue(
        uow, services.clock, kind=RECEIPT_KIND, payload={"service_id": service.id},
        idempotency_key=f"{RECEIPT_KIND}:{service.id}:{at.isoformat()}",
    )


@dataclass(frozen=True)
class Opened:
    record: ServiceRecord
    document: CaseDocument


async def record_for_token(uow: UnitOfWork, token: str) -> ServiceRecord:
    """The record a link's token belongs to (locked); 404 for a malformed or unknown token."""
    record = None
    if _TOKEN.fullmatch(token):
        record = (await uow.session.execute(
            select(ServiceRecord).where(ServiceRecord.token_hash == token_hash(token)).with_for_update()
        )).scalar_one_or_none()
    if record is None:
        raise NotFound("this service link is not valid", code="service_link_invalid")
    return record


async def open_record(
    uow: UnitOfWork, services: Services, record: ServiceRecord, token: str, actor: Actor
) -> Opened:
    """The recipient opens the link: mark it opened (a read receipt) and use up the token.

    403 for anyone but the recipient (the party, its agent with general
    authority, or the owner of the in-app inbox it went to); 410 when the link
    was used before. The caller has authorized the actor on the case.
    """
    now = services.clock.now()
    acting_for = await parties_acted_for(uow.session, record.case_id, actor.user_id, now)
    own_inbox = record.channel == ServiceChannel.INAPP and record.address == str(actor.user_id)
    if record.party_id not in acting_for and not own_inbox:
        raise Forbidden("this document was served on another party", code="not_the_recipient")
    if record.opened_at is not None:
        raise LinkUsed(
            "this link was already used; the document is among the case's documents",
            details={"opened_at": record.opened_at.isoformat()},
        )
    record.opened_at = now
    record.opened_by_id = actor.user_id
    await complete(uow, services, record, now, CompletionBasis.OPENED_BY_RECIPIENT)
    await _forget_token(uow, record, token)
    service = await uow.session.get(DocumentService, record.service_id)
    case = await uow.session.get(Case, record.case_id)
    document = await uow.session.get(CaseDocument, service.document_id) if service else None
    assert case is not None and document is not None
    await add_event(
        uow, services, case, "service_opened",
        Who(user_id=actor.user_id, label=f"{actor.role}#{actor.user_id}"),
        data={"service_record_id": record.id, "document_id": document.id,
              "party_id": record.party_id, "channel": record.channel},
        visibility=EventVisibility.STAFF,
    )
    return Opened(record, document)


async def _forget_token(uow: UnitOfWork, record: ServiceRecord, token: str) -> None:
    """A used token is worthless; still, remove it from the stored copy of the message."""
    notes = (await uow.session.execute(
        select(Notification).where(Notification.idempotency_key == record.notification_key)
    )).scalars()
    for note in notes:
        note.body = note.body.replace(token, USED_LINK)
        note.context = {
            k: (v.replace(token, USED_LINK) if isinstance(v, str) else v)
            for k, v in note.context.items()
        }


register_handler(SEND_KIND, deliver_record)

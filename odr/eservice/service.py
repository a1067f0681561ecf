"""Serving a document electronically: consent first, then one record per channel (L33).

``serve_document`` refuses the whole request (409 ``consent_missing``, nothing
written) when any recipient lacks consent: a service is a procedural act and a
half-served document would leave the mediator guessing who still needs paper
service. Serving the same document on the same party again is not an error: the
answer says ``already_served`` and nothing is sent twice.

Per recipient it writes one ``DocumentService`` and one ``ServiceRecord`` per
address, and queues outbox kind ``eservice.send`` per record; ``odr.eservice.delivery``
sends it, records the channel's report, the opening of the link, and completion.

The link's token is a keyed hash (the platform's look-up key) of a random nonce
kept on the record; only the token's SHA-256 is stored, so the database alone
cannot produce a working link, and opening one also needs the recipient signed in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import Case, CaseDocument, CaseParty, DocumentVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, ValidationFailed
from odr.eservice.addresses import Address, PartyConsent, parties_of, party_consent
from odr.eservice.models import DocumentService, ServiceChannel, ServiceRecord
from odr.notify.messages import NOTIFY_KIND, NotificationRequest
from odr.notify.templates import local_time_text, render
from odr.outbox.service import enqueue
from odr.services import Services

SEND_KIND = "eservice.send"
TEMPLATE = "document_served"
LINK_PATH = "/api/v1/service/"


@dataclass(frozen=True)
class Served:
    """The outcome for one recipient."""

    party_id: int
    service: DocumentService
    records: list[ServiceRecord]
    already_served: bool


def link_token(services: Services, nonce: str) -> str:
    """The link's token: a keyed hash of the record's random nonce (never stored itself)."""
    return services.crypto.lookup_hash(nonce, context="eservice.link")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def servable_to(document: CaseDocument, party: CaseParty) -> str:
    """Why ``document`` may not be served on ``party`` (empty when it may)."""
    if document.visibility == DocumentVisibility.MEDIATOR_ONLY:
        return "the document is for the mediator only"
    if document.visibility == DocumentVisibility.OWN_SIDE and document.side != party.side:
        return "the document is visible to the other side only"
    return ""


async def serve_document(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    document: CaseDocument,
    recipients: list[int] | None,
    who: Who,
) -> list[Served]:
    """Serve ``document`` on ``recipients`` (party ids; default every party), all or nothing."""
    session = uow.session
    parties = await parties_of(session, case.id)
    by_id = {p.id: p for p in parties}
    if recipients is not None:
        wanted = list(dict.fromkeys(recipients))
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise ValidationFailed(
                "unknown recipients: not parties of this case",
                details=[{"field": "recipients", "party_id": i, "message": "not a party of this case"}
                         for i in unknown],
            )
        targets = [by_id[i] for i in wanted]
    else:
        targets = parties
    if not targets:
        raise Conflict("the case has no party to serve", code="no_recipients")
    hidden = [(p, why) for p in targets if (why := servable_to(document, p))]
    if hidden:
        raise Conflict(
            "this document cannot be served on some recipients",
            code="document_not_servable",
            details=[{"party_id": p.id, "name": p.name, "reason": why} for p, why in hidden],
        )
    existing = {
        s.party_id: s
        for s in (await session.execute(
            select(DocumentService).where(DocumentService.document_id == document.id)
        )).scalars()
    }
    consents: dict[int, PartyConsent] = {}
    for p in targets:
        if p.id not in existing:
            consents[p.id] = await party_consent(session, case, p)
    lacking = [c for c in consents.values() if not c.consents]
    if lacking:
        raise Conflict(
            "some recipients have not consented to electronic service (L33); "
            "nothing was served: serve the others alone, or serve these on paper",
            code="consent_missing",
            details=[{"party_id": c.party_id, "name": by_id[c.party_id].name, "reason": c.refusal}
                     for c in lacking],
        )
    now = services.clock.now()
    results: list[Served] = []
    for p in targets:
        if p.id in existing:
            service = existing[p.id]
            records = await records_of(uow, service.id)
            results.append(Served(p.id, service, records, True))
            continue
        consent = consents[p.id]
        service = DocumentService(
            case_id=case.id, document_id=document.id, party_id=p.id,
            consent_basis=consent.basis, consent_id=consent.consent_id,
            served_by_id=who.user_id, served_at=now,
        )
        session.add(service)
        await session.flush()
        records = [await _add_record(uow, services, case, document, p, service, a) for a in consent.addresses]
        results.append(Served(p.id, service, records, False))
    served = [r for r in results if not r.already_served]
    if served:
        await add_event(uow, services, case, "document_served", who, data={
            "document_id": document.id, "title": document.title,
            "party_ids": [r.party_id for r in served],
            "channels": {str(r.party_id): [rec.channel for rec in r.records] for r in served},
        })
    return results


async def _add_record(
    uow: UnitOfWork, services: Services, case: Case, document: CaseDocument, party: CaseParty,
    service: DocumentService, address: Address,
) -> ServiceRecord:
    nonce = secrets.token_hex(16)
    token = link_token(services, nonce)
    record = ServiceRecord(
        service_id=service.id, case_id=case.id, party_id=party.id, channel=address.channel,
        address=address.address, address_confirmed=address.confirmed, token_nonce=nonce,
        token_hash=token_hash(token),
        notification_key=f"{NOTIFY_KIND}:eservice:{service.id}:{address.channel}",
        queued_at=services.clock.now(),
    )
    uow.session.add(record)
    await uow.session.flush()
    request = await build_request(uow, services, record, case, document, party, token)
    render(request.template, request.locale, request.context)  # a template error fails now
    await enqueue(
        uow, services.clock, kind=SEND_KIND, payload={"record_id": record.id},
        idempotency_key=f"{SEND_KIND}:{record.id}",
    )
    return record


async def build_request(
    uow: UnitOfWork, services: Services, record: ServiceRecord, case: Case,
    document: CaseDocument, party: CaseParty, token: str,
) -> NotificationRequest:
    """The notification of ``record``, with the link carrying ``token``."""
    inbox_user: int | None = int(record.address) if record.channel == ServiceChannel.INAPP else None
    reader_id = inbox_user or party.user_id
    user = await uow.session.get(User, reader_id) if reader_id else None
    return NotificationRequest(
        template=TEMPLATE, channel=record.channel, recipient=record.address,  # type: ignore[arg-type]
        locale=user.locale if user else "zh-CN", user_id=inbox_user,
        context={
            "name": party.name, "case_number": case.number, "document_title": document.title,
            "link": services.settings.public_base_url.rstrip("/") + LINK_PATH + token,
            "at": local_time_text(record.queued_at),
        },
    )


async def records_of(uow: UnitOfWork, service_id: int) -> list[ServiceRecord]:
    return list((await uow.session.execute(
        select(ServiceRecord).where(ServiceRecord.service_id == service_id).order_by(ServiceRecord.id)
    )).scalars())

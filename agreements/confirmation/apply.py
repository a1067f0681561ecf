"""The joint application (L20): start, join, supplement materials (L23), withdraw (L27).

Every function runs in the caller's unit of work with the case row locked
(``load_case_for_update``), checks everything before it writes anything, and
writes the timeline (``add_event``: audit entry and live event included) and
the notices in the same transaction. Order of refusals at the start:
entrusted case (409, L37) → not an effective agreement of this case → window
passed (409, L21) → excluded matter (422, L24) → an open application already
(409) → court not competent (422, L22) → whom the caller acts for (403/422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from agreements.confirmation.application_pdf import store_application_pdf
from agreements.confirmation.jurisdiction import (
    SUBJECT_KINDS,
    Refusal,
    competent_courts,
    entrusted_refusal,
    excluded_matter,
)
from agreements.confirmation.materials import checklist, link_documents
from agreements.confirmation.window import (
    WINDOW_KIND,
    ensure_window,
    subject_of,
    window_refusal,
)
from agreements.models import (
    Agreement,
    AgreementStatus,
    ConfirmationApplication,
    ConfirmationJoin,
    ConfirmationStatus,
)
from agreements.signing.service import device_hash
from odr.accounts.models import Membership, Role
from odr.cases.deadlines.service import close_deadlines
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import AgentAuthorization, Case, CaseParty, DeadlineStatus
from odr.cases.transitions import Who, add_event, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, ValidationFailed
from odr.notify.service import notify_users
from odr.policy import Actor

if TYPE_CHECKING:
    from odr.services import Services

S = ConfirmationStatus
OPEN_STATUSES = (S.GATHERING, S.APPLIED, S.SUPPLEMENT_REQUESTED, S.ACCEPTED)
APPLICATION_SUBJECT = "confirmation_application"


@dataclass(frozen=True)
class Client:
    """Where a join came from (the court's sham-mediation warnings compare these)."""

    ip: str = ""
    user_agent: str = ""
    device_id: str = ""


@dataclass(frozen=True)
class Acting:
    party: CaseParty
    authorization_id: int | None  # set when an agent acts under apply_confirmation


def conflict(refusal: Refusal) -> Conflict:
    return Conflict(refusal.reason, code=refusal.code, details={"rule": refusal.rule})


def unprocessable(refusal: Refusal) -> ValidationFailed:
    return ValidationFailed(refusal.reason, code=refusal.code, details={"rule": refusal.rule})


def subject(application: ConfirmationApplication) -> tuple[str, int]:
    return APPLICATION_SUBJECT, application.id


# ---- loading ---------------------------------------------------------------------------


async def effective_agreement(uow: UnitOfWork, case: Case, agreement_id: int | None) -> Agreement:
    """The case's effective agreement (``agreement_id``, or the latest effective one)."""
    stmt = select(Agreement).where(Agreement.case_id == case.id)
    if agreement_id is not None:
        stmt = stmt.where(Agreement.id == agreement_id)
    else:
        stmt = stmt.where(Agreement.status == AgreementStatus.EFFECTIVE)
    agreement = (await uow.session.execute(stmt.order_by(Agreement.id.desc()).limit(1))).scalar()
    if agreement is None:
        raise NotFound("no such agreement in this case")
    if agreement.status != AgreementStatus.EFFECTIVE or agreement.effective_at is None:
        raise Conflict("only an effective agreement can be confirmed (L20)",
                       code="agreement_not_effective")
    return agreement


async def load_application(uow: UnitOfWork, application_id: int) -> ConfirmationApplication:
    application = await uow.session.get(ConfirmationApplication, application_id)
    if application is None:
        raise NotFound("no such confirmation application")
    return application


async def parties_of(uow: UnitOfWork, case_id: int) -> list[CaseParty]:
    return list((await uow.session.execute(
        select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.side, CaseParty.id)
    )).scalars())


async def joins_of(uow: UnitOfWork, application_id: int) -> list[ConfirmationJoin]:
    return list((await uow.session.execute(
        select(ConfirmationJoin).where(ConfirmationJoin.application_id == application_id)
        .order_by(ConfirmationJoin.joined_at, ConfirmationJoin.id)
    )).scalars())


async def acting_for(
    uow: UnitOfWork, case: Case, actor: Actor, now: datetime, party_id: int | None
) -> Acting:
    """The party the caller applies for: its own, or its principal's under apply_confirmation."""
    options: dict[int, Acting] = {}
    for party in await parties_of(uow, case.id):
        if party.user_id is not None and party.user_id == actor.user_id:
            options[party.id] = Acting(party, None)
    auths = (await uow.session.execute(
        select(AgentAuthorization).where(
            AgentAuthorization.case_id == case.id,
            AgentAuthorization.agent_user_id == actor.user_id,
            AgentAuthorization.revoked_at.is_(None), AgentAuthorization.valid_from <= now,
            or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
        ).order_by(AgentAuthorization.id)
    )).scalars().all()
    for auth in auths:
        if "apply_confirmation" in (auth.scopes or []) and auth.party_id not in options:
            principal = await uow.session.get(CaseParty, auth.party_id)
            if principal is not None:
                options[principal.id] = Acting(principal, auth.id)
    if not options:
        raise Forbidden("only a party, or its agent with the special authority to apply, "
                        "applies for confirmation (L20)", code="not_a_party")
    if party_id is not None:
        if party_id not in options:
            raise Forbidden("you do not act for that party", code="not_your_party")
        return options[party_id]
    if len(options) > 1:
        raise ValidationFailed("you act for several parties: name party_id",
                               code="party_required", details={"party_ids": sorted(options)})
    return next(iter(options.values()))


async def default_party(uow: UnitOfWork, case: Case, actor: Actor, now: datetime) -> int | None:
    """The one party the caller acts for, or None (none, or several: the caller must say)."""
    try:
        return (await acting_for(uow, case, actor, now, None)).party.id
    except (Forbidden, ValidationFailed):
        return None


# ---- who hears about it ------------------------------------------------------------------


async def party_users(uow: UnitOfWork, case: Case, party_ids: set[int], now: datetime) -> list[int]:
    """The parties' own users and their agents with the authority to apply."""
    users = [p.user_id for p in await parties_of(uow, case.id)
             if p.id in party_ids and p.user_id is not None]
    auths = (await uow.session.execute(
        select(AgentAuthorization).where(
            AgentAuthorization.case_id == case.id, AgentAuthorization.party_id.in_(party_ids),
            AgentAuthorization.revoked_at.is_(None),
            or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
        )
    )).scalars().all()
    users += [a.agent_user_id for a in auths if "apply_confirmation" in (a.scopes or [])]
    return list(dict.fromkeys(users))


async def court_staff(uow: UnitOfWork, court_id: int) -> list[int]:
    rows = (await uow.session.execute(
        select(Membership.user_id).where(
            Membership.court_id == court_id, Membership.role.in_([Role.JUDGE, Role.CLERK]))
        .order_by(Membership.user_id)
    )).scalars()
    return list(dict.fromkeys(rows))


def _context(case: Case, application: ConfirmationApplication, court_name: str) -> dict[str, Any]:
    return {"number": case.number, "court": court_name, "application_id": application.id}


# ---- start and join (L20, L21, L22, L24, L37) ----------------------------------------------


async def check_can_apply(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, subject_kind: str | None
) -> None:
    """Raise the first refusal: entrusted (409), window passed (409), excluded matter (422)."""
    refusal = entrusted_refusal(case.channel)
    if refusal is not None:
        raise conflict(refusal)
    refusal = await window_refusal(uow.session, agreement, services.clock.now())
    if refusal is not None:
        raise conflict(refusal)
    refusal = excluded_matter(
        subject_kind, personal_status=getattr(agreement, "personal_status", None),
        categories=(agreement.category, case.category),
    )
    if refusal is not None:
        raise unprocessable(refusal)


async def start_application(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    actor: Actor,
    *,
    agreement_id: int,
    court_id: int,
    subject_kind: str,
    property_location: str = "",
    party_id: int | None = None,
    client: Client = Client(),
) -> ConfirmationApplication:
    """Start the joint application; the caller's party joins it (status ``gathering``)."""
    entrusted = entrusted_refusal(case.channel)
    if entrusted is not None:
        raise conflict(entrusted)
    if subject_kind not in SUBJECT_KINDS:
        raise ValidationFailed(f"unknown subject_kind {subject_kind!r}", code="unknown_subject_kind",
                               details={"subject_kinds": sorted(SUBJECT_KINDS)})
    agreement = await effective_agreement(uow, case, agreement_id)
    await check_can_apply(uow, services, case, agreement, subject_kind)
    open_one = (await uow.session.execute(
        select(ConfirmationApplication.id).where(
            ConfirmationApplication.agreement_id == agreement.id,
            ConfirmationApplication.status.in_(OPEN_STATUSES),
        ).limit(1)
    )).scalar()
    if open_one is not None:
        raise Conflict("this agreement already has an open application: join it",
                       code="application_open", details={"application_id": open_one})
    courts = await competent_courts(uow.session, services.settings, case, agreement,
                                    property_location=property_location)
    chosen = next((c for c in courts if c.court.id == court_id), None)
    if chosen is None:
        raise ValidationFailed(
            "the court chosen has no jurisdiction over this agreement (L22)",
            code="court_not_competent",
            details={"rule": "L22", "competent_court_ids": [c.court.id for c in courts]},
        )
    now = services.clock.now()
    acting = await acting_for(uow, case, actor, now, party_id)
    who = Who.of(actor)
    application = ConfirmationApplication(
        case_id=case.id, agreement_id=agreement.id, court_id=court_id,
        status=S.GATHERING, competence_basis=chosen.basis, subject_kind=subject_kind,
        property_location=property_location, materials={"links": {}}, started_by_id=actor.user_id,
        created_at=now, supplement_note="", close_reason="", ruling_reason="",
    )
    uow.session.add(application)
    await uow.session.flush()
    await add_event(uow, services, case, "confirmation_started", who, data={
        "application_id": application.id, "agreement_id": agreement.id, "court_id": court_id,
        "court": chosen.court.name_zh, "basis": chosen.basis, "subject_kind": subject_kind,
        "rule": "L20",
    })
    await ensure_window(uow, services, case, agreement, who)
    await _join(uow, services, case, agreement, application, acting, who, client)
    return application


async def join_application(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    application: ConfirmationApplication,
    actor: Actor,
    *,
    party_id: int | None = None,
    client: Client = Client(),
) -> ConfirmationApplication:
    """Another party joins; the last one makes it an application to the court."""
    if application.status != S.GATHERING:
        raise Conflict(f"the application is {application.status}; joining is over",
                       code="not_gathering")
    agreement = await effective_agreement(uow, case, application.agreement_id)
    await check_can_apply(uow, services, case, agreement, application.subject_kind)
    acting = await acting_for(uow, case, actor, services.clock.now(), party_id)
    await _join(uow, services, case, agreement, application, acting, Who.of(actor), client)
    return application


async def _join(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    agreement: Agreement,
    application: ConfirmationApplication,
    acting: Acting,
    who: Who,
    client: Client,
) -> None:
    joins = await joins_of(uow, application.id)
    if any(j.party_id == acting.party.id for j in joins):
        raise Conflict("this party has already joined the application", code="already_joined")
    now = services.clock.now()
    join = ConfirmationJoin(
        application_id=application.id, party_id=acting.party.id, user_id=who.user_id,
        authorization_id=acting.authorization_id, joined_at=now, client_ip=client.ip[:64],
        device_hash=device_hash(services, client.user_agent, client.device_id),
    )
    uow.session.add(join)
    await uow.session.flush()
    parties = await parties_of(uow, case.id)
    joined = {j.party_id for j in joins} | {acting.party.id}
    pending = {p.id for p in parties} - joined
    await add_event(uow, services, case, "confirmation_joined", who, data={
        "application_id": application.id, "party_id": acting.party.id, "side": acting.party.side,
        "via_agent": acting.authorization_id is not None, "pending_party_ids": sorted(pending),
        "rule": "L20",
    })
    sides = {p.side for p in parties}
    if not pending and {"applicant", "respondent"} <= sides:
        await _applied(uow, services, case, agreement, application, who)
        return
    court_name = (await _court_name(uow, application.court_id))
    await notify_users(
        uow, services, await party_users(uow, case, pending, now),
        template="confirmation_join_request", context=_context(case, application, court_name),
        key=f"confirmation:{application.id}:join:{acting.party.id}",
    )


async def _court_name(uow: UnitOfWork, court_id: int) -> str:
    from odr.orgs.models import Court

    court = await uow.session.get(Court, court_id)
    return court.name_zh if court else str(court_id)


async def _applied(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    agreement: Agreement,
    application: ConfirmationApplication,
    who: Who,
) -> None:
    """Every party joined: the court has the application (L20), the L25 clock starts."""
    now = services.clock.now()
    application.status = S.APPLIED
    application.applied_at = now
    await transition(uow, services, case, CaseEventKind.APPLY_CONFIRMATION, who, data={
        "application_id": application.id, "court_id": application.court_id,
        "agreement_id": agreement.id,
    })
    items = await checklist(uow, case, agreement, application)
    application.materials = {**(application.materials or {}), "complete": items.complete}
    await store_application_pdf(uow, services, case, agreement, application, items, who)
    await close_deadlines(uow, services, case.id, kind=WINDOW_KIND, subject=subject_of(agreement),
                          status=DeadlineStatus.MET, who=who)
    await add_event(uow, services, case, "confirmation_applied", who, data={
        "application_id": application.id, "court_id": application.court_id,
        "document_id": application.application_document_id,
        "materials_complete": items.complete, "rule": "L20",
    })
    court_name = await _court_name(uow, application.court_id)
    context = _context(case, application, court_name)
    await notify_users(uow, services, await court_staff(uow, application.court_id),
                       template="confirmation_applied_court", context=context,
                       key=f"confirmation:{application.id}:applied:court")
    party_ids = {p.id for p in await parties_of(uow, case.id)}
    await notify_users(uow, services, await party_users(uow, case, party_ids, now),
                       template="confirmation_applied", context=context,
                       key=f"confirmation:{application.id}:applied:parties")


# ---- materials (L23) ----------------------------------------------------------------------


async def supplement_materials(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    application: ConfirmationApplication,
    actor: Actor,
    *,
    document_ids: list[int],
    item: str | None,
    party_id: int | None,
) -> ConfirmationApplication:
    """Link case documents to the checklist; tell the court once everything asked for is there."""
    now = services.clock.now()
    target_party = party_id if party_id is not None else await default_party(uow, case, actor, now)
    if target_party is not None and target_party not in {p.id for p in await parties_of(uow, case.id)}:
        raise NotFound("no such party in this case")
    sides = await _caller_sides(uow, case, actor, now)
    agreement = await effective_agreement(uow, case, application.agreement_id)
    was_complete = (await checklist(uow, case, agreement, application)).complete
    slots = await link_documents(uow, case, application, document_ids, item=item,
                                 party_id=target_party, caller_sides=sides)
    items = await checklist(uow, case, agreement, application)
    application.materials = {**(application.materials or {}), "complete": items.complete}
    who = Who.of(actor)
    await add_event(uow, services, case, "confirmation_materials_added", who, data={
        "application_id": application.id, "document_ids": list(dict.fromkeys(document_ids)),
        "slots": slots, "complete": items.complete, "rule": "L23",
    })
    if not items.complete:
        return application
    if application.status == S.SUPPLEMENT_REQUESTED:
        # The court asked for more (L23): its side resumes the review and tells its staff.
        from agreements.confirmation.court import supplement_answered

        await supplement_answered(uow, services, application, who)
        return application
    if not was_complete:
        await add_event(uow, services, case, "confirmation_materials_complete", who, data={
            "application_id": application.id, "rule": "L23",
        })
        if application.status in (S.APPLIED, S.ACCEPTED):
            await notify_users(
                uow, services, await court_staff(uow, application.court_id),
                template="confirmation_materials_complete",
                context=_context(case, application, await _court_name(uow, application.court_id)),
                key=f"confirmation:{application.id}:materials:{len(_all_linked(application))}",
            )
    return application


def _all_linked(application: ConfirmationApplication) -> list[int]:
    links = (application.materials or {}).get("links") or {}
    return sorted({int(d) for ids in links.values() for d in ids})


async def _caller_sides(uow: UnitOfWork, case: Case, actor: Actor, now: datetime) -> set[str]:
    sides: set[str] = set()
    for party in await parties_of(uow, case.id):
        if party.user_id == actor.user_id:
            sides.add(party.side)
    auths = (await uow.session.execute(
        select(AgentAuthorization.party_id).where(
            AgentAuthorization.case_id == case.id, AgentAuthorization.agent_user_id == actor.user_id,
            AgentAuthorization.revoked_at.is_(None),
            or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
        )
    )).scalars().all()
    for pid in auths:
        principal = await uow.session.get(CaseParty, pid)
        if principal is not None:
            sides.add(principal.side)
    return sides


# ---- withdrawal (L27) ----------------------------------------------------------------------


async def withdraw_application(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    application: ConfirmationApplication,
    actor: Actor,
    *,
    reason: str,
) -> ConfirmationApplication:
    """A party withdraws before the ruling (L27); the case returns to ``agreement_effective``."""
    if application.status not in OPEN_STATUSES:
        raise Conflict(f"the application is {application.status}; it can no longer be withdrawn",
                       code="not_open")
    now = services.clock.now()
    acting_party = await default_party(uow, case, actor, now)
    who = Who.of(actor)
    previous = application.status
    application.status = S.WITHDRAWN
    application.closed_at = now
    application.close_reason = reason
    if case.status == CaseStatus.CONFIRMATION_APPLIED:
        await transition(uow, services, case, CaseEventKind.WITHDRAW_CONFIRMATION, who,
                         reason=reason, data={"application_id": application.id})
    await close_deadlines(uow, services, case.id, subject=subject(application),
                          status=DeadlineStatus.CANCELLED, who=who, reason="withdrawn (L27)")
    await add_event(uow, services, case, "confirmation_withdrawn", who, data={
        "application_id": application.id, "party_id": acting_party, "previous": previous,
        "reason": reason, "rule": "L27",
    })
    agreement = await effective_agreement(uow, case, application.agreement_id)
    await ensure_window(uow, services, case, agreement, who)
    context = {**_context(case, application, await _court_name(uow, application.court_id)),
               "reason": reason}
    others = {p.id for p in await parties_of(uow, case.id)} - {acting_party}
    recipients = await party_users(uow, case, others, now)
    if previous != S.GATHERING:
        recipients += await court_staff(uow, application.court_id)
    await notify_users(uow, services, recipients, template="confirmation_withdrawn",
                       context=context, key=f"confirmation:{application.id}:withdrawn")
    return application


# ---- L21: the window passed ------------------------------------------------------------------


async def lapse_gathering(
    uow: UnitOfWork, services: Services, case: Case, agreement_id: int, who: Who
) -> list[ConfirmationApplication]:
    """Applications still waiting for a party when the window closed lapse (L21)."""
    found = list((await uow.session.execute(
        select(ConfirmationApplication).where(
            ConfirmationApplication.agreement_id == agreement_id,
            ConfirmationApplication.status == S.GATHERING,
        )
    )).scalars())
    now = services.clock.now()
    for application in found:
        application.status = S.LAPSED
        application.closed_at = now
        application.close_reason = "申请司法确认期限届满，当事人未共同申请（L21）"
        await add_event(uow, services, case, "confirmation_lapsed", who, data={
            "application_id": application.id, "rule": "L21",
        })
        party_ids = {p.id for p in await parties_of(uow, case.id)}
        await notify_users(
            uow, services, await party_users(uow, case, party_ids, now),
            template="confirmation_lapsed",
            context=_context(case, application, await _court_name(uow, application.court_id)),
            key=f"confirmation:{application.id}:lapsed",
        )
    return found

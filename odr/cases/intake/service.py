"""The three ways a case enters, each idempotent per (user, Idempotency-Key).

- ``file_application``: a verified party, or an agent for one of the applicants,
  files online after confirming the platform notice (L1). Self-filed.
- ``refer_case``: a judge or clerk refers a dispute to an institution,
  delegated before filing (委派) or entrusted after it (委托).
- ``register_walk_in``: an institution admin registers a dispute brought to its
  desk, recording that the applicants consented in person (L1).

Every case starts ``submitted`` and waits for review (``odr.cases.intake.review``).

Idempotency: a request repeats an earlier one when the same user sends the
same key. The earlier case is returned (``created`` False) and nothing is
written. Two racing requests with one key both try to insert; the unique
constraint (created_by_id, idempotency_key) lets one win, and the loser's
IntegrityError is answered with the winner's case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from odr.accounts.models import User
from odr.accounts.service import DOC_CONTEXT
from odr.cases.intake.filing import (
    Draft,
    Written,
    add_document,
    add_online_consents,
    attach_evidence,
    blobs,
    evidence_hashes,
    write_case,
)
from odr.cases.intake.notice import current_notice, require_current_notice
from odr.cases.intake.numbers import number_scope
from odr.cases.intake.routing import route_application
from odr.cases.intake.schemas import ApplicationIn, CaseRef, ReferralIn, WalkInIn
from odr.cases.models import (
    AgentAuthorization,
    Case,
    CaseChannel,
    CaseParticipant,
    CaseRole,
    DocumentKind,
    Side,
)
from odr.cases.parties.coapplicants import join_co_applicants
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest, Forbidden, ValidationFailed
from odr.orgs.models import Court, Institution
from odr.policy import Actor
from odr.storage.models import StoredBlob

if TYPE_CHECKING:
    from odr.services import Services

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Filed:
    case: CaseRef
    created: bool  # False: an earlier request with the same key made it


def idempotency_key(request: Request, *, required: bool) -> str | None:
    """The request's ``Idempotency-Key`` (printable ASCII, at most 100 characters)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or key == "":
        if required:
            raise BadRequest(
                f"send an {IDEMPOTENCY_HEADER} header (a random value per application, "
                "the same on every retry) so a retry never files twice",
                code="idempotency_key_required",
            )
        return None
    if len(key) > MAX_KEY_LENGTH or not all(" " < c < "\x7f" for c in key):
        raise BadRequest(
            f"{IDEMPOTENCY_HEADER} is 1-{MAX_KEY_LENGTH} printable ASCII characters",
            code="bad_idempotency_key",
        )
    return key


def _ref(case: Case) -> CaseRef:
    return CaseRef(id=case.id, number=case.number, status=case.status)


async def _by_key(uow: UnitOfWork, user_id: int | None, key: str | None) -> Case | None:
    if key is None or user_id is None:
        return None
    stmt = select(Case).where(Case.created_by_id == user_id, Case.idempotency_key == key)
    return (await uow.session.execute(stmt)).scalar_one_or_none()


Create = Callable[[UnitOfWork], Awaitable[Case]]


async def create_once(services: Services, actor: Actor, key: str | None, create: Create) -> Filed:
    """Run ``create`` in a unit of work unless ``key`` already made a case for ``actor``."""
    try:
        async with services.db.uow() as uow:
            # On SQLite writers are serialized, so a request that waited for a twin's
            # commit sees its case here; on PostgreSQL a twin still running is not seen.
            earlier = await _by_key(uow, actor.user_id, key)
            if earlier is not None:
                return Filed(_ref(earlier), created=False)
            case = await create(uow)
            filed = Filed(_ref(case), created=True)
    except IntegrityError:
        # On PostgreSQL a twin may have inserted between our check and our insert.
        async with services.db.reader() as uow:
            earlier = await _by_key(uow, actor.user_id, key)
        if earlier is None:
            raise
        return Filed(_ref(earlier), created=False)
    return filed


# ---------------------------------------------------------------- look-ups


async def institution_for(
    uow: UnitOfWork, institution_id: int, *, category: str | None, field: str
) -> Institution:
    """An active institution (and, given ``category``, one that takes it); 422 otherwise."""
    inst = await uow.session.get(Institution, institution_id)
    if inst is None or not inst.active:
        raise ValidationFailed(
            f"no active institution has id {institution_id}", code="unknown_institution",
            details=[{"field": field}],
        )
    if category is not None and category not in (inst.categories or []):
        raise ValidationFailed(
            f"{inst.name_zh} does not mediate {category} disputes; choose another institution "
            "or none",
            code="institution_category_mismatch", details=[{"field": field}],
        )
    return inst


def _membership(chosen: int | None, mine: frozenset[int], what: str) -> int:
    """The organisation an actor acts for: the one named, or its only one."""
    if chosen is not None:
        if chosen not in mine:
            raise Forbidden(f"you do not belong to {what} {chosen}")
        return chosen
    if not mine:
        raise Forbidden(f"you belong to no {what}")
    if len(mine) > 1:
        raise ValidationFailed(
            f"you belong to several {what}s: name the one this case is for",
            details=[{"field": f"{what.replace(' ', '_')}_id"}],
        )
    return next(iter(mine))


async def _filed_event(
    uow: UnitOfWork, services: Services, case: Case, actor: Actor, **data: object
) -> None:
    await add_event(uow, services, case, "filed", Who.of(actor),
                    data={"channel": case.channel, **data})


# ---------------------------------------------------------------- channels


async def file_application(
    services: Services, actor: Actor, body: ApplicationIn, key: str | None
) -> Filed:
    """A self-filed online application (L1: the notice confirmed, consent recorded)."""

    async def create(uow: UnitOfWork) -> Case:
        notice_version = require_current_notice(body.notice_version)
        if not body.consent_to_online_mediation:
            raise ValidationFailed(
                "confirm that you consent to mediate online (L1); if you do not, apply at an "
                "institution's desk instead",
                code="consent_required", details=[{"field": "consent_to_online_mediation"}],
            )
        now = services.clock.now()
        preferred = None
        if body.preferred_institution_id is not None:
            preferred = await institution_for(
                uow, body.preferred_institution_id, category=body.category,
                field="preferred_institution_id",
            )
        files = body.evidence_files()
        evidence = await blobs(uow, evidence_hashes(files), "evidence")
        poa: dict[str, StoredBlob] = {}
        user = await uow.session.get(User, actor.user_id)
        if user is None:
            raise Forbidden("sign in again")
        if body.agent is not None:
            poa = await blobs(
                uow, [body.agent.power_of_attorney_sha256], "agent.power_of_attorney_sha256"
            )
            if body.agent.valid_until is not None and body.agent.valid_until <= now:
                raise ValidationFailed(
                    "the power of attorney has already expired",
                    details=[{"field": "agent.valid_until"}],
                )
            own_index = body.agent.principal_index
        else:
            own_index = _own_applicant_index(services, user, body)

        written = await write_case(uow, services, Draft(
            channel=CaseChannel.SELF_FILED, dispute=body, applicants=body.applicants,
            respondents=body.respondents,
            number_scope=number_scope(preferred.code if preferred else None, None),
            created_by_id=actor.user_id, idempotency_key=key,
            preferred_institution_id=preferred.id if preferred else None,
        ))
        case, party = written.case, written.applicants[own_index]
        if body.agent is None:
            party.user_id = user.id
            uow.session.add(CaseParticipant(
                case_id=case.id, user_id=user.id, role=CaseRole.APPLICANT, party_id=party.id,
                created_at=now,
            ))
        else:
            await _agent_for(uow, written, body, user, poa, now)
        add_online_consents(uow, case.id, written.applicants, channel="web",
                            by_user_id=user.id, notice_version=notice_version, now=now)
        await attach_evidence(uow, case.id, files, evidence, side=Side.APPLICANT,
                              uploaded_by_id=user.id, now=now)
        await _filed_event(uow, services, case, actor, by_agent=body.agent is not None,
                           notice_version=notice_version)
        await route_application(uow, services, case)  # no preference: an institution reviews it
        await join_co_applicants(
            uow, services, case,
            [(p, body.applicants[i].id_doc_number) for i, p in enumerate(written.applicants)],
            filer=user.real_name, who=Who.of(actor),
        )
        return case

    return await create_once(services, actor, key, create)


def _own_applicant_index(services: Services, user: User, body: ApplicationIn) -> int:
    """Which applicant the filing user is, by identity document (L2); 422 if none."""
    if user.id_doc_lookup is not None:
        for i, party in enumerate(body.applicants):
            if party.id_doc_type == user.id_doc_type and user.id_doc_lookup == (
                services.crypto.lookup_hash(party.id_doc_number, context=DOC_CONTEXT)
            ):
                return i
    raise ValidationFailed(
        "you are not among the applicants: name yourself with the identity document you "
        "verified, or file as an agent (agent.principal_index and a power of attorney)",
        code="filer_not_applicant", details=[{"field": "applicants"}],
    )


async def _agent_for(
    uow: UnitOfWork, written: Written, body: ApplicationIn, user: User,
    poa: dict[str, StoredBlob], now: datetime,
) -> None:
    """The filing agent's participation and authorization (scopes from the body)."""
    assert body.agent is not None
    case = written.case
    principal = written.applicants[body.agent.principal_index]
    sha = body.agent.power_of_attorney_sha256
    uow.session.add(CaseParticipant(
        case_id=case.id, user_id=user.id, role=CaseRole.AGENT, party_id=principal.id,
        created_at=now, ends_at=body.agent.valid_until,  # the participation ends with the grant
    ))
    uow.session.add(AgentAuthorization(
        case_id=case.id, party_id=principal.id, agent_user_id=user.id,
        scopes=[str(s) for s in body.agent.scopes], document_sha256=sha, valid_from=now,
        valid_until=body.agent.valid_until, granted_by_id=None, created_at=now,
    ))
    doc = add_document(
        uow, case.id, poa[sha], kind=DocumentKind.POWER_OF_ATTORNEY,
        title=f"授权委托书（{principal.name}）", side=Side.APPLICANT, uploaded_by_id=user.id,
        now=now,
    )
    await uow.session.flush()
    doc.lineage_id = doc.id


async def refer_case(services: Services, actor: Actor, body: ReferralIn, key: str | None) -> Filed:
    """A court's referral to an institution (委派 before filing, 委托 after)."""

    async def create(uow: UnitOfWork) -> Case:
        court_id = _membership(body.court_id, actor.court_ids, "court")
        court = await uow.session.get(Court, court_id)
        if court is None:
            raise Forbidden(f"court {court_id} does not exist")
        inst = await institution_for(uow, body.institution_id, category=None,
                                     field="institution_id")
        files = body.evidence_files()
        evidence = await blobs(uow, evidence_hashes(files), "evidence")
        written = await write_case(uow, services, Draft(
            channel=body.channel, dispute=body, applicants=body.applicants,
            respondents=body.respondents, number_scope=number_scope(inst.code, court.code),
            created_by_id=actor.user_id, idempotency_key=key, institution_id=inst.id,
            court_id=court.id, procedure=body.procedure, court_case_number=body.court_case_number,
        ))
        case = written.case
        await attach_evidence(uow, case.id, files, evidence, side=None,
                              uploaded_by_id=actor.user_id, now=services.clock.now())
        await _filed_event(uow, services, case, actor, court_id=court.id,
                           institution_id=inst.id, court_case_number=body.court_case_number)
        await join_co_applicants(  # the applicants follow their case from the referral on
            uow, services, case,
            [(p, body.applicants[i].id_doc_number) for i, p in enumerate(written.applicants)],
            filer=court.name_zh, who=Who.of(actor), referred=True,
        )
        return case

    return await create_once(services, actor, key, create)


async def register_walk_in(
    services: Services, actor: Actor, body: WalkInIn, key: str | None
) -> Filed:
    """A dispute brought to an institution's desk; the applicants consented in person (L1)."""

    async def create(uow: UnitOfWork) -> Case:
        if not body.consent_taken_in_person:
            raise ValidationFailed(
                "record that the applicants consented in person to mediate online (L1); "
                "without it the case cannot be registered for online mediation",
                code="consent_required", details=[{"field": "consent_taken_in_person"}],
            )
        institution_id = _membership(body.institution_id, actor.institution_ids, "institution")
        inst = await institution_for(uow, institution_id, category=None, field="institution_id")
        files = body.evidence_files()
        evidence = await blobs(uow, evidence_hashes(files), "evidence")
        now = services.clock.now()
        written = await write_case(uow, services, Draft(
            channel=CaseChannel.WALK_IN, dispute=body, applicants=body.applicants,
            respondents=body.respondents, number_scope=number_scope(inst.code, None),
            created_by_id=actor.user_id, idempotency_key=key, institution_id=inst.id,
        ))
        case = written.case
        add_online_consents(uow, case.id, written.applicants, channel="in_person",
                            by_user_id=actor.user_id,
                            notice_version=current_notice().version, now=now)
        await attach_evidence(uow, case.id, files, evidence,
                              side=Side.APPLICANT, uploaded_by_id=actor.user_id, now=now)
        await _filed_event(uow, services, case, actor, institution_id=inst.id)
        await join_co_applicants(
            uow, services, case,
            [(p, body.applicants[i].id_doc_number) for i, p in enumerate(written.applicants)],
            filer=inst.name_zh, who=Who.of(actor), referred=True,
        )
        return case

    return await create_once(services, actor, key, create)

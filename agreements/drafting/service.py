"""Drafting: a new draft (pre-filled), revisions in versions, abandoning (L15, L19).

Every function runs in the caller's unit of work with the case row held
(``load_case_for_update``), so one case never gets two open drafts and a
revision never races another. What a party would see goes on the case
timeline (``add_event``, which also writes the audit entry); the rest into
the audit chain.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.content import AgreementContent, changed_fields, content_sha256
from agreements.drafting.prefill import case_parties, party_block, prefill
from agreements.drafting.voiding import void_earlier_signatures
from agreements.models import Agreement, AgreementKind, AgreementStatus, AgreementVersion
from odr.cases.models import Case
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound, ValidationFailed
from odr.meetings.models import Meeting
from odr.outbox.live import publish_live_event
from odr.services import Services

OPEN_STATUSES = (AgreementStatus.DRAFT, AgreementStatus.SIGNING)


class PersonalStatus(StrEnum):
    """Whether the agreement settles a personal-status matter (L19, ESL 3)."""

    NONE = "none"
    MARRIAGE = "marriage"
    ADOPTION = "adoption"
    INHERITANCE = "inheritance"


L19_REASON = (
    "An electronic signature cannot give effect to an agreement on marriage, adoption or "
    "inheritance (Electronic Signature Law art. 3; L19). Draft and sign this agreement on "
    "paper at the mediation institution instead."
)
L19_REASON_ZH = (
    "依照《电子签名法》第三条，涉及婚姻、收养、继承等人身关系的文书不适用电子签名，"
    "本调解协议无法在线签署生效，请到调解组织以纸质方式制作并签署。"
)


def refuse_personal_status(status: str) -> None:
    """L19: 422 with the reason when the agreement concerns marriage, adoption or inheritance."""
    if status != PersonalStatus.NONE:
        raise ValidationFailed(
            L19_REASON, code="electronic_signature_excluded",
            details={"personal_status": status, "rule": "L19", "reason_zh": L19_REASON_ZH,
                     "path": "paper"},
        )


def new_verification_code() -> str:
    """A public code for the PDF and its QR code: 16 characters, no look-alike letters."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def live_room(case: Case) -> str:
    return f"case:{case.id}"  # as odr.cases.transitions.add_event names it


async def open_agreement(session: AsyncSession, case_id: int) -> Agreement | None:
    """The case's draft or signing agreement, if any (there is at most one)."""
    return (await session.execute(
        select(Agreement).where(Agreement.case_id == case_id, Agreement.status.in_(OPEN_STATUSES))
        .order_by(Agreement.id.desc()).limit(1)
    )).scalar_one_or_none()


async def refuse_second_open(session: AsyncSession, case: Case) -> None:
    existing = await open_agreement(session, case.id)
    if existing is not None:
        raise Conflict(
            "the case already has an open agreement: revise it, or abandon it first",
            code="open_agreement_exists", details={"agreement_id": existing.id},
        )


async def version_of(session: AsyncSession, agreement_id: int, number: int) -> AgreementVersion:
    version = (await session.execute(select(AgreementVersion).where(
        AgreementVersion.agreement_id == agreement_id, AgreementVersion.number == number,
    ))).scalar_one_or_none()
    if version is None:
        raise NotFound(f"the agreement has no version {number}", code="version_not_found")
    return version


async def normalise(session: AsyncSession, case: Case, content: AgreementContent) -> AgreementContent:
    """Refuse parties that are not the case's (422); take identity details from the case.

    The masked identity number, its type and the case number are the case's
    facts, not the editor's: they are copied from the case whatever was sent.
    """
    parties = {p.id: p for p in await case_parties(session, case.id)}
    strangers = sorted({b.party_id for b in content.parties} - parties.keys())
    for term in content.terms:
        strangers += [i for i in term.obligor_party_ids + term.obligee_party_ids
                      if i not in parties]
    if strangers:
        raise ValidationFailed(
            f"party #{strangers[0]} is not a party of this case", code="unknown_party",
            details=[{"field": "parties", "message": "not a party of this case",
                      "party_ids": sorted(set(strangers))}],
        )
    blocks = []
    for block in content.parties:
        truth = party_block(parties[block.party_id])
        blocks.append(block.model_copy(update={
            "side": truth.side, "id_doc_type": truth.id_doc_type, "id_masked": truth.id_masked,
        }))
    return content.model_copy(update={"parties": blocks, "case_number": case.number})


async def add_version(
    uow: UnitOfWork, services: Services, agreement: Agreement, content: AgreementContent,
    who: Who, *, number: int, fields: list[str], note: str,
) -> AgreementVersion:
    assert who.user_id is not None, "a version has a human author"
    version = AgreementVersion(
        agreement_id=agreement.id, number=number, content=content.model_dump(mode="json"),
        content_sha256=content_sha256(content), changed_fields=fields, change_note=note,
        author_id=who.user_id, created_at=services.clock.now(),
    )
    uow.session.add(version)
    await uow.session.flush()
    return version


async def create_draft(
    uow: UnitOfWork, services: Services, case: Case, who: Who, *, language: str,
    personal_status: str = PersonalStatus.NONE, meeting_id: int | None = None,
) -> Agreement:
    """A new written draft, version 1 pre-filled from the case and its category template.

    422 for a personal-status matter (L19) or a meeting of another case; 409
    when the case already has an open agreement.
    """
    refuse_personal_status(personal_status)
    if meeting_id is not None:
        meeting = await uow.session.get(Meeting, meeting_id)
        if meeting is None or meeting.case_id != case.id:
            raise ValidationFailed("no such meeting in this case", code="unknown_meeting",
                                   details=[{"field": "meeting_id", "message": "not this case's"}])
    await refuse_second_open(uow.session, case)
    now = services.clock.now()
    assert who.user_id is not None
    agreement = Agreement(
        case_id=case.id, kind=AgreementKind.WRITTEN, status=AgreementStatus.DRAFT,
        category=case.category, language=language, current_version=1,
        verification_code=new_verification_code(), meeting_id=meeting_id,
        created_by_id=who.user_id, created_at=now,
    )
    uow.session.add(agreement)
    await uow.session.flush()
    content = await prefill(uow.session, case, language=language, now=now)
    version = await add_version(uow, services, agreement, content, who, number=1, fields=[],
                                note="")
    await add_event(uow, services, case, "agreement_drafted", who, data={
        "agreement_id": agreement.id, "version": 1, "language": language,
        "content_sha256": version.content_sha256, "meeting_id": meeting_id,
    })
    await publish(uow, services, case, agreement, "agreement.drafted")
    return agreement


async def revise(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, who: Who, *,
    base_version: int, content: AgreementContent, note: str = "",
) -> AgreementVersion:
    """The next version of an open agreement; earlier signatures are voided (signers told).

    409 ``stale_version`` when ``base_version`` is not the current one (someone
    edited meanwhile), ``not_editable`` once effective or abandoned; 422 when the
    content is unchanged, in another language, or names a stranger.
    """
    if agreement.status not in OPEN_STATUSES:
        raise Conflict(f"an agreement that is {agreement.status} cannot be changed",
                       code="not_editable", details={"status": agreement.status})
    if base_version != agreement.current_version:
        raise Conflict(
            f"version {base_version} is not the current version {agreement.current_version}: "
            "reload the agreement and apply your change again",
            code="stale_version", details={"current_version": agreement.current_version},
        )
    if content.language != agreement.language:
        raise ValidationFailed(f"the agreement is drafted in {agreement.language}",
                               code="wrong_language",
                               details=[{"field": "content.language", "message": "must not change"}])
    content = await normalise(uow.session, case, content)
    previous = await version_of(uow.session, agreement.id, agreement.current_version)
    old = AgreementContent.model_validate(previous.content)
    if content_sha256(content) == previous.content_sha256:
        raise ValidationFailed("nothing changed", code="unchanged")
    number = agreement.current_version + 1
    fields = changed_fields(old, content)
    version = await add_version(uow, services, agreement, content, who, number=number,
                                fields=fields, note=note)
    agreement.current_version = number
    agreement.status = AgreementStatus.DRAFT
    voided = await void_earlier_signatures(uow, services, case, agreement, number, who)
    await add_event(uow, services, case, "agreement_revised", who, data={
        "agreement_id": agreement.id, "version": number, "changed_fields": fields,
        "note": note, "content_sha256": version.content_sha256,
        "voided_signature_ids": [s.id for s in voided],
    })
    await publish(uow, services, case, agreement, "agreement.changed",
                   voided_signature_ids=[s.id for s in voided], changed_fields=fields)
    return version


async def abandon(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, who: Who, *,
    reason: str,
) -> None:
    """Discard an open agreement (409 once effective or already abandoned)."""
    if agreement.status not in OPEN_STATUSES:
        raise Conflict(f"an agreement that is {agreement.status} cannot be abandoned",
                       code="not_open", details={"status": agreement.status})
    agreement.status = AgreementStatus.ABANDONED
    agreement.abandoned_at = services.clock.now()
    agreement.abandon_reason = reason[:500]
    await uow.session.flush()
    await add_event(uow, services, case, "agreement_abandoned", who, data={
        "agreement_id": agreement.id, "version": agreement.current_version, "reason": reason,
    })
    await publish(uow, services, case, agreement, "agreement.abandoned")


async def publish(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, event: str,
    **extra: object,
) -> None:
    await publish_live_event(uow, services.clock, live_room(case), event, {
        "case_id": case.id, "agreement_id": agreement.id, "version": agreement.current_version,
        "status": agreement.status, **extra,
    })

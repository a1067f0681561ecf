"""An oral agreement (L18): effective when reached, its content recorded by the mediator.

The content must pass every L15 check; then the agreement takes effect at
once through the same path as a written one (``make_effective``: the case
moves to ``agreement_effective`` and the PDF job is queued in this transaction).
"""

from __future__ import annotations

from agreements.content import AgreementContent
from agreements.drafting.checks import problems
from agreements.drafting.prefill import case_parties
from agreements.drafting.service import (
    PersonalStatus,
    add_version,
    new_verification_code,
    normalise,
    refuse_personal_status,
    refuse_second_open,
)
from agreements.models import Agreement, AgreementKind, AgreementStatus
from agreements.signing.effect import make_effective
from odr.cases.models import Case
from odr.cases.transitions import Who, add_event
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.errors import ValidationFailed
from odr.services import Services


async def record_oral(
    uow: UnitOfWork, services: Services, case: Case, who: Who, *, content: AgreementContent,
    note: str = "", personal_status: str = PersonalStatus.NONE,
) -> Agreement:
    """Record the oral agreement and make it effective now (422 on any L15 problem)."""
    refuse_personal_status(personal_status)
    await refuse_second_open(uow.session, case)
    content = await normalise(uow.session, case, content)
    party_ids = {p.id for p in await case_parties(uow.session, case.id)}
    now = services.clock.now()
    found = problems(content, party_ids=party_ids, channel=case.channel, today=to_local(now).date())
    if found:
        raise ValidationFailed(
            "the agreement's content is incomplete (L15)", code="content_incomplete",
            details=[p.as_dict() for p in found],
        )
    assert who.user_id is not None
    agreement = Agreement(
        case_id=case.id, kind=AgreementKind.ORAL, status=AgreementStatus.DRAFT,
        category=case.category, language=content.language, current_version=1,
        verification_code=new_verification_code(), created_by_id=who.user_id, created_at=now,
    )
    uow.session.add(agreement)
    await uow.session.flush()
    version = await add_version(uow, services, agreement, content, who, number=1, fields=[],
                                note=note)
    await add_event(uow, services, case, "agreement_oral_recorded", who, data={
        "agreement_id": agreement.id, "version": 1, "note": note,
        "content_sha256": version.content_sha256,
    })
    await make_effective(uow, services, case, agreement, who)
    return agreement

"""Signatures stop counting when what they signed is no longer what the agreement says.

A signature binds to one version's hash. An edit (a new version) voids every
valid signature of the earlier versions; replacing the mediator (L7) voids
every valid signature of the open agreement, since it names the old mediator
and carries the old mediator's signature. The rows stay, with the time and
the reason, and each signer is told once to review and sign again.
"""

from __future__ import annotations

from sqlalchemy import select

from agreements.models import Agreement, AgreementSignature
from odr.audit.chain import record
from odr.cases.models import Case
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.notify.service import notify_users
from odr.services import Services

VOIDED_TEMPLATE = "agreement_signature_voided"


def void_reason(version: int) -> str:
    return f"the agreement was changed in version {version}"


async def void_signatures(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, who: Who, *,
    reason: str, before_version: int | None = None, key: str,
) -> list[AgreementSignature]:
    """Void the agreement's valid signatures (only those of versions before ``before_version``
    when given), audit it and notify each signer once under ``key``. Returns the voided rows."""
    stmt = select(AgreementSignature).where(
        AgreementSignature.agreement_id == agreement.id, AgreementSignature.voided_at.is_(None))
    if before_version is not None:
        stmt = stmt.where(AgreementSignature.version_number < before_version)
    voided = list((await uow.session.execute(
        stmt.order_by(AgreementSignature.id).with_for_update())).scalars())
    if not voided:
        return []
    now = services.clock.now()
    for signature in voided:
        signature.voided_at = now
        signature.void_reason = reason
    await uow.session.flush()
    await record(
        uow, services.clock, action="agreement.signatures_voided", actor_id=who.user_id,
        actor_label=who.label, subject_type="agreement", subject_id=agreement.id,
        data={"case_id": case.id, "version": agreement.current_version, "reason": reason,
              "signature_ids": [s.id for s in voided]},
    )
    await notify_users(
        uow, services, [s.signer_user_id for s in voided], template=VOIDED_TEMPLATE,
        context={"case_number": case.number, "version": agreement.current_version}, key=key,
    )
    return voided


async def void_earlier_signatures(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, version: int, who: Who
) -> list[AgreementSignature]:
    """An edit made ``version``: void the valid signatures of every earlier version."""
    return await void_signatures(
        uow, services, case, agreement, who, reason=void_reason(version), before_version=version,
        key=f"agreement:{agreement.id}:v{version}:voided",
    )

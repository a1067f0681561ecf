"""Signing an agreement (issue 7 point 2; L16): checks in a fixed order, then one transaction.

A signature request is refused with a clear 4xx and no change, checked in
this order: the policy (party / mediator / seal), a fresh re-authentication of
the session, the exact current version and hash, the L15 content checks, not
signed already, the party is one the caller may sign for, the one-time code,
the drawn image. A wrong code is the one refusal that writes something: the
try is counted (``odr.accounts.otp``) and committed before the 422.

Accepted, in the same transaction as the case row lock: the PNG blob, the
signature row (with client address and a keyed device hash for the
sham-mediation warnings, OMR 23), the audit entry ``agreement.signed``, a
timeline event, a live event to the case room, ``draft`` → ``signing``; and
when this was the last of every party, the mediator and the seal,
``make_effective`` (effective at this very moment, L16), which queues the PDF job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select

from agreements.content import AgreementContent
from agreements.drafting.checks import problems
from agreements.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    SignerRole,
)
from agreements.signing.codes import check_sign_code
from agreements.signing.effect import make_effective
from agreements.signing.images import SignatureImage
from agreements.signing.required import (
    SignatureState,
    case_party_ids,
    current_version,
    signable_parties,
    signature_state,
    signatures_of,
)
from odr.accounts.models import LoginSession
from odr.audit.chain import record as audit
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import Who, add_event, load_case_for_update
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, OdrError, ValidationFailed
from odr.outbox.live import publish_live_event
from odr.policy import Actor, Permission, authorize
from odr.services import Services
from odr.storage.uploads import record_blob

DEVICE_CONTEXT = "agreement_signature.device"

PERMISSION_OF: dict[str, Permission] = {
    SignerRole.PARTY: Permission.AGREEMENT_SIGN,
    SignerRole.MEDIATOR: Permission.AGREEMENT_MEDIATOR_SIGN,
    SignerRole.SEAL: Permission.AGREEMENT_SEAL,
}
OPEN_STATUSES = frozenset({AgreementStatus.DRAFT, AgreementStatus.SIGNING})


@dataclass(frozen=True)
class SignRequest:
    """One signature as the signer sent it, with what the request itself tells."""

    role: str
    party_id: int | None
    version: int
    content_sha256: str
    code: str
    image: SignatureImage | ValidationFailed | None  # decoded before the transaction
    device_id: str
    client_ip: str = ""
    user_agent: str = ""
    session_id: int | None = None


@dataclass(frozen=True)
class Signed:
    signature: AgreementSignature
    agreement: Agreement
    state: SignatureState
    became_effective: bool


async def load_agreement_for_update(uow: UnitOfWork, agreement_id: int) -> tuple[Case, Agreement]:
    """The agreement and its case, both locked (case first, as every case change does)."""
    found = await uow.session.get(Agreement, agreement_id)
    if found is None:
        raise NotFound("no such agreement", code="agreement_not_found")
    case = await load_case_for_update(uow, found.case_id)
    agreement = (await uow.session.execute(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update()
        .execution_options(populate_existing=True)
    )).scalar_one()
    return case, agreement


def require_open(agreement: Agreement) -> None:
    if agreement.kind != AgreementKind.WRITTEN or agreement.status not in OPEN_STATUSES:
        raise Conflict(
            f"this agreement is {agreement.status} and can no longer be signed",
            code="agreement_not_open", details={"status": agreement.status},
        )


async def reauth_expires_at(
    uow: UnitOfWork, services: Services, session_id: int | None, user_id: int | None
) -> datetime | None:
    """When the session's last re-authentication stops being fresh enough to sign."""
    if session_id is None or user_id is None:
        return None
    at = (await uow.session.execute(
        select(LoginSession.reauthenticated_at).where(
            LoginSession.id == session_id, LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
        )
    )).scalar_one_or_none()
    if at is None:
        return None
    return at + timedelta(seconds=services.settings.agreement_reauth_seconds)


async def require_fresh_reauth(
    uow: UnitOfWork, services: Services, session_id: int | None, user_id: int | None
) -> datetime:
    """The session's re-authentication time; 403 ``reauthentication_required`` when stale."""
    expires = await reauth_expires_at(uow, services, session_id, user_id)
    if expires is None or expires <= services.clock.now():
        raise Forbidden(
            "confirm it is you again (password or code) before signing",
            code="reauthentication_required",
            details={"max_age_seconds": services.settings.agreement_reauth_seconds},
        )
    return expires - timedelta(seconds=services.settings.agreement_reauth_seconds)


def content_problems(
    version: AgreementVersion, case: Case, party_ids: list[int], now: datetime
) -> list[dict[str, str]]:
    try:
        content = AgreementContent.model_validate(version.content)
    except ValidationError as exc:
        return [{"field": "content", "code": "invalid", "message": str(exc)}]
    found = problems(content, party_ids=set(party_ids), channel=case.channel, today=to_local(now).date())
    return [p.as_dict() for p in found]


def device_hash(services: Services, user_agent: str, device_id: str) -> str:
    return services.crypto.lookup_hash(f"{user_agent}\n{device_id}", context=DEVICE_CONTEXT)


async def sign(services: Services, actor: Actor, agreement_id: int, req: SignRequest) -> Signed:
    """Record one signature (or the seal); see the module's order of checks."""
    refusal: OdrError | None = None
    async with services.db.uow() as uow:
        outcome = await _sign(uow, services, actor, agreement_id, req)
        if isinstance(outcome, OdrError):
            refusal = outcome  # a wrong code: its counted try commits, nothing else was written
    if refusal is not None:
        raise refusal
    assert isinstance(outcome, Signed)
    return outcome


async def _sign(
    uow: UnitOfWork, services: Services, actor: Actor, agreement_id: int, req: SignRequest
) -> Signed | OdrError:
    s = uow.session
    now = services.clock.now()
    case, agreement = await load_agreement_for_update(uow, agreement_id)
    view = await case_view(s, case, now)
    authorize(actor, PERMISSION_OF[req.role], view)
    require_open(agreement)
    reauthenticated_at = await require_fresh_reauth(uow, services, req.session_id, actor.user_id)
    version = await current_version(s, agreement)
    if req.version != version.number or req.content_sha256 != version.content_sha256:
        raise Conflict(
            "the agreement changed since you reviewed it: review the current version and sign again",
            code="stale_version",
            details={"version": version.number, "content_sha256": version.content_sha256},
        )
    party_ids = await case_party_ids(s, case.id)
    found = content_problems(version, case, party_ids, now)
    if found:
        raise ValidationFailed(
            "the agreement's content is not complete (L15); the mediator must fix it first",
            code="content_problems", details=found,
        )
    state = signature_state(party_ids, await signatures_of(s, agreement.id), version)
    signable = (
        await signable_parties(s, case.id, actor.user_id, now) if req.role == SignerRole.PARTY else {}
    )
    party_id = _party_of(req, signable, state) if req.role == SignerRole.PARTY else None
    if state.has_signed(req.role, party_id):
        raise Conflict("this has already been signed on the current version", code="already_signed",
                       details={"role": req.role, "party_id": party_id})
    if req.role == SignerRole.PARTY and party_id not in signable:
        raise Forbidden("you may not sign for this party", code="not_your_party",
                        details={"party_id": party_id})
    assert actor.user_id is not None
    check = await check_sign_code(uow, services, user_id=actor.user_id, code=req.code)
    if not check.ok:
        return ValidationFailed(
            "the one-time code is wrong or has expired; request a new one if needed",
            code=f"code_{check.outcome}",
            details=[{"field": "code", "message": str(check.outcome)}],
        )
    image = _image_of(req)
    return await _record(
        uow, services, actor, case, agreement, version, state, req,
        party_id=party_id, authorization_id=signable.get(party_id) if party_id else None,
        image=image, reauthenticated_at=reauthenticated_at,
    )


def _party_of(req: SignRequest, signable: dict[int, int | None], state: SignatureState) -> int:
    """The party signed for: the one named, or the caller's only one still to sign."""
    if req.party_id is not None:
        return req.party_id
    choices = [p for p in signable if p in state.party_ids]
    unsigned = [p for p in choices if p not in state.signed_party_ids]
    if len(choices) == 1:
        return choices[0]
    if len(unsigned) == 1:
        return unsigned[0]
    raise ValidationFailed(
        "name the party you sign for",
        details=[{"field": "party_id", "message": "required", "choices": sorted(choices)}],
    )


def _image_of(req: SignRequest) -> SignatureImage | None:
    if req.role == SignerRole.SEAL:
        return None  # the institution's seal image is drawn by the PDF
    if isinstance(req.image, ValidationFailed):
        raise req.image
    if req.image is None:
        raise ValidationFailed("draw your signature: signature_png is required",
                               code="signature_image_required")
    return req.image


async def _record(
    uow: UnitOfWork, services: Services, actor: Actor, case: Case, agreement: Agreement, version: AgreementVersion, state: SignatureState, req: SignRequest, *,
    party_id: int | None, authorization_id: int | None, image: SignatureImage | None,
    reauthenticated_at: datetime,
) -> Signed:
    s = uow.session
    now = services.clock.now()
    who = Who.of(actor)
    image_sha: str | None = None
    if image is not None:
        ref = await services.storage.put_bytes(image.png)
        image_sha = (await record_blob(uow, services.clock, ref, "image/png")).sha256
    signature = AgreementSignature(
        agreement_id=agreement.id, version_number=version.number,
        content_sha256=version.content_sha256, role=req.role, party_id=party_id,
        signer_user_id=actor.user_id, authorization_id=authorization_id, image_sha256=image_sha,
        signed_at=now, reauthenticated_at=reauthenticated_at, code_verified_at=now,
        client_ip=req.client_ip[:64], device_hash=device_hash(services, req.user_agent, req.device_id),
    )
    s.add(signature)
    if agreement.status == AgreementStatus.DRAFT:
        agreement.status = AgreementStatus.SIGNING
    await s.flush()
    facts = {"agreement_id": agreement.id, "signature_id": signature.id, "role": req.role,
             "party_id": party_id, "version": version.number}
    await audit(
        uow, services.clock, action="agreement.signed", actor_id=actor.user_id,
        actor_label=who.label, subject_type="agreement", subject_id=str(agreement.id),
        data={**facts, "case_id": case.id, "content_sha256": version.content_sha256,
              "authorization_id": authorization_id, "image_sha256": image_sha,
              "client_ip": signature.client_ip, "device_hash": signature.device_hash},
    )
    await add_event(uow, services, case, "agreement_signed", who, data=facts)
    after = signature_state(state.party_ids, await signatures_of(s, agreement.id), version)
    await publish_live_event(
        uow, services.clock, f"case:{case.id}", "agreement.signed",
        {**facts, "case_id": case.id, "missing": after.missing, "complete": after.complete},
    )
    if after.complete:
        await make_effective(uow, services, case, agreement, who)
    return Signed(signature, agreement, after, after.complete)

"""One-time code requests and identity confirmation (L2)."""

from __future__ import annotations

from odr.accounts import otp
from odr.accounts.identity import mask_mobile
from odr.accounts.models import IdentityLevel
from odr.accounts.otp import Purpose
from odr.accounts.schemas import UserOut
from odr.accounts.service import (
    LEVEL_RANK,
    apply_result,
    audit_user,
    awaiting_activation,
    by_verified_mobile,
    kept,
    load_user,
    refuse_mobile_of_another,
    user_out,
    verification_subject,
)
from odr.accounts.verifier import VerificationResult, verifier_for
from odr.errors import BadRequest, Conflict
from odr.policy import Actor
from odr.services import Services


async def request_code(services: Services, actor: Actor, mobile: str, purpose: Purpose) -> int:
    """Send a code; returns seconds until it expires.

    For ``login`` and ``reset_password`` the answer is the same whether or
    not an account uses the number, so numbers cannot be probed.
    """
    async with services.db.uow() as uow:
        if purpose in (Purpose.LOGIN, Purpose.RESET_PASSWORD):
            owner = await by_verified_mobile(uow, mobile)
            if owner is None and purpose == Purpose.RESET_PASSWORD:
                owner = await awaiting_activation(uow, mobile)  # sets its first password
            send = owner is not None and owner.is_active
            return await otp.issue_code(
                uow,
                services,
                mobile=mobile,
                purpose=purpose,
                user_id=owner.id if owner and send else None,
                locale=owner.locale if owner else "zh-CN",
                send=send,
            )
        user = await load_user(uow, actor.user_id)
        if purpose == Purpose.VERIFY_MOBILE:
            if user.mobile != mobile:
                raise BadRequest(
                    "send the code to the mobile number on your account", code="mobile_mismatch"
                )
            if user.mobile_verified_at is not None:
                raise Conflict("this mobile number is already confirmed", code="already_verified")
        else:  # change_mobile: the code goes to the new number
            if user.mobile == mobile and user.mobile_verified_at is not None:
                raise BadRequest("this is already your mobile number", code="same_mobile")
            await refuse_mobile_of_another(uow, mobile, user.id)
        return await otp.issue_code(
            uow, services, mobile=mobile, purpose=purpose, user_id=user.id, locale=user.locale
        )


async def verify_mobile(services: Services, actor: Actor, code: str) -> UserOut:
    """Confirm the account's mobile with its code, then let the verifier set the level (L2)."""
    async with services.db.uow() as uow:
        user = await load_user(uow, actor.user_id)
        if user.mobile_verified_at is not None:
            raise Conflict("this mobile number is already confirmed", code="already_verified")
        if not user.mobile:
            raise BadRequest("the account has no mobile number", code="no_mobile")
        check = await otp.check_code(
            uow, services, mobile=user.mobile, purpose=Purpose.VERIFY_MOBILE, code=code
        )
    if not check.ok or check.user_id != user.id:
        raise check.error() if not check.ok else BadRequest("the code is not for this account")
    now = services.clock.now()
    verifier = verifier_for(services)
    result = await verifier.verify(verification_subject(services, user, mobile_verified_at=now))
    async with services.db.uow() as uow:
        user = await load_user(uow, actor.user_id)
        await refuse_mobile_of_another(uow, user.mobile or "", user.id)
        user.mobile_verified_at = now
        apply_result(user, result, verifier.name, now)
        await audit_user(
            uow,
            services,
            user,
            "identity.verify",
            verifier=verifier.name,
            level=result.level,
            reason=result.reason,
            mobile=mask_mobile(user.mobile),
        )
        return await user_out(uow, user)


async def recheck_identity(
    services: Services, user_id: int, *, occasion: str
) -> VerificationResult:
    """Check identity again (L2: at the start of each session, evidence exchange, hearing).

    Runs the verifier in use and audits the check with ``occasion`` (e.g.
    ``"meeting:12"``). A failed check lowers the level to ``none``; a passed
    one never lowers a level another verifier established.
    """
    async with services.db.reader() as uow:
        user = kept(uow, await load_user(uow, user_id))
    verifier = verifier_for(services)
    result = await verifier.verify(verification_subject(services, user))
    now = services.clock.now()
    async with services.db.uow() as uow:
        user = await load_user(uow, user_id)
        raises = LEVEL_RANK[result.level] > LEVEL_RANK[IdentityLevel(user.identity_level)]
        if result.level == IdentityLevel.NONE or raises:
            apply_result(user, result, verifier.name, now)
        await audit_user(
            uow,
            services,
            user,
            "identity.recheck",
            occasion=occasion,
            verifier=verifier.name,
            level=result.level,
            reason=result.reason,
        )
    return result

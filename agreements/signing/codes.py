"""The one-time code that goes with every signature (purpose ``agreement_sign``).

It goes to the signer's own verified mobile (an agent's own, not its
principal's): the code proves the person holding the account is the one
signing now. Codes are the accounts part's (``odr.accounts.otp``): hashed at
rest, expiring, limited tries, one use, throttled per mobile.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.accounts import otp
from odr.accounts.models import User
from odr.accounts.otp import CodeCheck, CodeOutcome, Purpose
from odr.audit.chain import record
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest
from odr.services import Services


async def verified_mobile(uow: UnitOfWork, user_id: int) -> tuple[str, str]:
    """(mobile, locale) of the signer; 400 ``mobile_unverified`` without a confirmed mobile."""
    user = (await uow.session.execute(select(User).where(User.id == user_id))).scalar_one()
    if not user.mobile or user.mobile_verified_at is None:
        raise BadRequest("confirm your mobile number before signing", code="mobile_unverified")
    return user.mobile, user.locale or "zh-CN"


async def send_sign_code(
    uow: UnitOfWork, services: Services, *, user_id: int, agreement_id: int, label: str
) -> int:
    """Queue a fresh signing code to the signer's mobile; seconds until it expires (429 when throttled)."""
    mobile, locale = await verified_mobile(uow, user_id)
    expires_in = await otp.issue_code(
        uow, services, mobile=mobile, purpose=Purpose.AGREEMENT_SIGN, user_id=user_id,
        locale=locale,
    )
    await record(
        uow, services.clock, action="agreement.sign_code_sent", actor_id=user_id,
        actor_label=label, subject_type="agreement", subject_id=str(agreement_id), data={},
    )
    return expires_in


async def check_sign_code(uow: UnitOfWork, services: Services, *, user_id: int, code: str) -> CodeCheck:
    """Check (and on success consume) the signer's live code; a wrong try is counted in ``uow``."""
    mobile, _locale = await verified_mobile(uow, user_id)
    check = await otp.check_code(
        uow, services, mobile=mobile, purpose=Purpose.AGREEMENT_SIGN, code=code
    )
    if check.ok and check.user_id not in (None, user_id):
        return CodeCheck(CodeOutcome.WRONG)
    return check

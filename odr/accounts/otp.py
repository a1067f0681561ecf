"""One-time codes sent by SMS: issue, then check once.

A code is 6 digits from ``secrets``; the database keeps only an HMAC of it
(keyed by the server secret, bound to mobile and purpose). It expires after
``otp_ttl_minutes``, dies after ``otp_max_attempts`` wrong tries, and is used
at most once. Issuing a new code for a mobile and purpose retires the older
one. The SMS is queued through the outbox in the caller's unit of work, so a
code exists if and only if its message will be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update

from odr.accounts.models import OneTimeCode
from odr.accounts.throttle import code_send_block
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest, OdrError
from odr.notify.messages import NotificationRequest, queue_notification
from odr.services import Services

CODE_DIGITS = 6
TEMPLATE = "otp_code"


class Purpose(StrEnum):
    LOGIN = "login"  # also re-authentication of a signed-in session
    VERIFY_MOBILE = "verify_mobile"
    RESET_PASSWORD = "reset_password"
    CHANGE_MOBILE = "change_mobile"
    # Sent by odr.meetings.entry (room token issue, guest entry); never requested via /auth/otp.
    ROOM_ENTRY = "room_entry"
    # Sent by agreements.signing to the signer's verified mobile; never requested via /auth/otp.
    AGREEMENT_SIGN = "agreement_sign"


class CodeOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # none issued, expired, used, or retired by a newer one
    EXHAUSTED = "exhausted"


_MESSAGES = {
    CodeOutcome.WRONG: "the code is wrong",
    CodeOutcome.EXPIRED: "the code has expired or was already used; request a new one",
    CodeOutcome.EXHAUSTED: "too many wrong codes; request a new one",
}


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    user_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == CodeOutcome.OK

    def error(self) -> OdrError:
        return BadRequest(_MESSAGES.get(self.outcome, "invalid code"), code=f"code_{self.outcome}")


def generate_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(services: Services, *, mobile: str, purpose: str, code: str) -> str:
    key = hashlib.sha256(
        b"otp:" + services.settings.secret_key.get_secret_value().encode()
    ).digest()
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


async def issue_code(
    uow: UnitOfWork,
    services: Services,
    *,
    mobile: str,
    purpose: Purpose,
    user_id: int | None,
    locale: str = "zh-CN",
    send: bool = True,
) -> int:
    """Create a code and queue its SMS; returns seconds until it expires.

    Raises 429 when the mobile's sending limits are reached. With
    ``send=False`` (a mobile no account uses) the row is still written, so
    the limits and the answer look the same as for a real account, but no
    message leaves and no code can match.
    """
    now = services.clock.now()
    block = await code_send_block(uow, services, mobile=mobile)
    if block is not None:
        raise block.error(now)
    await uow.session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.mobile == mobile,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    ttl = timedelta(minutes=services.settings.otp_ttl_minutes)
    code = generate_code()
    stored = hash_code(services, mobile=mobile, purpose=purpose, code=code)
    row = OneTimeCode(
        purpose=purpose,
        mobile=mobile,
        user_id=user_id,
        code_hash=stored if send else secrets.token_hex(32),
        created_at=now,
        expires_at=now + ttl,
        attempts=0,
    )
    uow.session.add(row)
    await uow.session.flush()
    if send:
        await queue_notification(
            uow,
            services.clock,
            NotificationRequest(
                template=TEMPLATE,
                channel="sms",
                recipient=mobile,
                locale=locale,
                user_id=user_id,
                context={
                    "code": code,
                    "minutes": services.settings.otp_ttl_minutes,
                    "purpose": str(purpose),
                },
            ),
            idempotency_key=f"otp:{row.id}",
        )
    return int(ttl.total_seconds())


async def check_code(
    uow: UnitOfWork, services: Services, *, mobile: str, purpose: Purpose, code: str
) -> CodeCheck:
    """Check and, when right, consume the live code for this mobile and purpose.

    A wrong try is counted in ``uow``: the caller must let the unit of work
    commit before raising ``check.error()``, or the count is lost.
    """
    now = services.clock.now()
    row = (
        await uow.session.execute(
            select(OneTimeCode)
            .where(
                OneTimeCode.mobile == mobile,
                OneTimeCode.purpose == purpose,
                OneTimeCode.consumed_at.is_(None),
            )
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .limit(1)
            .with_for_update()  # two concurrent checks cannot both consume it
        )
    ).scalar_one_or_none()
    if row is None or row.expires_at <= now:
        return CodeCheck(CodeOutcome.EXPIRED)
    if row.attempts >= services.settings.otp_max_attempts:
        return CodeCheck(CodeOutcome.EXHAUSTED)
    expected = hash_code(services, mobile=mobile, purpose=purpose, code=code.strip())
    if not hmac.compare_digest(expected, row.code_hash):
        row.attempts += 1
        await uow.session.flush()
        if row.attempts >= services.settings.otp_max_attempts:
            return CodeCheck(CodeOutcome.EXHAUSTED)
        return CodeCheck(CodeOutcome.WRONG)
    row.consumed_at = now
    await uow.session.flush()
    return CodeCheck(CodeOutcome.OK, user_id=row.user_id)

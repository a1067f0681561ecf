"""Account use cases: register, sign in and out, and the helpers the others share.

Identity confirmation lives in ``odr.accounts.verification``, password and
mobile changes in ``odr.accounts.credentials``.

Each function takes ``Services`` and plain values, runs its own units of
work and raises ``odr.errors`` for the route layer to turn into answers.
Failures that must be remembered (a wrong password, a wrong code) are
committed first and raised after, so a refusal still counts.

Password hashing (argon2, ~50 ms of CPU) runs in a thread outside any
transaction, so it neither blocks the event loop nor holds the SQLite lock.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from odr.accounts import otp, throttle
from odr.accounts.identity import document_problem, mask_document, mask_mobile
from odr.accounts.models import IdentityLevel, Membership, User
from odr.accounts.otp import Purpose
from odr.accounts.passwords import hash_password, needs_rehash, verify_password
from odr.accounts.schemas import RegisterIn, UserOut
from odr.accounts.sessions import OpenedSession, open_session, revoke_session
from odr.accounts.verifier import VerificationResult, VerificationSubject
from odr.audit.chain import record
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Unauthenticated, ValidationFailed
from odr.notify.messages import NotificationRequest, queue_notification
from odr.policy import Actor
from odr.services import Services

DOC_CONTEXT = "users.id_doc"
_U = TypeVar("_U", User, User | None)
LEVEL_RANK = {IdentityLevel.NONE: 0, IdentityLevel.BASIC: 1, IdentityLevel.STRONG: 2}


@dataclass(frozen=True)
class Client:
    """Where a request comes from (for throttling, sessions and audit)."""

    address: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class SignedIn:
    user: UserOut
    session: OpenedSession


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so timing does not reveal accounts."""
    return hash_password("no such account: dummy password 0")


async def hash_in_thread(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_in_thread(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash or _dummy_hash(), password)


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "the request body is invalid",
        details=[{"field": field, "message": message, "type": "value_error"}],
    )


async def user_out(uow: UnitOfWork, user: User) -> UserOut:
    rows = (
        await uow.session.execute(
            select(Membership.institution_id, Membership.court_id).where(
                Membership.user_id == user.id
            )
        )
    ).all()
    return UserOut(
        id=user.id,
        username=user.username,
        real_name=user.real_name,
        role=user.role,
        id_doc_type=user.id_doc_type,
        id_doc_masked=mask_document(user.id_doc_type, user.id_doc_last4),
        mobile_masked=mask_mobile(user.mobile),
        mobile_verified=user.mobile_verified_at is not None,
        mobile_verified_at=user.mobile_verified_at,
        identity_level=user.identity_level,
        locale=user.locale,
        institution_ids=sorted({i for i, _ in rows if i is not None}),
        court_ids=sorted({c for _, c in rows if c is not None}),
    )


def kept(reader: UnitOfWork, user: _U) -> _U:
    """Detach a row read in a reader, whose rollback at exit would otherwise expire it."""
    if user is not None:
        reader.session.expunge(user)
    return user


async def load_user(uow: UnitOfWork, user_id: int | None) -> User:
    user = await uow.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise Unauthenticated("sign in first")
    return user


async def by_username(uow: UnitOfWork, username: str) -> User | None:
    query = select(User).where(User.username == throttle.account_key(username))
    return (await uow.session.execute(query)).scalar_one_or_none()


async def by_verified_mobile(uow: UnitOfWork, mobile: str) -> User | None:
    query = select(User).where(User.mobile == mobile, User.mobile_verified_at.is_not(None))
    return (await uow.session.execute(query.limit(1))).scalar_one_or_none()


async def awaiting_activation(uow: UnitOfWork, mobile: str) -> User | None:
    """The one active account opened for this (unconfirmed) mobile by an administrator that
    has no password yet: its holder sets one with a ``reset_password`` code to that mobile."""
    query = select(User).where(
        User.mobile == mobile, User.mobile_verified_at.is_(None), User.password_hash.is_(None),
        User.is_active.is_(True),
    )
    found = (await uow.session.execute(query.limit(2))).scalars().all()
    return found[0] if len(found) == 1 else None


async def refuse_mobile_of_another(uow: UnitOfWork, mobile: str, user_id: int | None) -> None:
    other = await by_verified_mobile(uow, mobile)
    if other is not None and other.id != user_id:
        raise Conflict("this mobile number belongs to another account", code="mobile_registered")


async def refuse_duplicate_account(
    uow: UnitOfWork, *, username: str, id_doc_type: str, lookup: str, mobile: str
) -> None:
    """409 when the username, the identity document or the confirmed mobile is taken."""
    if await by_username(uow, username) is not None:
        raise Conflict("this username is taken; choose another", code="username_taken")
    same_doc = select(User.id).where(User.id_doc_type == id_doc_type, User.id_doc_lookup == lookup)
    if (await uow.session.execute(same_doc)).first() is not None:
        raise Conflict(
            "an account with this identity document already exists; sign in to it or "
            "reset its password",
            code="document_registered",
        )
    await refuse_mobile_of_another(uow, mobile, None)


async def add_unverified_user(
    uow: UnitOfWork, services: Services, data: RegisterIn, *, password_hash: str | None
) -> User:
    """Insert an account whose identity is not yet confirmed (level none), document encrypted."""
    now = services.clock.now()
    crypto = services.crypto
    user = User(
        username=data.username,
        real_name=data.real_name,
        role=data.role,
        id_doc_type=data.id_doc_type,
        id_doc_number_enc=crypto.encrypt(data.id_doc_number, context=DOC_CONTEXT),
        id_doc_lookup=crypto.lookup_hash(data.id_doc_number, context=DOC_CONTEXT),
        id_doc_last4=data.id_doc_number[-4:],
        mobile=data.mobile,
        password_hash=password_hash,
        identity_level=IdentityLevel.NONE,
        locale=data.locale,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(user)
    await uow.session.flush()
    return user


async def audit_user(
    uow: UnitOfWork, services: Services, user: User, action: str, **data: Any
) -> int:
    entry = await record(
        uow,
        services.clock,
        action=action,
        actor_id=user.id,
        actor_label=user.username,
        subject_type="user",
        subject_id=user.id,
        data=data,
    )
    return entry.seq


async def notify_user(
    uow: UnitOfWork,
    services: Services,
    user: User,
    template: str,
    *,
    to: str,
    key: str,
    **context: Any,
) -> None:
    await queue_notification(
        uow,
        services.clock,
        NotificationRequest(
            template=template,
            channel="sms",
            recipient=to,
            locale=user.locale,
            user_id=user.id,
            context={
                "name": user.real_name,
                "at": to_local(services.clock.now()).strftime("%Y-%m-%d %H:%M"),
                **context,
            },
        ),
        idempotency_key=key,
    )


def verification_subject(services: Services, user: User, **changes: Any) -> VerificationSubject:
    number = (
        services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT)
        if user.id_doc_number_enc
        else None
    )
    fields: dict[str, Any] = {
        "user_id": user.id,
        "real_name": user.real_name,
        "id_doc_type": user.id_doc_type,
        "id_doc_number": number,
        "mobile": user.mobile,
        "mobile_verified_at": user.mobile_verified_at,
    }
    fields.update(changes)
    return VerificationSubject(**fields)


def apply_result(user: User, result: VerificationResult, verifier: str, now: datetime) -> None:
    user.identity_level = result.level
    user.identity_verifier = verifier
    user.identity_verified_at = now if result.level != IdentityLevel.NONE else None
    user.updated_at = now


async def _sign_in(
    uow: UnitOfWork,
    services: Services,
    user: User,
    client: Client,
    *,
    method: str,
    replaces: int | None,
) -> SignedIn:
    if replaces is not None:
        await revoke_session(uow, services, replaces)
    opened = await open_session(
        uow, services, user, address=client.address, user_agent=client.user_agent
    )
    await audit_user(
        uow,
        services,
        user,
        "auth.login",
        method=method,
        address=client.address,
        session_id=opened.session_id,
    )
    return SignedIn(user=await user_out(uow, user), session=opened)


# ---- registration and sign-in ------------------------------------------------------------


async def register(
    services: Services, data: RegisterIn, client: Client, *, replaces: int | None = None
) -> SignedIn:
    """Create a party or agent account, sign it in, and text a code to confirm the mobile."""
    now = services.clock.now()
    problem = document_problem(data.id_doc_type, data.id_doc_number, today=to_local(now).date())
    if problem:
        raise field_error("id_doc_number", problem)
    password_hash = await hash_in_thread(data.password)
    lookup = services.crypto.lookup_hash(data.id_doc_number, context=DOC_CONTEXT)
    async with services.db.uow() as uow:
        await refuse_duplicate_account(
            uow, username=data.username, id_doc_type=data.id_doc_type, lookup=lookup,
            mobile=data.mobile,
        )
        user = await add_unverified_user(uow, services, data, password_hash=password_hash)
        await audit_user(
            uow,
            services,
            user,
            "account.register",
            role=user.role,
            id_doc_type=user.id_doc_type,
            id_doc_last4=user.id_doc_last4,
            mobile=mask_mobile(user.mobile),
            address=client.address,
        )
        if await throttle.code_send_block(uow, services, mobile=data.mobile) is None:
            await otp.issue_code(
                uow,
                services,
                mobile=data.mobile,
                purpose=Purpose.VERIFY_MOBILE,
                user_id=user.id,
                locale=user.locale,
            )
        return await _sign_in(uow, services, user, client, method="register", replaces=replaces)


async def login_with_password(
    services: Services,
    username: str,
    password: str,
    client: Client,
    *,
    replaces: int | None = None,
) -> SignedIn:
    key = throttle.account_key(username)
    async with services.db.reader() as reader:
        await throttle.raise_if_blocked(reader, services, key=key, address=client.address)
        found = kept(reader, await by_username(reader, username))
    good = await verify_in_thread(found.password_hash if found else None, password)
    rehash = (
        await hash_in_thread(password)
        if good and found and needs_rehash(found.password_hash or "")
        else None
    )
    async with services.db.uow() as uow:
        user = await uow.session.get(User, found.id) if good and found else None
        if user is None or not user.is_active:
            await throttle.record_failure(
                uow, services, key=key, address=client.address, user_id=found.id if found else None
            )
        else:
            if rehash:
                user.password_hash = rehash
            await throttle.record_success(uow, services, key=key, address=client.address)
            return await _sign_in(uow, services, user, client, method="password", replaces=replaces)
    raise Unauthenticated("wrong username or password", code="login_failed")


async def login_with_code(
    services: Services, mobile: str, code: str, client: Client, *, replaces: int | None = None
) -> SignedIn:
    """Sign in with a ``login`` code sent to a confirmed mobile number."""
    async with services.db.reader() as reader:
        found = kept(reader, await by_verified_mobile(reader, mobile))
        key = throttle.account_key(found.username) if found else f"mobile:{mobile}"
        await throttle.raise_if_blocked(reader, services, key=key, address=client.address)
    async with services.db.uow() as uow:
        check = await otp.check_code(uow, services, mobile=mobile, purpose=Purpose.LOGIN, code=code)
        user = await uow.session.get(User, found.id) if found else None
        if not check.ok or user is None or check.user_id != user.id or not user.is_active:
            await throttle.record_failure(
                uow, services, key=key, address=client.address, user_id=user.id if user else None
            )
        else:
            await throttle.record_success(uow, services, key=key, address=client.address)
            return await _sign_in(uow, services, user, client, method="code", replaces=replaces)
    raise Unauthenticated("wrong mobile number or code", code="login_failed")


async def logout(services: Services, session_id: int | None) -> None:
    if session_id is None:
        return
    async with services.db.uow() as uow:
        await revoke_session(uow, services, session_id)


async def me(services: Services, actor: Actor) -> UserOut:
    async with services.db.reader() as uow:
        return await user_out(uow, await load_user(uow, actor.user_id))

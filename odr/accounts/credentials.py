"""Credentials: password reset and change, mobile change, re-authentication."""

from __future__ import annotations

from sqlalchemy import update

from odr.accounts import otp, throttle
from odr.accounts.identity import mask_mobile
from odr.accounts.models import LoginSession, User
from odr.accounts.otp import Purpose
from odr.accounts.schemas import UserOut
from odr.accounts.service import (
    Client,
    apply_result,
    audit_user,
    field_error,
    hash_in_thread,
    kept,
    load_user,
    notify_user,
    refuse_mobile_of_another,
    user_out,
    verification_subject,
    verify_in_thread,
)
from odr.accounts.sessions import revoke_all_sessions
from odr.accounts.verifier import verifier_for
from odr.errors import BadRequest, Forbidden, Unauthenticated
from odr.policy import Actor
from odr.services import Services


async def _check_password(services: Services, actor: Actor, password: str, client: Client) -> User:
    """The signed-in user, if ``password`` is theirs; a wrong one counts towards the lock."""
    async with services.db.reader() as reader:
        user = kept(reader, await load_user(reader, actor.user_id))
        key = throttle.account_key(user.username)
        await throttle.raise_if_blocked(reader, services, key=key, address=client.address)
    if await verify_in_thread(user.password_hash, password):
        return user
    async with services.db.uow() as uow:
        await throttle.record_failure(
            uow, services, key=key, address=client.address, user_id=user.id
        )
    raise Forbidden("the password is wrong", code="wrong_password")


async def reset_password(
    services: Services, mobile: str, code: str, new_password: str, client: Client
) -> None:
    """Set a new password with a ``reset_password`` code; every session is signed out."""
    new_hash = await hash_in_thread(new_password)
    async with services.db.uow() as uow:
        check = await otp.check_code(
            uow, services, mobile=mobile, purpose=Purpose.RESET_PASSWORD, code=code
        )
        user = await uow.session.get(User, check.user_id) if check.user_id else None
        done = bool(
            check.ok
            and user
            and user.is_active
            and user.mobile == mobile
            # a confirmed mobile, or an administrator-opened account setting its first password
            and (user.mobile_verified_at is not None or user.password_hash is None)
        )
        if done and user is not None:
            user.password_hash = new_hash
            user.updated_at = services.clock.now()
            await revoke_all_sessions(uow, services, user.id)
            # The holder proved the mobile: lift a lock left by guessers.
            await throttle.record_success(
                uow, services, key=throttle.account_key(user.username), address=client.address
            )
            seq = await audit_user(
                uow, services, user, "account.password_reset", address=client.address
            )
            await notify_user(
                uow, services, user, "password_changed", to=mobile, key=f"password_changed:{seq}"
            )
    if not done:
        raise check.error() if not check.ok else otp.CodeCheck(otp.CodeOutcome.EXPIRED).error()


async def change_password(
    services: Services,
    actor: Actor,
    session_id: int | None,
    old_password: str,
    new_password: str,
    client: Client,
) -> None:
    """Change the password; other sessions are signed out, this one stays."""
    if old_password == new_password:
        raise field_error("new_password", "the new password must differ from the current one")
    await _check_password(services, actor, old_password, client)
    new_hash = await hash_in_thread(new_password)
    async with services.db.uow() as uow:
        user = await load_user(uow, actor.user_id)
        user.password_hash = new_hash
        user.updated_at = services.clock.now()
        others = update(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
        if session_id is not None:
            others = others.where(LoginSession.id != session_id)
        await uow.session.execute(others.values(revoked_at=services.clock.now()))
        seq = await audit_user(
            uow, services, user, "account.password_change", address=client.address
        )
        if user.mobile and user.mobile_verified_at is not None:
            await notify_user(
                uow,
                services,
                user,
                "password_changed",
                to=user.mobile,
                key=f"password_changed:{seq}",
            )


async def change_mobile(
    services: Services, actor: Actor, new_mobile: str, code: str, password: str, client: Client
) -> UserOut:
    """Move the account to a new mobile proven by a ``change_mobile`` code; tell the old one."""
    await _check_password(services, actor, password, client)
    async with services.db.uow() as uow:
        check = await otp.check_code(
            uow, services, mobile=new_mobile, purpose=Purpose.CHANGE_MOBILE, code=code
        )
    if not check.ok or check.user_id != actor.user_id:
        raise check.error() if not check.ok else BadRequest("the code is not for this account")
    now = services.clock.now()
    async with services.db.reader() as reader:
        current = kept(reader, await load_user(reader, actor.user_id))
    verifier = verifier_for(services)
    result = await verifier.verify(
        verification_subject(services, current, mobile=new_mobile, mobile_verified_at=now)
    )
    async with services.db.uow() as uow:
        user = await load_user(uow, actor.user_id)
        await refuse_mobile_of_another(uow, new_mobile, user.id)
        old_mobile, old_verified = user.mobile, user.mobile_verified_at
        user.mobile, user.mobile_verified_at = new_mobile, now
        apply_result(user, result, verifier.name, now)
        seq = await audit_user(
            uow,
            services,
            user,
            "account.mobile_change",
            old=mask_mobile(old_mobile),
            new=mask_mobile(new_mobile),
            level=result.level,
            address=client.address,
        )
        if old_mobile and old_verified is not None:
            await notify_user(
                uow,
                services,
                user,
                "mobile_changed",
                to=old_mobile,
                key=f"mobile_changed:{seq}",
                mobile=mask_mobile(new_mobile),
            )
        return await user_out(uow, user)


async def reauthenticate(
    services: Services,
    actor: Actor,
    session_id: int | None,
    client: Client,
    *,
    password: str | None = None,
    code: str | None = None,
) -> None:
    """Prove presence again (password, or a ``login`` code to the confirmed mobile)."""
    if session_id is None:
        raise Unauthenticated("sign in first")
    if password is not None:
        await _check_password(services, actor, password, client)
        method = "password"
    else:
        async with services.db.uow() as uow:
            user = await load_user(uow, actor.user_id)
            if not user.mobile or user.mobile_verified_at is None:
                raise BadRequest("confirm your mobile number first", code="mobile_unverified")
            check = await otp.check_code(
                uow, services, mobile=user.mobile, purpose=Purpose.LOGIN, code=code or ""
            )
        if not check.ok or check.user_id != user.id:
            raise check.error() if not check.ok else BadRequest("the code is not for this account")
        method = "code"
    async with services.db.uow() as uow:
        user = await load_user(uow, actor.user_id)
        await uow.session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.user_id == user.id)
            .values(reauthenticated_at=services.clock.now())
        )
        await audit_user(
            uow, services, user, "auth.reauthenticate", method=method, session_id=session_id
        )

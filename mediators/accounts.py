"""An institution admin opens a mediator account for the institution, with its roster profile.

The admin never chooses or sees the password: the account starts with none,
and the mediator sets its own through "forgot password" with a code to the
mobile the admin entered (``odr.accounts.service.awaiting_activation``), then
confirms that mobile at first sign-in like everyone (L2). The account and its profile are created together: a profile
problem (a specialty the institution does not take) refuses both.
"""

from __future__ import annotations

import secrets

from pydantic import Field, ValidationError
from sqlalchemy import select

from mediators import profiles
from mediators.models import MediatorProfile
from mediators.schemas import ProfileFields
from odr.accounts.admin import AccountInput, create_account
from odr.accounts.models import Role, User
from odr.accounts.schemas import IdDocType, Locale
from odr.errors import NotFound, ValidationFailed
from odr.notify.service import queue_for_user
from odr.orgs.models import Institution
from odr.policy import Actor, MediatorView, Permission, authorize
from odr.services import Services


class MediatorAccountIn(ProfileFields):
    """Who the mediator is (checked like any account) and its roster profile."""

    username: str = Field(max_length=32)
    real_name: str = Field(min_length=1, max_length=100)
    id_doc_type: IdDocType = IdDocType.RESIDENT_ID
    id_doc_number: str = Field(max_length=40)
    mobile: str = Field(max_length=20)
    locale: Locale = "zh-CN"


def _placeholder_password() -> str:
    """Only to pass the account checks: the account is stored with no password at all."""
    return "Aa1!" + secrets.token_urlsafe(24)


async def create_mediator_account(
    services: Services, actor: Actor, institution_id: int, data: MediatorAccountIn
) -> MediatorProfile:
    authorize(actor, Permission.MEDIATOR_MANAGE, MediatorView(institution_id=institution_id))
    async with services.db.reader() as uow:
        institution = await uow.session.get(Institution, institution_id)
        if institution is None:
            raise NotFound("no such institution")
        profiles.check_specialties([str(s) for s in data.specialties], institution)
        code, name = institution.code, institution.name_zh
    try:  # the same checks as any account: username, ID number, mobile
        account = AccountInput(
            username=data.username, password=_placeholder_password(), real_name=data.real_name,
            id_doc_type=data.id_doc_type, id_doc_number=data.id_doc_number, mobile=data.mobile,
            role=Role.MEDIATOR, locale=data.locale, institution_code=code,
        )
    except ValidationError as err:
        raise ValidationFailed(
            "the request body is invalid",
            details=[{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"],
                      "type": e["type"]} for e in err.errors(include_url=False, include_input=False)],
        ) from err
    user_id = await create_account(
        services, account, actor_label=f"{actor.role}#{actor.user_id}", actor_id=actor.user_id,
        holder_sets_password=True,
    )
    values = data.model_dump(include=set(ProfileFields.model_fields))
    values["specialties"] = [str(s) for s in data.specialties]
    values["user_id"] = user_id
    profile = await profiles.create_profile(services, actor, institution_id, values)
    async with services.db.uow() as uow:
        user = (await uow.session.execute(select(User).where(User.id == user_id))).scalar_one()
        await queue_for_user(
            uow, services.clock, user, template="mediator_account_opened",
            context={"name": user.real_name, "institution": name, "username": user.username},
            channels=("sms",), idempotency_key=f"mediators.account:{user_id}:opened",
        )
    return profile

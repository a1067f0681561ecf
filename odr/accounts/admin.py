"""Accounts created by a platform administrator (or ``odr create-user``).

Mediators, institution admins, judges and clerks do not self-register: an
administrator creates them with their organisation. Their identity document
is checked like anyone's; the mobile is confirmed by the person with a
one-time code at first sign-in (L2), so new accounts start unverified.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from sqlalchemy import select

from odr.accounts.models import Membership, Role
from odr.accounts.schemas import RegisterIn
from odr.accounts.service import (
    DOC_CONTEXT,
    add_unverified_user,
    hash_in_thread,
    refuse_duplicate_account,
)
from odr.audit.chain import record
from odr.errors import ValidationFailed
from odr.orgs.models import Court, Institution
from odr.services import Services

INSTITUTION_ROLES = frozenset({Role.MEDIATOR, Role.INSTITUTION_ADMIN})
COURT_ROLES = frozenset({Role.JUDGE, Role.CLERK})


class AccountInput(RegisterIn):
    """Like registration, for any role, with the organisation staff belong to."""

    role: Role  # type: ignore[assignment]
    institution_code: str | None = Field(default=None, max_length=32)
    court_code: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _organisation_fits_role(self) -> AccountInput:
        if self.role in INSTITUTION_ROLES and not self.institution_code:
            raise ValueError(f"a {self.role} belongs to an institution: give institution_code")
        if self.role in COURT_ROLES and not self.court_code:
            raise ValueError(f"a {self.role} belongs to a court: give court_code")
        if self.role not in INSTITUTION_ROLES and self.institution_code:
            raise ValueError(f"a {self.role} does not belong to an institution")
        if self.role not in COURT_ROLES and self.court_code:
            raise ValueError(f"a {self.role} does not belong to a court")
        return self


async def create_account(
    services: Services, data: AccountInput, *, actor_label: str, actor_id: int | None = None,
    holder_sets_password: bool = False,
) -> int:
    """Create the account and its membership; returns the new user's id.

    ``holder_sets_password``: the account gets no password (``data.password``
    is ignored); its holder sets one with a code to the account's mobile
    (``odr.accounts.service.awaiting_activation``).
    """
    now = services.clock.now()
    crypto = services.crypto
    lookup = crypto.lookup_hash(data.id_doc_number, context=DOC_CONTEXT)
    password_hash = await hash_in_thread(data.password)
    async with services.db.uow() as uow:
        await refuse_duplicate_account(
            uow, username=data.username, id_doc_type=data.id_doc_type, lookup=lookup,
            mobile=data.mobile,
        )
        institution_id = court_id = None
        if data.institution_code:
            institution_id = (
                await uow.session.execute(
                    select(Institution.id).where(Institution.code == data.institution_code)
                )
            ).scalar_one_or_none()
            if institution_id is None:
                raise _unknown("institution_code", data.institution_code)
        if data.court_code:
            court_id = (
                await uow.session.execute(select(Court.id).where(Court.code == data.court_code))
            ).scalar_one_or_none()
            if court_id is None:
                raise _unknown("court_code", data.court_code)
        user = await add_unverified_user(
            uow, services, data, password_hash=None if holder_sets_password else password_hash
        )
        if institution_id is not None or court_id is not None:
            uow.session.add(
                Membership(
                    user_id=user.id, institution_id=institution_id, court_id=court_id,
                    role=data.role, created_at=now,
                )
            )
        await record(
            uow, services.clock, action="account.created_by_admin", actor_id=actor_id,
            actor_label=actor_label, subject_type="user", subject_id=user.id,
            data={"username": user.username, "role": user.role,
                  "institution": data.institution_code, "court": data.court_code},
        )
        return user.id


def _unknown(field: str, value: str) -> ValidationFailed:
    return ValidationFailed(
        "the request body is invalid",
        details=[{"field": field, "message": f"no organisation with code {value!r}",
                  "type": "value_error"}],
    )

"""Which party a request speaks for, and the parties of a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import CaseParty
from odr.cases.parties.authorizations import parties_acted_for
from odr.errors import Forbidden, ValidationFailed
from odr.policy import Actor


async def acting_party(
    session: AsyncSession, case_id: int, actor: Actor, now: datetime, party_id: int | None
) -> int:
    """The party ``actor`` acts for here: the one named, or its only one."""
    mine = await parties_acted_for(session, case_id, actor, now)
    if party_id is not None:
        if party_id not in mine:
            raise Forbidden("you do not act for this party of the case")
        return party_id
    if not mine:
        raise Forbidden("you do not act for a party of this case")
    if len(mine) > 1:
        raise ValidationFailed(
            "you act for several parties of this case: name the one you answer for",
            details=[{"field": "party_id", "message": "required", "type": "missing"}],
        )
    return next(iter(mine))


async def party_ids(session: AsyncSession, case_id: int) -> list[int]:
    return list(
        (await session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id).order_by(CaseParty.id)
        )).scalars()
    )

"""The public progress query (12368 style, L3): case number + query password → progress only.

The answer holds exactly the fields of ``ProgressView`` — status, key dates,
the institution's and mediator's names, the next session — and never the
parties, claims, facts, documents or amounts. A wrong password and an unknown
case number get the same answer (``no_match``) after the same work, and both
count towards the throttle (``odr.cases.progress.throttle``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import User
from odr.accounts.throttle import Block
from odr.audit.chain import record
from odr.cases.lifecycle import STATUS_LABELS_ZH, CaseStatus
from odr.cases.models import Case, CaseParty
from odr.cases.progress.passwords import query_password_matches
from odr.cases.progress.throttle import number_key, query_block, record_attempt
from odr.errors import NotFound
from odr.meetings.queries import next_session_at
from odr.orgs.models import Institution

if TYPE_CHECKING:
    from odr.services import Services


class ProgressView(BaseModel):
    """Everything the public query discloses (L3). Tests assert this exact set of keys."""

    case_number: str
    status: str
    status_label: str  # Chinese, as on the court's 12368 line
    submitted_at: datetime | None
    accepted_at: datetime | None
    mediation_started_at: datetime | None
    closed_at: datetime | None
    institution_name: str | None
    mediator_name: str | None
    next_session_at: datetime | None


NO_MATCH = "no case matches this case number and query password"


class ProgressQueryBlocked(Exception):
    def __init__(self, block: Block) -> None:
        super().__init__(block.message)
        self.block = block


async def query_progress(
    services: Services, *, case_number: str, password: str, address: str
) -> ProgressView:
    """Progress of the case if ``password`` is one of its parties' query passwords.

    Raises ``ProgressQueryBlocked`` while the number or address is locked and
    ``NotFound(code="no_match")`` for a wrong password or an unknown number;
    the attempt is recorded in its own committed transaction either way.
    """
    key = number_key(case_number)
    view: ProgressView | None = None
    async with services.db.uow() as uow:
        block = await query_block(uow, services, key=key, address=address)
        if block is not None:
            raise ProgressQueryBlocked(block)
        case = (
            await uow.session.execute(select(Case).where(Case.number == case_number.strip()))
        ).scalar_one_or_none()
        # The same statements and the same hashing whether or not the number exists.
        parties: list[tuple[int, str | None]] = [
            (party_id, stored) for party_id, stored in (await uow.session.execute(
                select(CaseParty.id, CaseParty.query_password_hash)
                .where(CaseParty.case_id == (case.id if case is not None else 0))
                .order_by(CaseParty.id)
            )).all()
        ] or [(0, None)]
        matched: int | None = None
        for party_id, stored in parties:
            if query_password_matches(services.crypto, party_id, stored, password):
                matched = party_id
        await record_attempt(uow, services, key=key, address=address, succeeded=matched is not None)
        if case is not None and matched is not None:
            view = await _view(uow.session, case, services.clock.now())
            await record(
                uow, services.clock, action="case.progress_queried", actor_label=address[:64],
                subject_type="case", subject_id=case.id,
                data={"number": case.number, "party_id": matched},
            )
    if view is None:
        raise NotFound(NO_MATCH, code="no_match")
    return view


async def _view(session: AsyncSession, case: Case, now: datetime) -> ProgressView:
    institution_name = None
    if case.institution_id is not None:
        institution_name = (
            await session.execute(
                select(Institution.name_zh).where(Institution.id == case.institution_id)
            )
        ).scalar_one_or_none()
    mediator_name = None
    if case.mediator_id is not None:
        mediator_name = (
            await session.execute(select(User.real_name).where(User.id == case.mediator_id))
        ).scalar_one_or_none()
    return ProgressView(
        case_number=case.number,
        status=case.status,
        status_label=STATUS_LABELS_ZH.get(CaseStatus(case.status), case.status),
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        mediation_started_at=case.mediation_started_at,
        closed_at=case.closed_at,
        institution_name=institution_name,
        mediator_name=mediator_name,
        next_session_at=await next_session_at(session, case.id, now),
    )

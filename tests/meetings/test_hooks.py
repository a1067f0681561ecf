"""Sessions follow their case: a case leaving mediation cancels its upcoming sessions."""

from __future__ import annotations

from datetime import timedelta

from odr.cases.lifecycle import CaseEventKind
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.meetings.models import Meeting
from odr.services import Services
from tests.factories import make_meeting, make_user
from tests.meetings.support import audit_actions, recipients, world


async def test_a_withdrawn_case_cancels_its_upcoming_sessions_and_tells_everyone(
    services: Services,
) -> None:
    w = await world(services)
    judge = await make_user(services, "judge", password=None, court_id=w.court_id)
    session = await make_meeting(services, w.case, starts_in=timedelta(days=1))
    running = await make_meeting(services, w.case, status="open", starts_in=timedelta(minutes=-5))
    hearing = await make_meeting(services, w.case, kind="hearing", host=judge,
                                 starts_in=timedelta(days=3))
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case.id)
        await transition(uow, services, case, CaseEventKind.WITHDRAW,
                         Who(user_id=w.applicant.id, label="party"), reason="已和解")
    async with services.db.reader() as uow:
        status = {m: (await uow.session.get(Meeting, m)).status  # type: ignore[union-attr]
                  for m in (session.id, running.id, hearing.id)}
    # Withdrawn is final: the upcoming session and hearing go; a running room is left to its host.
    assert status == {session.id: "cancelled", running.id: "open", hearing.id: "cancelled"}
    assert {w.applicant.id, w.respondent.id, w.mediator.id} <= await recipients(
        services, "meeting_cancelled")
    assert (await audit_actions(services)).count("meeting.cancelled") == 2

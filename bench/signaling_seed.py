"""Seed data of ``bench/signaling.py``: meetings of four seats, each seat ready to join.

Per room: a mediation meeting of its own case, hosted by a mediator, with
three party seats (two applicants' side, one respondent's). Every party user
has a verified mobile and a live room-entry code the bench knows (the row the
SMS step would write, stored hashed as ``odr.accounts.otp`` does), so the
participant goes through the real entry check (L2) at join time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from odr.accounts.models import IdentityLevel, OneTimeCode, Role, User
from odr.accounts.otp import Purpose, hash_code
from odr.cases.models import Case, CaseChannel
from odr.categories import DisputeCategory
from odr.meetings.models import Meeting, MeetingKind, MeetingSeat, SeatRole, SeatState
from odr.orgs.models import Court
from odr.orgs.seed import seed_orgs
from odr.services import Services

ROOM_SIZE = 4
ENTRY_CODE = "246810"


@dataclass(frozen=True)
class SeatSpec:
    meeting_id: int
    seat_id: int
    user_id: int
    role: str
    host: bool


@dataclass(frozen=True)
class RoomSpec:
    meeting_id: int
    seats: tuple[SeatSpec, ...]  # the host first


def _mobile(n: int) -> str:
    return f"139{n:08d}"


async def seed_rooms(services: Services, rooms: int) -> list[RoomSpec]:
    """``rooms`` meetings of ``ROOM_SIZE`` seats; returns who sits where."""
    clock = services.clock
    now = clock.now()
    async with services.db.uow() as uow:
        await seed_orgs(uow, clock)
        court_id = (await uow.session.execute(select(Court.id).limit(1))).scalar_one()
    specs: list[RoomSpec] = []
    for start in range(0, rooms, 100):  # one transaction per hundred rooms
        async with services.db.uow() as uow:
            batch = range(start, min(rooms, start + 100))
            users: list[list[User]] = []
            for r in batch:
                people = [User(
                    username=f"bench-r{r}-s{s}", real_name=f"参会人{r}-{s}",
                    role=Role.MEDIATOR if s == 0 else Role.PARTY,
                    identity_level=IdentityLevel.BASIC, identity_verified_at=now,
                    mobile=_mobile(r * ROOM_SIZE + s), mobile_verified_at=now,
                    created_at=now, updated_at=now,
                ) for s in range(ROOM_SIZE)]
                users.append(people)
                uow.session.add_all(people)
            await uow.session.flush()
            meetings: list[Meeting] = []
            for r, people in zip(batch, users, strict=True):
                case = Case(
                    number=f"（2026）沪74民调B{r + 1:05d}号", title=f"压测调解 第{r + 1}件",
                    category=DisputeCategory.FINANCIAL_CONSUMER, channel=CaseChannel.SELF_FILED,
                    status="in_mediation", court_id=court_id, created_by_id=people[1].id,
                    created_at=now, updated_at=now,
                )
                uow.session.add(case)
                await uow.session.flush()
                meeting = Meeting(
                    case_id=case.id, kind=MeetingKind.MEDIATION, title="压测", starts_at=now,
                    ends_at=now + timedelta(hours=2), host_user_id=people[0].id,
                    created_by_id=people[0].id, created_at=now, updated_at=now,
                )
                uow.session.add(meeting)
                meetings.append(meeting)
            await uow.session.flush()
            for meeting, people in zip(meetings, users, strict=True):
                seats = [MeetingSeat(
                    meeting_id=meeting.id, user_id=u.id,
                    role=SeatRole.HOST if s == 0 else SeatRole.PARTY,
                    side=None if s == 0 else ("applicant" if s < 3 else "respondent"),
                    display_name=u.real_name, state=SeatState.INVITED, delegated=[],
                    created_at=now, updated_at=now,
                ) for s, u in enumerate(people)]
                uow.session.add_all(seats)
                for u in people[1:]:
                    assert u.mobile is not None
                    uow.session.add(OneTimeCode(
                        purpose=Purpose.ROOM_ENTRY, mobile=u.mobile, user_id=u.id,
                        code_hash=hash_code(services, mobile=u.mobile, purpose=Purpose.ROOM_ENTRY,
                                            code=ENTRY_CODE),
                        created_at=now, expires_at=now + timedelta(hours=2), attempts=0,
                    ))
                await uow.session.flush()
                specs.append(RoomSpec(meeting.id, tuple(
                    SeatSpec(meeting.id, seat.id, u.id, seat.role, s == 0)
                    for s, (seat, u) in enumerate(zip(seats, people, strict=True))
                )))
    return specs

"""Shared helpers for room tests: a meeting with seats, room tokens, socket.io room clients.

Every signaling test connects real python-socketio clients to the real
server (the ``live_server`` fixture)::

    room = await make_room(services, roles=["party", "party"])
    host = await join(live_server.url, services, room.host)
    a = await join(live_server.url, services, room.seats[0])
    await let_in(services, host, a, room.seats[0])       # entry code, warning, admit
    await a.wait("roster", where=lambda r: len(r["seats"]) == 2)

``RoomClient.wait`` polls with a deadline for an event not yet consumed;
``RoomClient.call`` sends an event and returns its ack. To prove that an
event did NOT reach a client, send a later event to the same audience and
wait for it: the socket is ordered, so anything sent before it is there.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import socketio
from sqlalchemy import select

from odr.accounts.models import OneTimeCode, User
from odr.accounts.otp import Purpose, hash_code
from odr.meetings.models import AttendanceEvent, Meeting, MeetingSeat
from odr.meetings.tokens import issue_room_token
from odr.services import Services
from signaling.protocol import NAMESPACE
from tests.factories import make_case, make_user

Payload = Any
_codes = itertools.count(100_000)

SIDES = {"party": ("applicant", "respondent"), "agent": ("applicant", "respondent")}


@dataclass
class Seated:
    """One seat of a test meeting, and the user holding it (None for a guest)."""

    seat_id: int
    role: str
    user: User | None
    side: str | None
    name: str


@dataclass
class Room:
    meeting_id: int
    case_id: int
    kind: str
    host: Seated
    seats: list[Seated]


async def make_room(
    services: Services, *, kind: str = "mediation", roles: Sequence[str] = ("party", "party"),
    status: str = "scheduled", host_user: User | None = None,
) -> Room:
    """A case in mediation with a meeting hosted by its mediator, and one seat per role in ``roles``.

    Parties and agents alternate between the applicant and the respondent side;
    ``witness``/``interpreter`` seats are guests (no account).
    """
    mediator = host_user or await make_user(
        services, role="mediator" if kind == "mediation" else "judge", password=None
    )
    users: list[User | None] = []
    for role in roles:
        if role in ("witness", "interpreter"):
            users.append(None)
        else:
            users.append(await make_user(services, role="clerk" if role == "co_host" else "party", password=None))
    parties = [u for u, r in zip(users, roles, strict=True) if r == "party"]
    case = await make_case(
        services, applicant=parties[0] if parties else None,
        respondent=parties[1] if len(parties) > 1 else None, mediator=mediator, status="in_mediation",
    )
    now = services.clock.now()
    counters: dict[str, int] = {}
    async with services.db.uow() as uow:
        meeting = Meeting(
            case_id=case.id, kind=kind, mode="joint", status=status, title="测试调解",
            starts_at=now, ends_at=now + timedelta(hours=2), host_user_id=mediator.id,
            created_by_id=mediator.id, created_at=now, updated_at=now,
        )
        uow.session.add(meeting)
        await uow.session.flush()

        def seat(role: str, user: User | None) -> MeetingSeat:
            side = None
            if role in SIDES:
                n = counters.get(role, 0)
                counters[role] = n + 1
                side = SIDES[role][n % 2]
            name = user.real_name if user is not None else f"{role}-{len(counters)}"
            return MeetingSeat(
                meeting_id=meeting.id, user_id=user.id if user else None, role=role, side=side,
                display_name=name, state="invited", delegated=[], created_at=now, updated_at=now,
            )

        host_row = seat("host", mediator)
        rows = [seat(role, user) for role, user in zip(roles, users, strict=True)]
        uow.session.add_all([host_row, *rows])
        await uow.session.flush()
        host = Seated(host_row.id, "host", mediator, None, host_row.display_name)
        seated = [
            Seated(r.id, r.role, u, r.side, r.display_name) for r, u in zip(rows, users, strict=True)
        ]
        meeting_id = meeting.id
    return Room(meeting_id=meeting_id, case_id=case.id, kind=kind, host=host, seats=seated)


def room_token(services: Services, room: Room, seat: Seated, *, ttl: timedelta | None = None) -> str:
    token, _ = issue_room_token(
        services.settings, services.clock.now(), meeting_id=room.meeting_id, seat_id=seat.seat_id,
        user_id=seat.user.id if seat.user else None, role=seat.role, ttl=ttl,
    )
    return token


@dataclass
class RoomClient:
    """A python-socketio client on ``/room`` that keeps every event it receives."""

    sio: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient(reconnection=False))
    events: list[tuple[str, Payload]] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)
    refusal: dict[str, Any] | None = None
    disconnected: bool = False

    def __post_init__(self) -> None:
        self.sio.on("*", self._event, namespace=NAMESPACE)
        self.sio.on("connect_error", self._refused, namespace=NAMESPACE)
        self.sio.on("disconnect", self._gone, namespace=NAMESPACE)

    async def _event(self, event: str, *args: Any) -> None:
        self.events.append((event, args[0] if args else None))

    async def _refused(self, data: Any) -> None:
        self.refusal = data if isinstance(data, dict) else {"message": str(data)}

    async def _gone(self, *_args: Any) -> None:
        self.disconnected = True

    @property
    def joined(self) -> dict[str, Any]:
        return next(p for e, p in self.events if e == "joined")

    def received(self, event: str) -> list[Payload]:
        return [p for e, p in self.events if e == event]

    async def wait(
        self, event: str, where: Callable[[Payload], bool] | None = None, timeout: float = 5.0
    ) -> Payload:
        """The first ``event`` not yet consumed (matching ``where``), waiting up to ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, (name, payload) in enumerate(self.events):
                if i in self.consumed or name != event:
                    continue
                if where is None or where(payload):
                    self.consumed.add(i)
                    return payload
            if loop.time() > deadline:
                seen = [e for e, _ in self.events]
                raise AssertionError(f"no {event!r} event within {timeout}s; got {seen}")
            await asyncio.sleep(0.01)

    async def latest(self, event: str, where: Callable[[Payload], bool], timeout: float = 5.0) -> Payload:
        """Wait until the newest ``event`` satisfies ``where`` (rosters and lobbies are snapshots)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            got = self.received(event)
            if got and where(got[-1]):
                return got[-1]
            if loop.time() > deadline:
                raise AssertionError(f"the latest {event!r} never matched; got {got[-1:] }")
            await asyncio.sleep(0.01)

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        result = await self.sio.call(event, data, namespace=NAMESPACE, timeout=timeout)
        assert isinstance(result, dict), result
        return result

    async def wait_disconnected(self, timeout: float = 5.0) -> None:
        await until(lambda: self.disconnected or not self.sio.connected, timeout=timeout)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def connect(url: str, auth: dict[str, Any] | None) -> RoomClient:
    """Connect with ``auth``; raises ``socketio.exceptions.ConnectionError`` when refused
    (the client's ``refusal`` then holds the server's message and code)."""
    client = RoomClient()
    await client.sio.connect(
        url, namespaces=[NAMESPACE], transports=["websocket"], auth=auth, wait_timeout=5,
    )
    return client


async def refused(url: str, auth: dict[str, Any] | None) -> dict[str, Any]:
    """Connect expecting a refusal; returns ``{"message", "data": {"code"}}``."""
    client = RoomClient()
    try:
        await client.sio.connect(
            url, namespaces=[NAMESPACE], transports=["websocket"], auth=auth, wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError:
        pass
    else:
        await client.close()
        raise AssertionError("the connection was accepted")
    finally:
        if client.sio.eio.state == "connected":
            await client.sio.eio.disconnect()
    assert client.refusal is not None
    return client.refusal


async def join(url: str, services: Services, room: Room, seat: Seated) -> RoomClient:
    """Connect ``seat`` with a fresh room token and wait for its ``joined``."""
    client = await connect(url, {"token": room_token(services, room, seat), "meeting_id": room.meeting_id})
    await client.wait("joined")
    return client


async def resume(url: str, seat_id: int, key: str, meeting_id: int | None = None) -> RoomClient:
    client = await connect(url, {"resume_seat": seat_id, "resume_key": key, "meeting_id": meeting_id})
    await client.wait("joined")
    return client


async def entry_code_for(services: Services, seat: Seated) -> str:
    """A live room-entry code for the seat's mobile, as if the SMS had arrived (L2)."""
    assert seat.user is not None and seat.user.mobile is not None, "guests: write their code by mobile"
    return await entry_code_to(services, seat.user.mobile, seat.user.id)


async def entry_code_to(services: Services, mobile: str, user_id: int | None) -> str:
    code = f"{next(_codes) % 1_000_000:06d}"
    now = services.clock.now()
    async with services.db.uow() as uow:
        uow.session.add(OneTimeCode(
            purpose=Purpose.ROOM_ENTRY, mobile=mobile, user_id=user_id,
            code_hash=hash_code(services, mobile=mobile, purpose=Purpose.ROOM_ENTRY, code=code),
            created_at=now, expires_at=now + timedelta(minutes=10), attempts=0,
        ))
    return code


async def pass_entry_checks(services: Services, client: RoomClient, seat: Seated) -> None:
    """The participant's own entry steps: the one-time code (L2) and the warning (L9)."""
    ack = await client.call("entry.code", {"code": await entry_code_for(services, seat)})
    assert ack == {"ok": True, "verified": True}, ack
    ack = await client.call("entry.ack_warning", {})
    assert ack["ok"], ack


async def let_in(services: Services, host: RoomClient, client: RoomClient, seat: Seated) -> None:
    """Entry checks, then the host admits; waits until the participant knows."""
    await pass_entry_checks(services, client, seat)
    ack = await host.call("lobby.admit", {"seat_id": seat.seat_id})
    assert ack == {"ok": True}, ack
    await client.wait("seat", where=lambda n: n["change"] == "admitted")


async def seat_row(services: Services, seat_id: int) -> MeetingSeat:
    async with services.db.reader() as uow:
        row = await uow.session.get(MeetingSeat, seat_id)
        assert row is not None
        return row


async def meeting_row(services: Services, meeting_id: int) -> Meeting:
    async with services.db.reader() as uow:
        row = await uow.session.get(Meeting, meeting_id)
        assert row is not None
        return row


async def attendance(services: Services, seat_id: int) -> list[AttendanceEvent]:
    async with services.db.reader() as uow:
        rows = await uow.session.execute(
            select(AttendanceEvent).where(AttendanceEvent.seat_id == seat_id).order_by(AttendanceEvent.id)
        )
        return list(rows.scalars())


async def wait_seat(
    services: Services, seat_id: int, check: Callable[[MeetingSeat], bool], timeout: float = 5.0
) -> MeetingSeat:
    """Poll the seat's row until ``check`` holds (the server's disconnect handling is asynchronous)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        row = await seat_row(services, seat_id)
        if check(row):
            return row
        if loop.time() > deadline:
            raise AssertionError(f"seat {seat_id} never reached the expected state ({row.state})")
        await asyncio.sleep(0.02)


async def set_seat(services: Services, seat_id: int, **values: Any) -> None:
    """Write seat columns directly (for states another part's handlers produce, e.g. a caucus)."""
    async with services.db.uow() as uow:
        row = await uow.session.get(MeetingSeat, seat_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


async def reconnect_in_caucus(
    services: Services, url: str, client: RoomClient, seat: Seated, caucus_id: str
) -> RoomClient:
    """Put an admitted seat into a caucus without the caucus handlers: drop, move it, resume.

    Its new connection enters the rooms of its state, the caucus's included.
    """
    key = client.joined["resume_key"]
    await client.sio.eio.disconnect(abort=True)
    await wait_seat(services, seat.seat_id, lambda s: s.dropped_at is not None)
    await set_seat(services, seat.seat_id, caucus_id=caucus_id)
    back = await resume(url, seat.seat_id, key)
    assert back.joined["seat"]["caucus_id"] == caucus_id
    return back

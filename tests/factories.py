"""Shared test factories: rows a test needs, made the way the app would make them.

Add functions here; do not rewrite others'.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from odr.accounts.identity import resident_id_check_char
from odr.accounts.models import IdDocType, IdentityLevel, Membership, User
from odr.accounts.passwords import hash_password
from odr.accounts.service import DOC_CONTEXT
from odr.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE, OpenedSession, open_session
from odr.services import Services

_serial = itertools.count(1)


def resident_id(n: int) -> str:
    """A valid resident ID number (GB 11643 checksum, real birth date), unique per ``n``."""
    born = date(1960, 1, 1) + timedelta(days=(n * 7) % 20000)
    first17 = f"310101{born:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


async def make_user(
    services: Services,
    role: str = "party",
    *,
    username: str | None = None,
    password: str | None = "Passw0rd!",
    identity_level: str = IdentityLevel.BASIC,
    mobile: str | None = None,
    institution_id: int | None = None,
    court_id: int | None = None,
    **fields: Any,
) -> User:
    """A user with a unique username, mobile and resident ID; ``fields`` override any column.

    The resident ID is valid (checksum, birth date) and stored as the app
    stores it: encrypted, with its look-up hash and last four characters.
    ``password=None`` skips hashing (argon2 is slow on purpose). Unless
    ``identity_level`` is ``none`` the mobile counts as confirmed.
    ``institution_id``/``court_id`` add a membership with the user's role.
    """
    n = next(_serial)
    now = services.clock.now()
    doc = resident_id(n)
    verified = identity_level != IdentityLevel.NONE
    values: dict[str, Any] = {
        "username": username or f"user{n}",
        "real_name": f"测试用户{n}",
        "role": role,
        "id_doc_type": IdDocType.RESIDENT_ID,
        "id_doc_number_enc": services.crypto.encrypt(doc, context=DOC_CONTEXT),
        "id_doc_lookup": services.crypto.lookup_hash(doc, context=DOC_CONTEXT),
        "id_doc_last4": doc[-4:],
        "mobile": mobile or f"139{n:08d}",
        "mobile_verified_at": now if verified else None,
        "email": f"user{n}@example.test",
        "password_hash": hash_password(password) if password else None,
        "identity_level": identity_level,
        "identity_verified_at": now if verified else None,
        "identity_verifier": "checksum+mobile" if verified else None,
        "locale": "zh-CN",
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    async with services.db.uow() as uow:
        user = User(**values)
        uow.session.add(user)
        await uow.session.flush()
        if institution_id is not None or court_id is not None:
            uow.session.add(
                Membership(
                    user_id=user.id,
                    institution_id=institution_id,
                    court_id=court_id,
                    role=role,
                    created_at=now,
                )
            )
    return user


async def login(
    client: httpx.AsyncClient, username: str, password: str = "Passw0rd!"
) -> dict[str, Any]:
    """Sign in through the API; ``client`` keeps the cookies and sends X-CSRF-Token from now on.

    Returns the signed-in user as the API shows it.
    """
    client.headers.pop("X-CSRF-Token", None)
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    return body["user"]  # type: ignore[no-any-return]


async def sign_in(client: httpx.AsyncClient, services: Services, user: User) -> OpenedSession:
    """Open a session for ``user`` and make ``client`` send its cookies and CSRF header."""
    async with services.db.uow() as uow:
        opened = await open_session(uow, services, user)
    client.cookies.set(SESSION_COOKIE, opened.token)
    client.cookies.set(CSRF_COOKIE, opened.csrf_token)
    client.headers["X-CSRF-Token"] = opened.csrf_token
    return opened


async def seeded_orgs(services: Services) -> tuple[list[int], list[int]]:
    """Seed the real courts and institutions (idempotent); return (court ids, institution ids)."""
    from sqlalchemy import select

    from odr.orgs.models import Court, Institution
    from odr.orgs.seed import seed_orgs

    async with services.db.uow() as uow:
        await seed_orgs(uow, services.clock)
    async with services.db.reader() as uow:
        courts = list((await uow.session.execute(select(Court.id).order_by(Court.id))).scalars())
        insts = list(
            (await uow.session.execute(select(Institution.id).order_by(Institution.id))).scalars()
        )
    return courts, insts


async def make_case(
    services: Services,
    *,
    applicant: User | None = None,
    respondent: User | None = None,
    status: str = "submitted",
    channel: str = "self_filed",
    category: str = "financial_consumer",
    institution_id: int | None = None,
    court_id: int | None = None,
    mediator: User | None = None,
    claim_amount_fen: int = 1_000_000,
    **fields: Any,
) -> Any:
    """A case written straight to the database (not through intake), with its parties.

    Each given user becomes a ``CaseParty`` of its side (ID and mobile copied from the
    user) and a ``CaseParticipant``; ``mediator`` becomes the case's mediator.
    Returns the ``Case`` (detached; read its ids). Statuses are set, not transitioned:
    tests of the lifecycle itself go through ``odr.cases.transitions``.
    """
    from odr.cases.models import Case, CaseParticipant, CaseParty

    n = next(_serial)
    now = services.clock.now()
    async with services.db.uow() as uow:
        values: dict[str, Any] = {
            "number": f"TEST-{now:%Y}-{n:05d}", "title": f"测试纠纷{n}",
            "category": category, "channel": channel, "status": status,
            "claim_amount_fen": claim_amount_fen, "institution_id": institution_id,
            "court_id": court_id, "mediator_id": mediator.id if mediator else None,
            "created_by_id": applicant.id if applicant else None,
            "submitted_at": now, "created_at": now, "updated_at": now,
        }
        values.update(fields)
        case = Case(**values)
        uow.session.add(case)
        await uow.session.flush()
        for side, user in (("applicant", applicant), ("respondent", respondent)):
            if user is None:
                continue
            assert user.id_doc_number_enc is not None and user.mobile is not None
            doc = services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT)
            party = CaseParty(
                case_id=case.id, side=side, kind="person", name=user.real_name,
                id_doc_type=user.id_doc_type or IdDocType.RESIDENT_ID,
                id_doc_number_enc=services.crypto.encrypt(doc, context="case_party.id_doc"),
                id_doc_lookup=services.crypto.lookup_hash(doc, context="case_party.id_doc"),
                id_doc_last4=doc[-4:], mobile=user.mobile, address="上海市黄浦区测试路1号",
                user_id=user.id, created_at=now,
            )
            uow.session.add(party)
            await uow.session.flush()
            uow.session.add(CaseParticipant(
                case_id=case.id, user_id=user.id, role=side, party_id=party.id, created_at=now,
            ))
        if mediator is not None:
            uow.session.add(CaseParticipant(
                case_id=case.id, user_id=mediator.id, role="mediator", created_at=now,
            ))
    return case


@dataclass
class MadeMeeting:
    """What ``make_meeting`` wrote: the meeting and its seats (detached rows), host first."""

    meeting: Any  # odr.meetings.models.Meeting
    seats: list[Any]  # odr.meetings.models.MeetingSeat
    guest_tokens: dict[int, str] = field(default_factory=dict)  # seat id -> invite link token

    @property
    def id(self) -> int:
        return int(self.meeting.id)

    @property
    def host_seat(self) -> Any:
        return self.seats[0]

    def seat_of(self, user: User) -> Any:
        return next(s for s in self.seats if s.user_id == user.id)


async def make_meeting(
    services: Services,
    case: Any,
    *,
    kind: str = "mediation",
    host: User | None = None,
    starts_in: timedelta = timedelta(minutes=5),
    length: timedelta = timedelta(hours=1),
    mode: str = "joint",
    side: str | None = None,
    status: str = "scheduled",
    title: str = "调解会议",
    co_hosts: tuple[User, ...] = (),
    observers: tuple[User, ...] = (),
    guests: tuple[tuple[str, str, str], ...] = (),
) -> MadeMeeting:
    """A meeting of ``case`` written straight to the database (no notices), with its seats.

    The host is ``host`` or else the case's mediator; the case's running applicants and
    respondents get ``party`` seats with their side, its agents with general authority
    ``agent`` seats (only ``side``'s, for a separate session); ``co_hosts``/``observers``
    get those roles; each ``guests`` entry ``(role, name, mobile)`` gets a guest seat with a
    one-time invite link (its token in ``guest_tokens``). Starts ``starts_in`` from now.
    """
    from sqlalchemy import or_, select

    from odr.cases.models import AgentAuthorization, CaseParticipant, CaseParty
    from odr.meetings.entry import GUEST_MOBILE_CONTEXT
    from odr.meetings.guests import token_hash
    from odr.meetings.models import Meeting, MeetingSeat

    now = services.clock.now()
    async with services.db.uow() as uow:
        s = uow.session
        host_id = host.id if host is not None else case.mediator_id
        assert host_id is not None, "give host= (the case has no mediator)"
        meeting = Meeting(
            case_id=case.id, kind=kind, mode=mode, side=side, title=title, status=status,
            starts_at=now + starts_in, ends_at=now + starts_in + length, host_user_id=host_id,
            created_by_id=host_id, created_at=now, updated_at=now,
        )
        s.add(meeting)
        await s.flush()
        names = dict((await s.execute(select(User.id, User.real_name))).tuples().all())
        planned: list[tuple[int, str, str | None]] = [(host_id, "host", None)]
        planned += [(u.id, "co_host", None) for u in co_hosts]
        rows = (await s.execute(
            select(CaseParticipant.user_id, CaseParticipant.role, CaseParty.side)
            .outerjoin(CaseParty, CaseParty.id == CaseParticipant.party_id)
            .where(CaseParticipant.case_id == case.id,
                   or_(CaseParticipant.ends_at.is_(None), CaseParticipant.ends_at > now),
                   CaseParticipant.role.in_(("applicant", "respondent", "agent")))
            .order_by(CaseParticipant.id)
        )).all()
        general = {agent for agent, scopes in (await s.execute(
            select(AgentAuthorization.agent_user_id, AgentAuthorization.scopes).where(
                AgentAuthorization.case_id == case.id, AgentAuthorization.revoked_at.is_(None))
        )).all() if "general" in scopes}
        for user_id, role, party_side in rows:
            if role == "agent" and user_id not in general:
                continue
            seat_side = party_side if role == "agent" else role
            if side is None or seat_side == side:
                planned.append((user_id, "agent" if role == "agent" else "party", seat_side))
        planned += [(u.id, "observer", None) for u in observers]
        seats = []
        seen: set[int] = set()
        for user_id, role, seat_side in planned:
            if user_id in seen:
                continue
            seen.add(user_id)
            seats.append(MeetingSeat(
                meeting_id=meeting.id, user_id=user_id, role=role, side=seat_side,
                display_name=names.get(user_id, f"#{user_id}"), delegated=[],
                created_at=now, updated_at=now,
            ))
        tokens: dict[int, str] = {}
        guest_rows = []
        for role, name, mobile in guests:
            token = f"guest-{next(_serial):06d}-{role}-link-token"
            guest_rows.append((token, MeetingSeat(
                meeting_id=meeting.id, user_id=None, role=role, display_name=name,
                invite_token_hash=token_hash(token),
                guest_mobile_encrypted=services.crypto.encrypt(mobile, context=GUEST_MOBILE_CONTEXT),
                delegated=[], created_at=now, updated_at=now,
            )))
        s.add_all(seats + [seat for _t, seat in guest_rows])
        await s.flush()
        for token, seat in guest_rows:
            tokens[seat.id] = token
            seats.append(seat)
    return MadeMeeting(meeting, seats, tokens)

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


async def make_agreement(
    services: Services,
    case: Any,
    *,
    author: User,
    content: Any | None = None,
    status: str = "draft",
    kind: str = "written",
    category: str | None = None,
    language: str = "zh-CN",
) -> Any:
    """An ``Agreement`` of ``case`` with its version 1, written straight to the database.

    ``content`` (an ``agreements.content.AgreementContent``) defaults to one that
    passes every L15 check: the case's parties, facts, disputed matters and one
    term with an amount, a manner and a due date 30 days from today. Returns the
    detached ``Agreement`` (read its ids; ``current_version`` is 1).
    """
    import secrets

    from sqlalchemy import select

    from agreements.content import AgreementContent, Term, content_sha256
    from agreements.drafting.prefill import party_block
    from agreements.models import Agreement, AgreementVersion
    from odr.cases.models import CaseParty
    from odr.clock import to_local

    now = services.clock.now()
    async with services.db.uow() as uow:
        s = uow.session
        if content is None:
            parties = list((await s.execute(
                select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
            )).scalars())
            blocks = [party_block(p) for p in parties]
            obligors = [p.id for p in parties if p.side == "respondent"] or [parties[0].id]
            obligees = [p.id for p in parties if p.id not in obligors]
            content = AgreementContent(
                language="en" if language == "en" else "zh-CN",
                case_number=case.number, parties=blocks,
                facts="双方因借款发生纠纷。", disputed_matters="借款本金及利息的偿还。",
                responsibilities="被申请人应偿还借款。",
                terms=[Term(
                    key="t1", obligor_party_ids=obligors, obligee_party_ids=obligees,
                    text="被申请人向申请人支付人民币一万元。", amount_fen=1_000_000,
                    manner="银行转账", due_on=to_local(now).date() + timedelta(days=30),
                )],
            )
        agreement = Agreement(
            case_id=case.id, kind=kind, status=status, category=category or case.category,
            language=language, current_version=1,
            verification_code=secrets.token_hex(8).upper(), created_by_id=author.id,
            created_at=now,
        )
        s.add(agreement)
        await s.flush()
        s.add(AgreementVersion(
            agreement_id=agreement.id, number=1, content=content.model_dump(mode="json"),
            content_sha256=content_sha256(content), changed_fields=[], change_note="",
            author_id=author.id, created_at=now,
        ))
    return agreement


async def add_signature(
    services: Services,
    agreement: Any,
    *,
    role: str,
    signer: User,
    party_id: int | None = None,
    version: int | None = None,
    authorization_id: int | None = None,
) -> Any:
    """An ``AgreementSignature`` on ``version`` (default: the agreement's current one),
    written straight to the database with that version's hash. Returns it detached."""
    from sqlalchemy import select

    from agreements.models import Agreement, AgreementSignature, AgreementVersion

    now = services.clock.now()
    async with services.db.uow() as uow:
        s = uow.session
        current = (await s.get(Agreement, agreement.id))
        assert current is not None
        number = version if version is not None else current.current_version
        sha = (await s.execute(select(AgreementVersion.content_sha256).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number,
        ))).scalar_one()
        signature = AgreementSignature(
            agreement_id=agreement.id, version_number=number, content_sha256=sha, role=role,
            party_id=party_id, signer_user_id=signer.id, authorization_id=authorization_id,
            signed_at=now, reauthenticated_at=now, code_verified_at=now,
        )
        s.add(signature)
        await s.flush()
    return signature


@dataclass
class MadeApplication:
    """What ``make_confirmation_application`` wrote (detached rows)."""

    application: Any  # agreements.models.ConfirmationApplication
    case: Any
    agreement: Any
    party_ids: dict[str, int]  # side -> CaseParty id

    @property
    def id(self) -> int:
        return int(self.application.id)


async def make_confirmation_application(
    services: Services,
    *,
    court_id: int,
    applicant: User,
    respondent: User,
    mediator: User,
    institution_id: int | None = None,
    case_court_id: int | None = None,
    channel: str = "self_filed",
    case_created_minutes_before: int = 3 * 24 * 60,
    join_facts: dict[str, tuple[str, str]] | None = None,
    sign_facts: dict[str, tuple[str, str]] | None = None,
    content: Any | None = None,
) -> MadeApplication:
    """A joint confirmation application (L20) that every party joined: status ``applied``.

    The case (``agreement_effective`` first) gets an effective agreement (``make_agreement``)
    with both parties' signatures, the mediator's and the seal; each party joins; then
    the case moves by ``apply_confirmation`` through ``odr.cases.transitions`` so the
    transition's hooks run (the court's 3-day acceptance clock opens, L25).
    ``join_facts``/``sign_facts``: side -> (client_ip, device_hash) of that party's join
    and signature (default: a distinct address and device per side).
    """
    from datetime import timedelta as _td

    from sqlalchemy import select

    from agreements.models import (
        Agreement,
        AgreementSignature,
        ConfirmationApplication,
        ConfirmationJoin,
    )
    from odr.cases.lifecycle import CaseEventKind
    from odr.cases.models import Case, CaseParty
    from odr.cases.transitions import Who, load_case_for_update, transition

    now = services.clock.now()
    case = await make_case(
        services, applicant=applicant, respondent=respondent, mediator=mediator,
        status="agreement_effective", channel=channel, institution_id=institution_id,
        court_id=case_court_id, created_at=now - _td(minutes=case_created_minutes_before),
    )
    agreement = await make_agreement(services, case, author=mediator, content=content,
                                     status="effective")
    joins = join_facts or {"applicant": ("10.0.0.1", "dev-a"), "respondent": ("10.0.0.2", "dev-b")}
    signs = sign_facts or {"applicant": ("10.0.1.1", "dev-a"), "respondent": ("10.0.1.2", "dev-b")}
    async with services.db.uow() as uow:
        s = uow.session
        parties = {p.side: p for p in (await s.execute(
            select(CaseParty).where(CaseParty.case_id == case.id))).scalars()}
        row = await s.get(Agreement, agreement.id)
        assert row is not None
        row.effective_at, row.effective_version = now, 1
        users = {"applicant": applicant, "respondent": respondent}
        for side, party in parties.items():
            ip, device = signs[side]
            s.add(AgreementSignature(
                agreement_id=agreement.id, version_number=1, content_sha256="0" * 64,
                role="party", party_id=party.id, signer_user_id=users[side].id, signed_at=now,
                client_ip=ip, device_hash=device,
            ))
        application = ConfirmationApplication(
            case_id=case.id, agreement_id=agreement.id, court_id=court_id, status="applied",
            competence_basis="institution_location", started_by_id=applicant.id,
            created_at=now, applied_at=now,
        )
        s.add(application)
        await s.flush()
        for side, party in parties.items():
            ip, device = joins[side]
            s.add(ConfirmationJoin(application_id=application.id, party_id=party.id,
                                   user_id=users[side].id, joined_at=now, client_ip=ip,
                                   device_hash=device))
        locked = await load_case_for_update(uow, case.id)
        await transition(uow, services, locked, CaseEventKind.APPLY_CONFIRMATION,
                         Who.system("test"), data={"application_id": application.id})
        case_row = await s.get(Case, case.id)
    return MadeApplication(application, case_row, agreement,
                           {side: p.id for side, p in parties.items()})

"""Shared test factories: rows a test needs, made the way the app would make them.

Add functions here; do not rewrite others'.
"""

from __future__ import annotations

import itertools
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

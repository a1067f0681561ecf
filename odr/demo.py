"""Demo data: the seeded organisations and one account for every role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from odr.accounts.models import IdDocType, IdentityLevel, Membership, Role, User
from odr.accounts.passwords import hash_password
from odr.audit.chain import record
from odr.orgs.models import Court, Institution
from odr.orgs.seed import seed_orgs
from odr.services import Services

DEMO_PASSWORD = "Demo2026!"


@dataclass(frozen=True)
class DemoUser:
    username: str
    real_name: str
    role: Role
    id_number: str
    mobile: str
    institution_code: str | None = None
    court_code: str | None = None


# Resident ID numbers below carry valid GB 11643 checksums (fictional people).
DEMO_USERS = [
    DemoUser("party", "张三", Role.PARTY, "310101199001011234", "13800000001"),
    DemoUser("respondent", "李四", Role.PARTY, "310104198502023211", "13800000002"),
    DemoUser("lawyer", "王律师", Role.AGENT, "310105198003033016", "13800000003"),
    DemoUser("mediator", "赵调解", Role.MEDIATOR, "310106197504043310", "13800000004", "SFCDMC"),
    DemoUser("inst_admin", "钱管理", Role.INSTITUTION_ADMIN, "310107197805053615", "13800000005", "SFCDMC"),
    DemoUser("judge", "孙法官", Role.JUDGE, "310108197306063911", "13800000006", None, "SHJRFY"),
    DemoUser("clerk", "周书记", Role.CLERK, "310109199207073212", "13800000007", None, "SHJRFY"),
    DemoUser("admin", "平台管理员", Role.ADMIN, "310110198808083513", "13800000008"),
]


async def seed_demo(services: Services) -> list[DemoUser]:
    """Idempotent: seeds organisations and creates the demo users that do not exist yet."""
    clock, crypto = services.clock, services.crypto
    created: list[DemoUser] = []
    async with services.db.uow() as uow:
        await seed_orgs(uow, clock)
        institutions = {i.code: i.id for i in (await uow.session.execute(select(Institution))).scalars()}
        courts = {c.code: c.id for c in (await uow.session.execute(select(Court))).scalars()}
        existing = set((await uow.session.execute(select(User.username))).scalars())
        now = clock.now()
        for demo in DEMO_USERS:
            if demo.username in existing:
                continue
            user = User(
                username=demo.username,
                real_name=demo.real_name,
                role=demo.role,
                id_doc_type=IdDocType.RESIDENT_ID,
                id_doc_number_enc=crypto.encrypt(demo.id_number, context="users.id_doc"),
                id_doc_lookup=crypto.lookup_hash(demo.id_number, context="users.id_doc"),
                id_doc_last4=demo.id_number[-4:],
                mobile=demo.mobile,
                mobile_verified_at=now,
                password_hash=hash_password(DEMO_PASSWORD),
                identity_level=IdentityLevel.BASIC,
                identity_verified_at=now,
                identity_verifier="demo-seed",
                created_at=now,
                updated_at=now,
            )
            uow.session.add(user)
            await uow.session.flush()
            if demo.institution_code or demo.court_code:
                uow.session.add(
                    Membership(
                        user_id=user.id,
                        institution_id=institutions.get(demo.institution_code or ""),
                        court_id=courts.get(demo.court_code or ""),
                        role=demo.role,
                        created_at=now,
                    )
                )
            await record(
                uow, clock, action="user.created", actor_label="odr seed-demo",
                subject_type="user", subject_id=user.id, data={"username": demo.username, "role": demo.role},
            )
            created.append(demo)
    return created

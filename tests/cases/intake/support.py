"""Bodies and look-ups the intake tests share."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from odr.accounts.identity import uscc_check_char
from odr.accounts.models import User
from odr.accounts.service import DOC_CONTEXT
from odr.cases.intake.notice import current_notice
from odr.cases.models import Case
from odr.orgs.models import Institution
from odr.services import Services
from tests.factories import resident_id

_serial = itertools.count(5000)
APPLICATIONS = "/api/v1/cases/applications"


def uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100 check character), unique per ``n``."""
    first17 = f"913101{n:011d}"
    return first17 + uscc_check_char(first17)


def person_of(services: Services, user: User) -> dict[str, Any]:
    """``user`` as a party of a filing, with the ID number it verified."""
    assert user.id_doc_number_enc is not None and user.mobile is not None
    return {
        "kind": "person", "name": user.real_name, "id_doc_type": "resident_id",
        "id_doc_number": services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT),
        "mobile": user.mobile, "address": "上海市黄浦区中山东一路1号",
    }


def person(n: int | None = None) -> dict[str, Any]:
    n = next(_serial) if n is None else n
    return {
        "kind": "person", "name": f"张{n}", "id_doc_type": "resident_id",
        "id_doc_number": resident_id(n), "mobile": f"137{n:08d}",
        "address": "上海市浦东新区世纪大道100号",
    }


def company(n: int | None = None) -> dict[str, Any]:
    n = next(_serial) if n is None else n
    return {
        "kind": "organisation", "name": f"上海某某银行股份有限公司{n}", "id_doc_type": "uscc",
        "id_doc_number": uscc(n), "mobile": f"136{n:08d}", "address": "上海市浦东新区银城中路8号",
        "legal_representative": "李四",
    }


def application(applicant: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "信用卡透支利息纠纷",
        "category": "financial_consumer",
        "claim_amount": "12345.67",
        "claims": "请求减免违约金并分期还款",
        "facts": "申请人于2025年使用信用卡透支，因失业无力按期还款。",
        "applicants": [applicant],
        "respondents": [company()],
        "notice_version": current_notice().version,
        "consent_to_online_mediation": True,
    }
    body.update(overrides)
    return body


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def file(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post(APPLICATIONS, json=body, headers=headers or key())


async def case_count(services: Services) -> int:
    async with services.db.reader() as uow:
        return (await uow.session.execute(select(func.count()).select_from(Case))).scalar_one()


async def institution(services: Services, code: str) -> int:
    async with services.db.reader() as uow:
        return (await uow.session.execute(
            select(Institution.id).where(Institution.code == code))).scalar_one()


async def load_case(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case

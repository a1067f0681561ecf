"""Judicial confirmation in Debian's Chromium: a party starts the joint application to a
competent court (L22), the other party joins (L20), the court's judge accepts it as the
designated judge (L25) and rules it valid (L26); the parties' case page shows the ruling.

One browser context per person against the real app (``live_app``). The agreement takes
effect through the real transition, as tests/agreements/confirmation_party does.
``ODR_E2E_FRONTEND_DIST`` points the app at another build of the page.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from agreements.models import ConfirmationApplication, CourtFiling, PerformanceItem
from odr.cases.models import CaseParty
from odr.orgs.models import Institution
from tests import factories
from tests.agreements.confirmation_party.support import HONGKOU, HUANGPU, take_effect_now
from tests.e2e.conftest import FRONTEND_DIST, LiveApp
from tests.e2e.test_cases_web import person, sign_in_page

PASSWORD = "Passw0rd!"
_serial = itertools.count(1)
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def frontend_dist() -> Iterator[Path]:
    dist = Path(os.environ.get("ODR_E2E_FRONTEND_DIST") or FRONTEND_DIST)
    if not (dist / "index.html").is_file():
        pytest.fail(f"{dist}/index.html is missing: build the frontend first (bash frontend/build.sh)",
                    pytrace=False)
    yield dist


async def effective_case(live_app: LiveApp, n: int) -> tuple[object, object, object]:
    """A self-filed case at 上海经贸商事调解中心 whose agreement has just taken effect (L21 open)."""
    services = live_app.services
    async with services.db.reader() as uow:
        inst = int((await uow.session.execute(
            select(Institution.id).where(Institution.code == "SCMC"))).scalar_one())
    applicant = await factories.make_user(services, username=f"cfapp{n}", password=PASSWORD, real_name="陈申请")
    respondent = await factories.make_user(services, username=f"cfresp{n}", password=PASSWORD, real_name="王被申")
    mediator = await factories.make_user(services, "mediator", password=None, institution_id=inst)
    case = await factories.make_case(
        services, applicant=applicant, respondent=respondent, mediator=mediator, status="in_mediation",
        channel="self_filed", category="financial_consumer", institution_id=inst,
        claim_amount_fen=1_000_000,
    )
    async with services.db.uow() as uow:
        for party in (await uow.session.execute(
                select(CaseParty).where(CaseParty.case_id == case.id))).scalars():
            party.address = HUANGPU if party.side == "applicant" else HONGKOU
    agreement = await factories.make_agreement(services, case, author=mediator, status="signing")
    await take_effect_now(services, case.id, agreement.id)
    return case, applicant, respondent


async def test_party_applies_other_joins_judge_accepts_and_rules_valid_L20_L22_L25_L26(
    browser: Browser, live_app: LiveApp
) -> None:
    n = 9500 + next(_serial)
    services = live_app.services
    case, applicant, respondent = await effective_case(live_app, n)
    case_url = f"/workspace/cases/{case.id}?tab=confirmation"  # type: ignore[attr-defined]

    async with person(browser, live_app) as a:
        await sign_in_page(a, live_app, applicant.username)  # type: ignore[attr-defined]
        await a.goto(case_url)
        await expect(a.get_by_test_id("conf-window")).to_contain_text("申请期限")
        form = a.get_by_test_id("conf-start-form")
        await expect(form).to_contain_text("管辖依据")
        await a.get_by_test_id("conf-start").click()
        await expect(a.get_by_test_id("conf-status")).to_have_attribute("data-status", "gathering")
        await expect(a.get_by_test_id("conf-application")).to_contain_text("王被申")
        await expect(a.get_by_test_id("conf-join")).to_have_count(0)

    async with services.db.reader() as uow:
        application = (await uow.session.execute(select(ConfirmationApplication).where(
            ConfirmationApplication.case_id == case.id))).scalar_one()  # type: ignore[attr-defined]
    judge = await factories.make_user(services, "judge", username=f"cfjudge{n}", password=PASSWORD,
                                      real_name="赵法官", court_id=application.court_id)

    async with person(browser, live_app) as b:
        await sign_in_page(b, live_app, respondent.username)  # type: ignore[attr-defined]
        await b.goto(case_url)
        await b.get_by_test_id("conf-join").click()
        await expect(b.get_by_test_id("conf-status")).to_have_attribute("data-status", "applied")
        await expect(b.get_by_test_id("conf-join")).to_have_count(0)

    async with person(browser, live_app) as j:
        await sign_in_page(j, live_app, judge.username)
        await j.goto("/workspace/court/confirmations")
        await j.get_by_test_id(f"court-open-{application.id}").click()
        detail = j.get_by_test_id("court-detail")
        await expect(detail.get_by_test_id("court-status")).to_have_attribute("data-status", "applied")
        await expect(j.get_by_test_id("court-warnings")).to_be_visible()
        await detail.get_by_test_id("court-accept").click()
        await expect(detail.get_by_test_id("court-status")).to_have_attribute("data-status", "accepted")
        # Rejecting needs an INT 358 ground; ruling valid needs only the reasons.
        await detail.get_by_test_id("court-reason").fill("协议系双方自愿达成，内容不违反法律规定。")
        await detail.get_by_test_id("court-rule").click()
        await expect(j.get_by_test_id("court-ruling")).to_contain_text("裁定确认有效")
        await expect(detail.get_by_test_id("court-status")).to_have_attribute("data-status", "confirmed")

    async with person(browser, live_app) as a:
        await sign_in_page(a, live_app, applicant.username)  # type: ignore[attr-defined]
        await a.goto(case_url)
        await expect(a.get_by_test_id("conf-status")).to_have_attribute("data-status", "confirmed")
        ruling = a.get_by_test_id("conf-ruling")
        await expect(ruling).to_contain_text("人民法院已裁定调解协议有效")
        await expect(ruling.get_by_test_id("conf-ruling-doc")).to_be_visible()


async def test_judge_issues_statement_on_filed_agreement_and_party_sees_performance_L37(
    browser: Browser, live_app: LiveApp
) -> None:
    """An entrusted case's agreement goes back to the court (L37); the judge issues the
    mediation statement from the filings queue; the party's case page lists the terms to
    perform with their due dates and amounts, and records a performance."""
    from odr.accounts.models import User
    from odr.accounts.passwords import hash_password
    from tests.agreements.filing.support import court_world

    n = 9600 + next(_serial)
    services = live_app.services
    async with httpx.AsyncClient(base_url=live_app.base_url) as client:
        w = await court_world(services, client, channel="entrusted", consenting=())
    async with services.db.uow() as uow:
        row = await uow.session.get(User, w.respondent.id)
        assert row is not None
        row.username, row.password_hash = f"cfperf{n}", hash_password(PASSWORD)
    judge = await factories.make_user(services, "judge", username=f"cffile{n}", password=PASSWORD,
                                      court_id=w.court_id)
    async with services.db.reader() as uow:
        filing = (await uow.session.execute(
            select(CourtFiling).where(CourtFiling.case_id == w.case_id))).scalar_one()

    async with person(browser, live_app) as j:
        await sign_in_page(j, live_app, judge.username)
        await j.goto("/workspace/court/filings")
        await j.get_by_test_id(f"filing-open-{filing.id}").click()
        detail = j.get_by_test_id("filing-detail")
        await expect(detail.get_by_test_id("filing-status")).to_have_attribute("data-status", "submitted")
        await detail.get_by_test_id("filing-statement").click()
        await expect(detail.get_by_test_id("filing-status")).to_have_attribute("data-status", "statement_issued")

    async with person(browser, live_app) as r:
        await sign_in_page(r, live_app, f"cfperf{n}")
        await r.goto(f"/workspace/cases/{w.case_id}?tab=performance")
        items = r.get_by_test_id("performance-items")
        await expect(items).to_contain_text("¥12345.67")
        await expect(items).to_contain_text("被申请人向申请人支付")
        async with services.db.reader() as uow:
            pay = (await uow.session.execute(select(PerformanceItem).where(
                PerformanceItem.case_id == w.case_id, PerformanceItem.term_key == "pay"))).scalar_one()
        await r.get_by_test_id(f"perf-confirm-{pay.id}").click()
        await expect(r.get_by_text("义务人确认已履行")).to_be_visible()

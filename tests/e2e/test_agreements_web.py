"""The agreement screens in Debian's Chromium: draft in versions, sign with a drawn
signature and a one-time code, seal, take effect, verify.

One browser context per person against the real app (``live_app``). The case, its
people and the institution come from the shared factories; one-time codes are read
from the outbox the way a phone would receive them. The app runs no worker, so the
PDF job (``agreements.finish_pdf``: render, PAdES-sign, store, serve) is drained from
the test process, as a worker would run it.

``ODR_E2E_FRONTEND_DIST`` points the app at another build of the page (e.g. one
built into a temporary folder while other e2e runs use ``frontend/dist``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect
from sqlalchemy import select

import agreements.signing.finish  # noqa: F401  registers agreements.finish_pdf
import odr.eservice.delivery  # registers eservice.send
import odr.notify.service  # noqa: F401  registers notify.send
from agreements.models import Agreement
from odr.cases.models import CaseDocument, CaseParty
from odr.orgs.models import Institution
from odr.outbox.drain import drain_until_empty
from tests import factories
from tests.e2e.conftest import FRONTEND_DIST, LiveApp
from tests.e2e.support import latest_code
from tests.e2e.test_cases_web import person, sign_in_page

PASSWORD = "Passw0rd!"
LEASING_CENTRE = "上海市融资租赁行业协会人民调解委员会"
_serial = itertools.count(1)
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def frontend_dist() -> Iterator[Path]:
    dist = Path(os.environ.get("ODR_E2E_FRONTEND_DIST") or FRONTEND_DIST)
    if not (dist / "index.html").is_file():
        pytest.fail(f"{dist}/index.html is missing: build the frontend first (bash frontend/build.sh)",
                    pytrace=False)
    yield dist


async def institution_id(live_app: LiveApp, name_zh: str) -> int:
    async with live_app.services.db.reader() as uow:
        return int((await uow.session.execute(
            select(Institution.id).where(Institution.name_zh == name_zh))).scalar_one())


async def party_id(live_app: LiveApp, case_id: int, user_id: int) -> int:
    async with live_app.services.db.reader() as uow:
        return int((await uow.session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.user_id == user_id)
        )).scalar_one())


async def draw_signature(page: Page) -> None:
    """A handwritten stroke on the pad with the mouse (pointer events)."""
    pad = page.get_by_test_id("signature-pad")
    box = await pad.bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    await page.mouse.move(x + 30, y + 120)
    await page.mouse.down()
    for dx, dy in ((80, 40), (140, 110), (200, 50), (260, 120), (330, 60)):
        await page.mouse.move(x + dx, y + dy, steps=4)
    await page.mouse.up()


async def sign_in_dialog(page: Page, live_app: LiveApp, *, mobile: str, button: str, draw: bool = True) -> None:
    """Open the signing dialog, confirm with the password, get the code, draw, sign."""
    await page.get_by_test_id(button).click()
    dialog = page.get_by_test_id("sign-dialog")
    await expect(dialog).to_be_visible()
    # Signing in counts as a fresh confirmation for a few minutes; after that the password is asked.
    if await dialog.get_by_test_id("reauth-password").count():
        await dialog.get_by_test_id("reauth-password").fill(PASSWORD)
        await dialog.get_by_test_id("reauth-submit").click()
    await expect(dialog.get_by_test_id("reauth-fresh")).to_be_visible()
    await dialog.get_by_test_id("sign-send-code").click()
    code = await latest_code(live_app.services, mobile=mobile, purpose="agreement_sign")
    await dialog.get_by_test_id("sign-code").fill(code)
    if draw:
        # Signing with an empty pad is refused on the page, before anything is sent.
        await dialog.get_by_test_id("sign-submit").click()
        await expect(dialog.get_by_text("请先在签名板上签名。")).to_be_visible()
        await draw_signature(page)
    await dialog.get_by_test_id("sign-submit").click()
    await expect(dialog).to_be_hidden()


async def test_mediator_drafts_parties_sign_mediator_signs_admin_seals_and_the_code_verifies_L15_L16(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = 9000 + next(_serial)
    services = live_app.services
    inst = await institution_id(live_app, LEASING_CENTRE)
    applicant = await factories.make_user(services, username=f"agapp{n}", password=PASSWORD, real_name="陈立")
    respondent = await factories.make_user(services, username=f"agresp{n}", password=PASSWORD, real_name="王租户")
    mediator = await factories.make_user(services, "mediator", username=f"agmed{n}", password=PASSWORD,
                                         real_name="李调解", institution_id=inst)
    admin = await factories.make_user(services, "institution_admin", username=f"agadm{n}", password=PASSWORD,
                                      institution_id=inst)
    case = await factories.make_case(services, applicant=applicant, respondent=respondent, status="in_mediation",
                                     category="financial_leasing", institution_id=inst, mediator=mediator)
    case_url = f"/workspace/cases/{case.id}?tab=agreement"
    applicant_party = await party_id(live_app, case.id, applicant.id)
    respondent_party = await party_id(live_app, case.id, respondent.id)

    async with person(browser, live_app) as med:
        await sign_in_page(med, live_app, mediator.username)
        await med.goto(case_url)

        # L19: a marriage matter is refused with the reason; a plain one makes draft v1.
        await med.get_by_test_id("agreement-personal-status").get_by_text("婚姻关系").click()
        await med.get_by_test_id("agreement-create-submit").click()
        await expect(med.get_by_test_id("l19-refusal")).to_be_visible()
        await med.get_by_test_id("agreement-personal-status").get_by_text("不涉及").click()
        await med.get_by_test_id("agreement-create-submit").click()
        await expect(med.get_by_test_id("agreement-version")).to_have_text("第 1 版")
        editor = med.get_by_test_id("agreement-editor")
        await expect(editor).to_be_visible()
        await expect(editor.get_by_test_id("agreement-parties")).to_contain_text("陈立")

        # The structured content: facts, disputed matters, one term with an exact amount.
        await editor.get_by_test_id("field-facts").fill("双方签订融资租赁合同，被申请人自2025年起未按期支付租金。")
        await editor.get_by_test_id("field-disputed_matters").fill("欠付租金的数额和支付期限。")
        if not await editor.get_by_test_id("term-0").count():
            await editor.get_by_test_id("add-term").click()
        terms = editor.get_by_test_id("term-0")
        await terms.get_by_test_id("term-text").fill("被申请人向申请人支付拖欠租金。")
        await terms.get_by_test_id("term-obligor").click()
        await med.get_by_role("option", name="王租户", exact=True).click()
        await med.keyboard.press("Escape")
        await terms.get_by_test_id("term-amount").fill("12.345")
        await expect(terms.get_by_text("金额最多保留两位小数（分）")).to_be_visible()
        await terms.get_by_test_id("term-amount").fill("12,345.67")
        await expect(terms.get_by_text("记为 ¥12,345.67")).to_be_visible()
        await terms.get_by_test_id("term-manner").fill("银行转账至申请人账户")
        due = terms.get_by_test_id("term-due").locator("input")
        await due.fill("2026-12-31")
        await due.press("Enter")
        await editor.get_by_test_id("change-note").fill("写明租金数额和期限")
        await editor.get_by_test_id("save-version").click()
        await expect(med.get_by_test_id("agreement-version")).to_have_text("第 2 版")
        await expect(med.get_by_test_id("agreement-problems")).to_contain_text("内容检查通过，可以签署。")

        # The diff between v1 and v2, field by field.
        await med.get_by_role("tab", name="版本记录").click()
        await med.get_by_test_id("diff-show").click()
        diff = med.get_by_test_id("agreement-diff")
        await expect(diff).to_contain_text("主要事实")
        await expect(diff).to_contain_text("¥12,345.67")
        await med.screenshot(path=str(screenshots / "agreement-01-mediator-diff.png"), full_page=True)

        async with person(browser, live_app) as a:
            await sign_in_page(a, live_app, applicant.username)
            await a.goto(case_url)
            await expect(a.get_by_test_id("agreement-document")).to_contain_text("¥12,345.67")
            await expect(a.get_by_test_id("agreement-hash")).to_have_text(await med.get_by_test_id("agreement-hash").inner_text())
            await sign_in_dialog(a, live_app, mobile=applicant.mobile or "", button=f"sign-party-{applicant_party}")
            await expect(a.get_by_test_id("signature-valid")).to_have_count(1)
            await a.screenshot(path=str(screenshots / "agreement-02-party-signed.png"), full_page=True)

        async with person(browser, live_app) as b:
            await sign_in_page(b, live_app, respondent.username)
            await b.goto(case_url)
            await sign_in_dialog(b, live_app, mobile=respondent.mobile or "", button=f"sign-party-{respondent_party}")
            await expect(b.get_by_test_id("signature-valid")).to_have_count(2)

        # The mediator's open page saw both signatures arrive without a reload.
        await med.get_by_role("tab", name="协议全文").click()
        await expect(med.get_by_test_id("signature-valid")).to_have_count(2)
        await sign_in_dialog(med, live_app, mobile=mediator.mobile or "", button="sign-mediator")
        await expect(med.get_by_test_id("signature-valid")).to_have_count(3)

        async with person(browser, live_app) as adm:
            await sign_in_page(adm, live_app, admin.username)
            await adm.goto(case_url)
            await sign_in_dialog(adm, live_app, mobile=admin.mobile or "", button="sign-seal", draw=False)
            await expect(adm.get_by_test_id("agreement-status")).to_have_text("已生效")
            await expect(adm.get_by_test_id("agreement-effective-at")).to_contain_text("生效时间")
            await expect(adm.get_by_test_id("agreement-pdf-pending")).to_be_visible()

            # The worker renders, signs, stores and serves the PDF; the page then links it.
            await drain_until_empty(services, "e2e-worker")
            await expect(adm.get_by_test_id("agreement-pdf")).to_be_visible(timeout=20_000)
            code = await adm.get_by_test_id("agreement-code").inner_text()
            await adm.screenshot(path=str(screenshots / "agreement-03-effective.png"), full_page=True)

        await expect(med.get_by_test_id("agreement-status")).to_have_text("已生效")

    async with services.db.reader() as uow:
        agreement = (await uow.session.execute(
            select(Agreement).where(Agreement.case_id == case.id))).scalar_one()
        assert agreement.status == "effective" and agreement.pdf_document_id is not None
        document = await uow.session.get(CaseDocument, agreement.pdf_document_id)
        assert document is not None
        sha = document.blob_sha256
    signed_pdf = await services.storage.get_bytes(sha)

    async with person(browser, live_app) as visitor:
        # The printed code (or QR link) names the effective agreement and its stored PDF.
        await visitor.goto(f"/verify/{code}")
        await expect(visitor.get_by_test_id("verify-state")).to_contain_text("文书有效")
        await expect(visitor.get_by_test_id("verify-document")).to_contain_text("第 2 版")
        # The PDF itself is intact, sealed by the institution.
        await visitor.get_by_test_id("verify-mode-pdf").click()
        await visitor.get_by_test_id("verify-file").set_input_files(
            FilePayload(name="agreement.pdf", mimeType="application/pdf", buffer=signed_pdf))
        await visitor.get_by_test_id("verify-upload").click()
        await expect(visitor.get_by_test_id("verify-state")).to_contain_text("文件完整，签章有效")
        await visitor.screenshot(path=str(screenshots / "agreement-04-verified.png"), full_page=True)


async def test_an_edit_voids_earlier_signatures_and_a_stale_save_keeps_what_was_typed(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = 9500 + next(_serial)
    services = live_app.services
    inst = await institution_id(live_app, LEASING_CENTRE)
    applicant = await factories.make_user(services, username=f"agapp{n}", password=PASSWORD, real_name="陈立")
    respondent = await factories.make_user(services, username=f"agresp{n}", password=PASSWORD, real_name="王租户")
    mediator = await factories.make_user(services, "mediator", username=f"agmed{n}", password=PASSWORD,
                                         real_name="李调解", institution_id=inst)
    case = await factories.make_case(services, applicant=applicant, respondent=respondent, status="in_mediation",
                                     category="financial_leasing", institution_id=inst, mediator=mediator)
    agreement = await factories.make_agreement(services, case, author=mediator, status="signing")
    await factories.add_signature(services, agreement, role="party", signer=applicant,
                                  party_id=await party_id(live_app, case.id, applicant.id))
    case_url = f"/workspace/cases/{case.id}?tab=agreement"

    async with person(browser, live_app) as first, person(browser, live_app) as second:
        for page in (first, second):
            await sign_in_page(page, live_app, mediator.username)
            await page.goto(case_url)
            await expect(page.get_by_test_id("agreement-version")).to_have_text("第 1 版")
            await expect(page.get_by_test_id("signature-valid")).to_have_count(1)
            await page.get_by_role("tab", name="编辑协议内容").click()

        # The second tab starts typing on version 1 ...
        await second.get_by_test_id("field-facts").fill("第二个窗口写的事实。")
        # ... while the first saves version 2: the party's signature on version 1 is voided.
        await first.get_by_test_id("field-facts").fill("第一个窗口写的事实。")
        await first.get_by_test_id("save-version").click()
        await expect(first.get_by_test_id("agreement-version")).to_have_text("第 2 版")
        await expect(first.get_by_test_id("signature-voided")).to_have_count(1)
        await expect(first.get_by_test_id("signature-valid")).to_have_count(0)

        # The stale save is refused; keeping the typed text saves it on top of version 2.
        await second.get_by_test_id("save-version").click()
        stale = second.get_by_test_id("stale-dialog")
        await expect(stale).to_contain_text("当前已是第 2 版")
        await second.get_by_test_id("stale-keep").click()
        await expect(second.get_by_test_id("field-facts")).to_have_value("第二个窗口写的事实。")
        await second.get_by_test_id("save-version").click()
        await expect(second.get_by_test_id("agreement-version")).to_have_text("第 3 版")
        await expect(second.get_by_test_id("field-facts")).to_have_value("第二个窗口写的事实。")
        await second.screenshot(path=str(screenshots / "agreement-05-stale-kept.png"), full_page=True)

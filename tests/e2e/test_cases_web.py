"""The case screens in Debian's Chromium: file an application, review it, follow it, look it up.

Each test drives the real app (``live_app``) through the pages a person uses,
with one browser context per person, and asserts what they see. Rows the
test needs but no page makes (staff accounts, a party with a known ID number)
come from the shared factories; texts a person would read on their phone
(query password, invitation link) come from the outbox.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, FilePayload, Page, expect
from sqlalchemy import select

from odr.accounts.models import User
from odr.accounts.service import DOC_CONTEXT
from odr.audit.models import AuditEntry
from odr.cases.deadlines.service import open_deadline
from odr.cases.documents.service import add_document
from odr.cases.models import Case, CaseParty
from odr.cases.transitions import Who
from odr.eservice.service import serve_document
from odr.notify.messages import NOTIFY_KIND
from odr.orgs.models import Court, Institution
from odr.outbox.models import OutboxMessage
from tests import factories
from tests.cases.documents.support import pdf as real_pdf
from tests.cases.documents.support import pdf_pages_text
from tests.cases.messages.support import add_agent
from tests.e2e.conftest import BrowserPage, LiveApp, _is_expected_console_error
from tests.factories import login, make_user, resident_id

LEASING_CENTRE = "上海市融资租赁行业协会人民调解委员会"
PASSWORD = "Passw0rd!"
PDF = b"%PDF-1.4\n% loan contract\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
_serial = itertools.count(1)
# Two cores shared with other test runs: give slow renders time rather than fail.
expect.set_options(timeout=15_000)


def _unique() -> int:
    return 7000 + next(_serial)


@asynccontextmanager
async def person(browser: Browser, live_app: LiveApp, *, width: int = 1366) -> AsyncIterator[Page]:
    """One person's browser context; fails the test if the page logged an error."""
    context = await browser.new_context(
        base_url=live_app.base_url, viewport={"width": width, "height": 900}, locale="zh-CN",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    holder = BrowserPage(page=page)
    page.on("pageerror", lambda exc: holder.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: holder.errors.append(f"console.{msg.type}: {msg.text}")
        if msg.type == "error" and not _is_expected_console_error(msg) else None,
    )
    try:
        yield page
    finally:
        await context.close()
    assert holder.errors == [], "the page logged errors:\n" + "\n".join(holder.errors)


async def sign_in_page(page: Page, live_app: LiveApp, username: str, *, next_path: str | None = None) -> None:
    await page.goto(f"/login?next={next_path}" if next_path else "/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    if next_path is None:
        await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")


async def id_number_of(live_app: LiveApp, user: User) -> str:
    assert user.id_doc_number_enc is not None
    return live_app.services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT)


async def institution_id(live_app: LiveApp, name_zh: str) -> int:
    async with live_app.services.db.reader() as uow:
        found = (await uow.session.execute(
            select(Institution.id).where(Institution.name_zh == name_zh)
        )).scalar_one()
    return int(found)


async def texted(live_app: LiveApp, *, mobile: str, template: str) -> dict[str, Any]:
    """The context of the newest SMS of ``template`` to ``mobile`` (written with the change that caused it)."""
    async with live_app.services.db.reader() as uow:
        payloads = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == NOTIFY_KIND)
            .order_by(OutboxMessage.id.desc())
        )).scalars().all()
    for payload in payloads:
        if payload.get("recipient") == mobile and payload.get("template") == template:
            return dict(payload.get("context", {}))
    raise AssertionError(f"no {template} SMS was queued for {mobile}")


async def choose(page: Page, select_test_id: str, option: str) -> None:
    await page.get_by_test_id(select_test_id).click()
    await page.get_by_role("option", name=option, exact=True).click()


def respondent_doc(n: int) -> str:
    return resident_id(n * 13 + 5)


async def file_through_api(live_app: LiveApp, applicant: User, *, title: str, respondent: dict[str, str]) -> dict[str, Any]:
    """An application filed the way the wizard files it, for tests about what happens next."""
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        await login(api, applicant.username, PASSWORD)
        notice = (await api.get("/api/v1/notice")).json()
        body = {
            "title": title, "category": "financial_leasing", "claim_amount": "8000.00",
            "claims": "请求返还租金", "facts": "被申请人逾期未付租金。",
            "applicants": [{
                "kind": "person", "name": applicant.real_name, "id_doc_type": "resident_id",
                "id_doc_number": await id_number_of(live_app, applicant), "mobile": applicant.mobile,
                "address": "上海市黄浦区中山东一路1号", "legal_representative": None,
            }],
            "respondents": [respondent],
            "evidence_sha256s": [],
            "preferred_institution_id": await institution_id(live_app, LEASING_CENTRE),
            "notice_version": notice["version"], "consent_to_online_mediation": True,
        }
        answer = await api.post(
            "/api/v1/cases/applications", json=body, headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


async def test_party_files_through_the_wizard_admin_accepts_and_the_public_query_shows_progress_L1_L3(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    applicant = await make_user(live_app.services, username=f"applicant{n}", password=PASSWORD,
                                real_name="陈立", mobile=f"138{n:08d}")
    admin = await make_user(live_app.services, "institution_admin", username=f"admin{n}",
                            password=PASSWORD, institution_id=await institution_id(live_app, LEASING_CENTRE))
    title = f"融资租赁合同纠纷{n}"
    respondent_id = respondent_doc(n)

    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, applicant.username)
        await page.get_by_role("button", name="申请调解").click()
        await expect(page.get_by_role("heading", name="申请调解")).to_be_visible()
        await expect(page.get_by_text("第 1 步，共 6 步：纠纷信息")).to_be_visible()

        # Step 1: the dispute; the amount is checked as it is typed.
        await page.get_by_label("纠纷名称").fill(title)
        await choose(page, "category-select", "融资租赁")
        await page.get_by_label("标的金额（元）").fill("12.345")
        await expect(page.get_by_text("标的金额最多保留两位小数（分）")).to_be_visible()
        await page.get_by_label("标的金额（元）").fill("12,345.67")
        await expect(page.get_by_text("将记录为 ¥12,345.67")).to_be_visible()
        await page.get_by_role("button", name="下一步").click()

        # Step 2: the parties; a wrong check digit shows before anything is sent.
        await expect(page.get_by_text("第 2 步，共 6 步：当事人")).to_be_visible()
        me = page.get_by_test_id("party-applicants-0")
        await expect(me.get_by_label("姓名")).to_have_value("陈立")
        await me.get_by_label("证件号码").fill(await id_number_of(live_app, applicant))
        await expect(me.get_by_text("格式与校验位正确")).to_be_visible()
        await me.get_by_label("手机号码").fill(applicant.mobile or "")
        await me.get_by_label("住所地").fill("上海市黄浦区中山东一路1号")
        other = page.get_by_test_id("party-respondents-0")
        await other.get_by_label("姓名").fill("王租户")
        wrong = respondent_id[:17] + ("1" if respondent_id[17] != "1" else "2")
        await other.get_by_label("证件号码").fill(wrong)
        await expect(other.get_by_text("校验位不正确，请检查号码是否输错")).to_be_visible()
        await other.get_by_label("证件号码").fill(respondent_id)
        await expect(other.get_by_text("格式与校验位正确")).to_be_visible()
        await other.get_by_label("手机号码").fill(f"139{n:08d}")
        await other.get_by_label("住所地").fill("上海市浦东新区世纪大道100号")
        await page.get_by_role("button", name="下一步").click()

        # Step 3: claims and facts.
        await page.get_by_label("调解请求").fill("请求被申请人支付拖欠租金12345.67元。")
        await page.get_by_label("事实与理由").fill("双方签订融资租赁合同，被申请人自2025年起未按期支付租金。")
        await page.get_by_role("button", name="下一步").click()

        # Step 4: an institution that takes financial-leasing disputes.
        await expect(page.get_by_text(LEASING_CENTRE, exact=True)).to_be_visible()
        await expect(page.get_by_text("中证资本市场法律服务中心有限公司")).to_have_count(0)
        await page.get_by_text(LEASING_CENTRE, exact=True).click()
        await page.get_by_role("button", name="下一步").click()

        # Step 5: one evidence file, uploaded with a progress bar.
        await page.get_by_test_id("evidence-input").set_input_files(
            files=[{"name": "融资租赁合同.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await expect(page.get_by_test_id("evidence-item")).to_contain_text("融资租赁合同.pdf")
        await expect(page.get_by_test_id("evidence-item")).to_contain_text("已上传")
        await page.get_by_role("button", name="下一步").click()

        # Step 6: check, read the notice, consent (L1), submit — twice, as an impatient person would.
        summary = page.get_by_test_id("application-summary")
        await expect(summary).to_contain_text("¥12,345.67")
        await expect(summary).to_contain_text("王租户")
        await expect(summary).to_contain_text(LEASING_CENTRE)
        await expect(summary).to_contain_text("1 份")
        await expect(page.get_by_test_id("notice-text")).to_contain_text("在线调解平台告知书")
        await expect(page.get_by_test_id("apply-submit")).to_be_disabled()
        await page.get_by_test_id("notice-consent").click()
        await page.screenshot(path=str(screenshots / "cases-apply-confirm.png"), full_page=True)
        await page.get_by_test_id("apply-submit").dblclick()

        await expect(page).to_have_url(re.compile(rf"{live_app.base_url}/workspace/cases/\d+$"))
        await expect(page.get_by_test_id("case-title")).to_have_text(title)
        await expect(page.get_by_test_id("case-status").first).to_have_text("已提交")
        number = (await page.get_by_test_id("case-number").inner_text()).strip()
        assert number.startswith("SFLAMC-"), number
        case_url = page.url
        await page.get_by_role("tab", name="材料").click()
        evidence = page.get_by_test_id("documents-table").locator("tbody tr")
        await expect(evidence).to_have_count(1)
        await expect(evidence).to_contain_text("证据")
        await expect(evidence).to_contain_text("双方可见")

        # My cases: the one application, once, however many clicks it took.
        await page.get_by_role("menuitem", name="我的案件").click()
        rows = page.get_by_test_id("cases-table").locator("tbody tr", has_text=title)
        await expect(rows).to_have_count(1)
        await expect(rows).to_contain_text(number)
        await expect(rows).to_contain_text("已提交")
        await expect(rows).to_contain_text("¥12,345.67")

        # The institution's admin accepts it from the review queue.
        async with person(browser, live_app) as staff:
            await sign_in_page(staff, live_app, admin.username)
            await staff.get_by_role("menuitem", name="待审查案件").click()
            row = staff.get_by_test_id("review-queue").locator("tbody tr", has_text=number)
            await expect(row).to_contain_text("陈立")
            await expect(row).to_contain_text("王租户")
            await expect(row).to_contain_text("¥12,345.67")
            await expect(row).to_contain_text(LEASING_CENTRE)  # the institution the applicant chose
            await expect(row).to_contain_text("申请人选择")
            await staff.screenshot(path=str(screenshots / "cases-review-queue.png"), full_page=True)
            await row.get_by_role("button", name="受理").click()
            await expect(staff.get_by_text(f"已受理 {number}")).to_be_visible()
            await expect(staff.get_by_test_id("review-queue").locator("tbody tr", has_text=number)).to_have_count(0)

        # The party sees the change and the timeline.
        await page.goto(case_url)
        await expect(page.get_by_test_id("case-status").first).to_have_text("已指定调解组织")
        await expect(page.get_by_test_id("case-institution")).to_have_text(LEASING_CENTRE)
        next_deadline = page.get_by_test_id("next-deadline")
        await expect(next_deadline).to_contain_text("最后一日")
        await expect(next_deadline).to_contain_text(re.compile(r"剩余 \d+ 天"))
        await expect(page.get_by_test_id("case-parties")).to_contain_text("**************")
        await page.get_by_role("tab", name="期限").click()
        deadlines = page.get_by_test_id("deadlines-table")
        await expect(deadlines).to_contain_text("被申请人答复是否同意调解")
        await expect(deadlines).to_contain_text("L8")
        await page.get_by_role("tab", name="案件进程").click()
        timeline = page.get_by_test_id("case-timeline")
        await expect(timeline).to_contain_text("提交申请")
        await expect(timeline).to_contain_text("已受理")
        await page.screenshot(path=str(screenshots / "cases-detail-timeline.png"), full_page=True)

        # My cases now shows the new status and the next deadline with the days left.
        await page.get_by_role("link", name="返回案件列表").click()
        row = page.get_by_test_id("cases-table").locator("tbody tr", has_text=number)
        await expect(row).to_contain_text("已指定调解组织")
        await expect(row).to_contain_text(re.compile(r"剩余 \d+ 天"))
        await page.screenshot(path=str(screenshots / "cases-my-cases.png"), full_page=True)

    # Anyone with the case number and the texted query password sees progress, and only that (L3).
    password = (await texted(live_app, mobile=applicant.mobile or "", template="case_query_password"))["password"]
    async with person(browser, live_app, width=390) as public:
        await public.goto("/")
        await public.get_by_role("link", name="进度查询").click()
        await expect(public.get_by_role("heading", name="案件进度查询")).to_be_visible()
        await public.get_by_label("案号").fill(number)
        await public.get_by_label("查询密码").fill("WRONG-PASS")
        await public.get_by_role("button", name="查询").click()
        await expect(public.get_by_role("alert")).to_contain_text("案号或查询密码不正确。")
        await public.get_by_label("查询密码").fill(str(password))
        await public.get_by_role("button", name="查询").click()
        result = public.get_by_test_id("progress-result")
        await expect(result).to_contain_text(number)
        await expect(result).to_contain_text("已指定调解组织")
        await expect(result).to_contain_text(LEASING_CENTRE)
        await expect(result).not_to_contain_text("王租户")
        await expect(result).not_to_contain_text("12,345.67")
        await public.screenshot(path=str(screenshots / "cases-progress-phone.png"), full_page=True)


async def test_progress_query_says_when_to_try_again_after_repeated_wrong_passwords_L3(
    browser: Browser, live_app: LiveApp
) -> None:
    number = f"NOPE-2026-{_unique():05d}"
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        for _ in range(live_app.settings.login_max_failures_per_account):
            answer = await api.post("/api/v1/progress-query", json={"case_number": number, "password": "ABCD-EFGH"})
            assert answer.status_code == 404, answer.text
    async with person(browser, live_app) as page:
        await page.goto("/progress")
        await page.get_by_label("案号").fill(number)
        await page.get_by_label("查询密码").fill("ABCD-EFGH")
        await page.get_by_role("button", name="查询").click()
        await expect(page.get_by_role("alert")).to_contain_text("查询过于频繁，请在")
        await expect(page.get_by_role("alert")).to_contain_text("秒后再试")
        await expect(page.get_by_test_id("progress-result")).to_have_count(0)


async def test_rejected_application_shows_the_reason_and_is_fixed_and_resubmitted(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    applicant = await make_user(live_app.services, username=f"fixer{n}", password=PASSWORD, real_name="林修")
    admin = await make_user(live_app.services, "institution_admin", username=f"reviewer{n}",
                            password=PASSWORD, institution_id=await institution_id(live_app, LEASING_CENTRE))
    title = f"租金纠纷{n}"
    filed = await file_through_api(live_app, applicant, title=title, respondent={
        "kind": "organisation", "name": "某融资租赁有限公司", "id_doc_type": "uscc",
        "id_doc_number": "91350100M000100Y43", "mobile": f"137{n:08d}",
        "address": "上海市浦东新区", "legal_representative": "赵某",
    })

    async with person(browser, live_app) as staff:
        await sign_in_page(staff, live_app, admin.username)
        await staff.goto(f"/workspace/cases/{filed['id']}")
        await expect(staff.get_by_test_id("case-title")).to_have_text(title)
        await staff.get_by_test_id("case-actions").get_by_role("button", name="退回").click()
        dialog = staff.get_by_role("dialog")
        await dialog.get_by_role("button", name="退回").click()
        await expect(dialog.get_by_text("请填写理由")).to_be_visible()
        await dialog.get_by_label("退回理由（申请人可见）").fill("请补充租赁合同编号，并写明拖欠租金的期间。")
        await dialog.get_by_role("button", name="退回").click()
        await expect(staff.get_by_test_id("case-status").first).to_have_text("未受理")

    async with person(browser, live_app, width=390) as page:
        await sign_in_page(page, live_app, applicant.username)
        await page.goto(f"/workspace/cases/{filed['id']}")
        rejection = page.get_by_test_id("rejection")
        await expect(rejection).to_contain_text("请补充租赁合同编号，并写明拖欠租金的期间。")
        await rejection.get_by_role("link", name="修改申请后重新提交").click()
        await expect(page.get_by_role("heading", name="修改调解申请")).to_be_visible()
        await expect(page.get_by_label("纠纷名称")).to_have_value(title)
        await page.screenshot(path=str(screenshots / "cases-amend-phone.png"), full_page=True)
        await page.get_by_role("button", name="下一步").click()
        await page.get_by_role("button", name="下一步").click()
        await page.get_by_label("事实与理由").fill("租赁合同编号ZL-2025-001，被申请人自2025年3月至9月未付租金。")
        await page.get_by_role("button", name="下一步").click()
        await page.get_by_role("button", name="下一步").click()
        await page.get_by_role("button", name="修改并重新提交").click()
        await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases/{filed['id']}")
        await expect(page.get_by_test_id("case-status").first).to_have_text("已提交")
        await expect(page.get_by_test_id("rejection")).to_have_count(0)
        await expect(page.get_by_text("租赁合同编号ZL-2025-001")).to_be_visible()


async def test_respondent_opens_the_sms_link_signs_in_claims_and_agrees_to_mediate_L8(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    applicant = await make_user(live_app.services, username=f"claimant{n}", password=PASSWORD, real_name="周申")
    respondent = await make_user(live_app.services, username=f"answerer{n}", password=PASSWORD,
                                 real_name="吴应", mobile=f"136{n:08d}")
    admin = await make_user(live_app.services, "institution_admin", username=f"acceptor{n}",
                            password=PASSWORD, institution_id=await institution_id(live_app, LEASING_CENTRE))
    respondent_doc_number = await id_number_of(live_app, respondent)
    # Filed while the respondent's account is not yet linked: the invitation goes by SMS link.
    filed = await file_through_api(live_app, applicant, title=f"设备租赁纠纷{n}", respondent={
        "kind": "person", "name": "吴应", "id_doc_type": "resident_id",
        "id_doc_number": respondent_doc_number, "mobile": respondent.mobile or "",
        "address": "上海市静安区", "legal_representative": None,
    })
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        await login(api, admin.username, PASSWORD)
        accepted = await api.post(f"/api/v1/cases/{filed['id']}/review/accept")
        assert accepted.status_code == 200, accepted.text
    link = str((await texted(live_app, mobile=respondent.mobile or "", template="respondent_invitation"))["link"])
    path = link.removeprefix(live_app.base_url)
    assert path.startswith("/respond/")

    async with person(browser, live_app, width=390) as page:
        await page.goto(path)
        summary = page.get_by_test_id("invitation-summary")
        await expect(summary).to_contain_text(filed["number"])
        await expect(summary).to_contain_text("周申")
        await expect(summary).to_contain_text("¥8,000.00")
        await page.get_by_role("button", name="登录").click()
        await page.get_by_label("用户名").fill(respondent.username)
        await page.get_by_label("密码", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page).to_have_url(f"{live_app.base_url}{path}")
        await expect(page.get_by_text("您当前以 吴应 的账号登录")).to_be_visible()
        await page.get_by_test_id("claim").click()

        answer = page.get_by_test_id("respondent-answer")
        await expect(answer.get_by_test_id("notice-text")).to_contain_text("在线调解平台告知书")
        await answer.get_by_test_id("answer-submit").click()
        await expect(answer.get_by_text("请选择是否同意调解")).to_be_visible()
        await answer.get_by_text("同意调解", exact=True).click()
        await answer.get_by_test_id("answer-submit").click()
        await expect(answer.get_by_text("请先阅读告知书并勾选。")).to_be_visible()
        await answer.get_by_test_id("notice-consent").click()
        await page.screenshot(path=str(screenshots / "cases-respond-phone.png"), full_page=True)
        await answer.get_by_test_id("answer-submit").click()
        await expect(page.get_by_text("您已同意调解")).to_be_visible()
        await page.get_by_role("button", name="查看案件").click()
        await expect(page.get_by_test_id("case-title")).to_have_text(f"设备租赁纠纷{n}")
        await page.get_by_role("tab", name="同意与送达地址").click()
        consents = page.get_by_test_id("consents-table").locator("tbody tr", has_text="吴应")
        await expect(consents.first).to_contain_text("同意")

        # The respondent adds its own material, kept from the other side, with a progress bar.
        await page.get_by_role("tab", name="材料").click()
        upload = page.get_by_test_id("document-upload")
        await upload.get_by_test_id("document-file").set_input_files(
            files=[{"name": "答辩意见.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await expect(upload.get_by_label("材料名称")).to_have_value("答辩意见")
        await choose(page, "document-visibility", "仅本方可见")
        await expect(upload).to_contain_text("对方看不到")
        await upload.get_by_role("button", name="上传", exact=True).click()
        await expect(page.get_by_text("“答辩意见”已上传")).to_be_visible()
        row = page.get_by_test_id("documents-table").locator("tbody tr", has_text="答辩意见")
        await expect(row).to_contain_text("仅本方可见")

        # And writes to the institution; the thread waits for its answer.
        await page.get_by_role("tab", name="留言").click()
        await page.get_by_role("button", name="新留言").click()
        dialog = page.get_by_role("dialog", name="新留言")
        await expect(dialog.get_by_text("调解组织")).to_be_visible()
        await dialog.get_by_label("主题").fill("调解时间")
        await dialog.get_by_label("内容").fill("本人下周二至周四均可参加视频调解。")
        await dialog.get_by_role("button", name="发送").click()
        thread = page.get_by_test_id("case-messages")
        await expect(thread).to_contain_text("本人下周二至周四均可参加视频调解。")
        await expect(thread).to_contain_text("待答复")
        await page.screenshot(path=str(screenshots / "cases-messages-phone.png"), full_page=True)


async def test_mediator_pauses_extends_and_ends_an_entrusted_mediation_L13_L14(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    services = live_app.services
    centre = await institution_id(live_app, LEASING_CENTRE)
    async with services.db.reader() as uow:
        court = int((await uow.session.execute(select(Court.id).order_by(Court.id))).scalars().first() or 0)
    mediator = await make_user(services, "mediator", username=f"mediator{n}", password=PASSWORD,
                               real_name="郑调解", institution_id=centre)
    applicant = await make_user(services, password=None, real_name="钱甲")
    respondent = await make_user(services, password=None, real_name="孙乙")
    case = await factories.make_case(
        services, applicant=applicant, respondent=respondent, status="in_mediation",
        channel="entrusted", category="financial_leasing", institution_id=centre, court_id=court,
        mediator=mediator, procedure="ordinary", court_case_number=f"（2026）沪74民初{n}号",
        title=f"委托调解租赁纠纷{n}",
    )
    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None
        await open_deadline(uow, services, row, "mediation_period", 15, rule="L13")

    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, mediator.username)
        await page.goto(f"/workspace/cases/{case.id}")
        await expect(page.get_by_test_id("case-status").first).to_have_text("调解中")
        await expect(page.get_by_test_id("next-deadline")).to_contain_text("调解期限")
        await expect(page.get_by_text(f"（2026）沪74民初{n}号")).to_be_visible()
        actions = page.get_by_test_id("case-actions")

        # An appraisal stops the clock (L13), and it starts again.
        await actions.get_by_role("button", name="暂停调解期限（鉴定）").click()
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("鉴定事项说明").fill("租赁物价值评估")
        await dialog.get_by_role("button", name="提交").click()
        await expect(page.get_by_text("调解期限已暂停计算")).to_be_visible()
        await expect(page.get_by_test_id("next-deadline")).to_contain_text("暂停计算")
        await actions.get_by_role("button", name="恢复计算调解期限").click()
        await expect(page.get_by_text("调解期限已恢复计算")).to_be_visible()

        # An extension needs every party's agreement: proposed, it waits for them.
        await actions.get_by_role("button", name="申请延长调解期限").click()
        dialog = page.get_by_role("dialog", name="申请延长调解期限")
        await dialog.get_by_label("理由").fill("双方均希望继续协商还款方案")
        await dialog.get_by_role("button", name="提出").click()
        await expect(page.get_by_text("已提出延长申请，等待各方答复")).to_be_visible()
        await page.get_by_role("tab", name="期限").click()
        await expect(page.get_by_text("等待各方答复", exact=True)).to_be_visible()
        await expect(page.get_by_test_id("deadlines-table")).to_contain_text("暂停")

        # Ending on a recorded ground (L14): an entrusted case goes back to trial.
        await actions.get_by_role("button", name="终结调解").click()
        dialog = page.get_by_role("dialog", name="终结调解")
        await expect(dialog).to_contain_text("委托调解不成的，案件将退回法院继续审理。")
        await dialog.get_by_role("button", name="确认终结").click()
        await expect(dialog.get_by_text("此项为必填项").first).to_be_visible()
        await choose(page, "end-ground", "当事人拒绝继续调解")
        await dialog.get_by_label("调解不成的理由").fill("被申请人明确表示不再接受调解。")
        await page.screenshot(path=str(screenshots / "cases-end-mediation.png"), full_page=True)
        await dialog.get_by_role("button", name="确认终结").click()
        await expect(page.get_by_text("调解已终结，案件退回法院继续审理。")).to_be_visible()
        await expect(page.get_by_test_id("case-status").first).to_have_text("调解不成")
        await page.get_by_role("tab", name="概况").click()
        await expect(page.get_by_text("调解已终结：当事人拒绝继续调解")).to_be_visible()
        await expect(page.get_by_text("被申请人明确表示不再接受调解。")).to_be_visible()
        await page.screenshot(path=str(screenshots / "cases-overview-failed.png"), full_page=True)


async def test_judge_refers_an_entrusted_case_with_its_court_number(
    browser: Browser, live_app: LiveApp
) -> None:
    n = _unique()
    async with live_app.services.db.reader() as uow:
        court = int((await uow.session.execute(select(Court.id).order_by(Court.id))).scalars().first() or 0)
    judge = await make_user(live_app.services, "judge", username=f"judge{n}", password=PASSWORD,
                            real_name="冯法官", court_id=court)
    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, judge.username)
        await page.get_by_role("menuitem", name="委派 / 委托调解").click()
        await expect(page.get_by_role("heading", name="委派 / 委托调解")).to_be_visible()
        await page.get_by_text("委托调解（立案后）").click()
        await page.get_by_role("button", name="提交").click()
        await expect(page.get_by_role("alert").first).to_contain_text("请先更正标红的内容。")
        await page.get_by_label("法院案号").fill(f"（2026）沪74民初{n}号")
        await page.get_by_text("简易程序", exact=True).click()
        await page.get_by_label("纠纷名称").fill(f"融资租赁合同纠纷（委托）{n}")
        await choose(page, "category-select", "融资租赁")
        await page.get_by_label("标的金额（元）").fill("50000")
        await page.get_by_text(LEASING_CENTRE, exact=True).click()
        for side, name, doc, mobile in (
            ("applicants", "某租赁公司", "91110000600037341L", f"135{n:08d}"),
            ("respondents", "李承租", respondent_doc(n), f"134{n:08d}"),
        ):
            block = page.get_by_test_id(f"party-{side}-0")
            if doc.startswith("9"):
                await block.get_by_text("法人或其他组织").click()
                await block.get_by_label("法定代表人 / 负责人").fill("张经理")
                await block.get_by_label("单位名称").fill(name)
                await block.get_by_label("住所地 / 注册地").fill("上海市浦东新区")
            else:
                await block.get_by_label("姓名").fill(name)
                await block.get_by_label("住所地").fill("上海市徐汇区")
            await block.get_by_label("证件号码").fill(doc)
            await expect(block.get_by_text("格式与校验位正确")).to_be_visible()
            await block.get_by_label("手机号码").fill(mobile)
        await page.get_by_label("调解请求").fill("请求支付租金。")
        await page.get_by_label("事实与理由").fill("承租人逾期未付租金。")
        await page.get_by_role("button", name="提交").click()

        await expect(page).to_have_url(re.compile(rf"{live_app.base_url}/workspace/cases/\d+$"))
        await expect(page.get_by_test_id("case-title")).to_have_text(f"融资租赁合同纠纷（委托）{n}")
        await expect(page.get_by_text("委托调解").first).to_be_visible()
        await expect(page.get_by_text(f"（2026）沪74民初{n}号")).to_be_visible()
        await expect(page.get_by_text("简易程序", exact=True)).to_be_visible()
        await expect(page.get_by_test_id("case-parties")).to_contain_text("某租赁公司")

        # The same page in English.
        await page.get_by_text("English", exact=True).click()
        await expect(page.get_by_role("tab", name="Timeline")).to_be_visible()
        await expect(page.get_by_text("Entrusted by court (post-filing)").first).to_be_visible()
        await expect(page.get_by_text("Summary", exact=True)).to_be_visible()


async def test_party_authorizes_and_revokes_an_agent_and_adds_a_document_version(
    browser: Browser, live_app: LiveApp
) -> None:
    n = _unique()
    services = live_app.services
    centre = await institution_id(live_app, LEASING_CENTRE)
    applicant = await make_user(services, username=f"principal{n}", password=PASSWORD, real_name="何委托")
    agent = await make_user(services, "agent", username=f"lawyer{n}", password=None, real_name="许律师")
    case = await factories.make_case(
        services, applicant=applicant, status="institution_assigned", category="financial_leasing",
        institution_id=centre, title=f"代理测试纠纷{n}",
    )
    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, applicant.username)
        await page.goto(f"/workspace/cases/{case.id}?tab=agents")
        grant = page.get_by_test_id("grant-agent")
        await grant.get_by_label("代理人用户名").fill(agent.username)
        await grant.get_by_role("button", name="委托", exact=True).click()
        await expect(page.get_by_text("已委托代理人")).to_be_visible()
        row = page.get_by_test_id("agents-table").locator("tbody tr", has_text="许律师")
        await expect(row).to_contain_text("有效")
        await expect(row).to_contain_text("一般授权")

        await row.get_by_role("button", name="解除委托").click()
        dialog = page.get_by_role("dialog")
        await dialog.get_by_label("理由").fill("已自行处理")
        await dialog.get_by_role("button", name="解除委托").click()
        await expect(page.get_by_text("委托已解除")).to_be_visible()
        await expect(row).to_contain_text("已解除")
        await expect(row).to_contain_text("已自行处理")

        # A document is never overwritten: a new version sits beside the old one.
        await page.get_by_role("tab", name="材料").click()
        upload = page.get_by_test_id("document-upload")
        await upload.get_by_test_id("document-file").set_input_files(
            files=[{"name": "还款计划.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await upload.get_by_role("button", name="上传", exact=True).click()
        row = page.get_by_test_id("documents-table").locator("tbody tr", has_text="还款计划")
        await expect(row).to_contain_text("v1")
        await row.get_by_role("button", name="新版本").click()
        dialog = page.get_by_role("dialog", name="新版本")
        await expect(dialog).to_contain_text("为“还款计划”上传第 2 版，原版本保留。")
        await dialog.get_by_test_id("document-file").set_input_files(
            files=[{"name": "还款计划-修订.pdf", "mimeType": "application/pdf", "buffer": PDF + b"% v2\n"}]
        )
        await dialog.get_by_role("button", name="上传新版本").click()
        await expect(row).to_contain_text("v2")
        await row.get_by_role("button", name="历史版本").click()
        versions = page.get_by_role("dialog", name="“还款计划”的全部版本")
        await expect(versions.locator("tbody tr")).to_have_count(2)
        await expect(versions).to_contain_text("还款计划-修订.pdf")


# ---------------------------------------------------------------- service, file reading, threads


async def _mediated_case(live_app: LiveApp, n: int) -> tuple[Any, User, User, User]:
    """A case in mediation at the leasing centre: (case, mediator, applicant, respondent)."""
    services = live_app.services
    centre = await institution_id(live_app, LEASING_CENTRE)
    mediator = await make_user(services, "mediator", username=f"mediator{n}", password=PASSWORD,
                               real_name=f"周调解{n}", institution_id=centre)
    applicant = await make_user(services, username=f"applicant{n}", password=PASSWORD,
                                real_name=f"吴申请{n}")
    respondent = await make_user(services, username=f"respondent{n}", password=PASSWORD,
                                 real_name=f"郑被申{n}")
    case = await factories.make_case(
        services, applicant=applicant, respondent=respondent, status="in_mediation",
        category="financial_leasing", institution_id=centre, mediator=mediator,
        title=f"融资租赁纠纷{n}",
    )
    return case, mediator, applicant, respondent


def pdf_file(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


async def _add_pdf(live_app: LiveApp, case_id: int, title: str, filename: str) -> int:
    services = live_app.services
    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case_id)
        assert row is not None
        doc = await add_document(uow, services, row, title=title, kind="evidence",
                                 filename=filename, data=real_pdf(text=title))
        return int(doc.id)


async def test_mediator_serves_a_document_and_sees_the_record_and_receipt_L33_L34(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    case, mediator, applicant, _respondent = await _mediated_case(live_app, n)
    await _add_pdf(live_app, case.id, "调解通知书", "调解通知书.pdf")
    # The applicant confirms its service address (送达地址确认书, L33); the respondent has not.
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        await login(api, applicant.username, PASSWORD)
        confirmed = await api.post(f"/api/v1/cases/{case.id}/service-address",
                                   json={"decision": "agree", "inapp": True})
        assert confirmed.status_code in (200, 201), confirmed.text

    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, mediator.username)
        await page.goto(f"/workspace/cases/{case.id}?tab=service")
        panel = page.get_by_test_id("serve-panel")
        await expect(panel).to_contain_text("已同意电子送达")
        await expect(panel).to_contain_text("未同意电子送达")
        await choose(page, "serve-document", "调解通知书（调解通知书.pdf）")
        await panel.get_by_role("button", name="送达", exact=True).click()
        await expect(page.get_by_test_id("serve-result")).to_contain_text(f"吴申请{n}：已送达")
        records = page.get_by_test_id("service-records")
        row = records.locator("tbody tr", has_text="调解通知书")
        await expect(row).to_contain_text(f"吴申请{n}")
        await page.screenshot(path=str(screenshots / "cases-serve.png"), full_page=True)
        receipt = await row.get_by_role("link", name="送达回证").get_attribute("href")
        assert receipt is not None
        answer = await page.request.get(receipt)
        assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
        assert (await answer.body()).startswith(b"%PDF")


async def test_party_asks_for_a_paper_copy_of_a_served_ruling_and_staff_mark_it_sent_L35(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    case, _mediator, applicant, _respondent = await _mediated_case(live_app, n)
    services = live_app.services
    admin = await make_user(services, "institution_admin", username=f"centre{n}", password=PASSWORD,
                            real_name=f"秦管理{n}",
                            institution_id=await institution_id(live_app, LEASING_CENTRE))
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        await login(api, applicant.username, PASSWORD)
        confirmed = await api.post(f"/api/v1/cases/{case.id}/service-address",
                                   json={"decision": "agree", "inapp": True})
        assert confirmed.status_code in (200, 201), confirmed.text
    # A ruling served electronically on the applicant (the court's act, made here directly).
    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None
        ruling = await add_document(uow, services, row, title="民事裁定书", kind="ruling",
                                    filename="民事裁定书.pdf", data=real_pdf(text="ruling"))
        party_id = (await uow.session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case.id, CaseParty.user_id == applicant.id)
        )).scalar_one()
        await serve_document(uow, services, row, ruling, [party_id], Who.system())
    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, applicant.username)
        await page.goto(f"/workspace/cases/{case.id}?tab=service")
        records = page.get_by_test_id("service-records")
        served = records.locator("tbody tr", has_text="民事裁定书").first
        await served.get_by_role("button", name="申请纸质文书").click()
        dialog = page.get_by_role("dialog", name="申请“民事裁定书”的纸质文书")
        await dialog.get_by_test_id("paper-address").fill("沪")
        await dialog.get_by_role("button", name="提交申请").click()
        await expect(dialog).to_contain_text("请填写完整的邮寄地址")
        await dialog.get_by_test_id("paper-address").fill(f"上海市黄浦区中山南一路{n}号 吴申请{n}")
        await dialog.get_by_role("button", name="提交申请").click()
        copies = page.get_by_test_id("paper-copies")
        mine = copies.locator("tbody tr", has_text="民事裁定书")
        await expect(mine).to_contain_text("已申请")
        await expect(mine).to_contain_text(f"中山南一路{n}号")
        await expect(copies.get_by_role("button", name="标记已寄出")).to_have_count(0)
    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, admin.username)
        await page.goto(f"/workspace/cases/{case.id}?tab=service")
        copies = page.get_by_test_id("paper-copies")
        request_row = copies.locator("tbody tr", has_text="民事裁定书")
        await request_row.get_by_role("button", name="标记已寄出").click()
        dialog = page.get_by_role("dialog", name="“民事裁定书”纸质文书已寄出")
        await dialog.get_by_test_id("paper-sent-note").fill(f"SF{n}")
        await dialog.get_by_role("button", name="标记已寄出").click()
        await expect(request_row).to_contain_text("已寄出")
        await expect(request_row).to_contain_text(f"SF{n}")
        await page.screenshot(path=str(screenshots / "cases-paper-copy.png"), full_page=True)
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        await login(api, applicant.username, PASSWORD)
        listed = (await api.get(f"/api/v1/cases/{case.id}/paper-copy-requests")).json()["items"]
        assert [(r["status"], r["note"]) for r in listed] == [("sent", f"SF{n}")]


async def test_agent_reads_the_file_online_after_the_mediator_approves_and_sees_a_refusal_reason(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    services = live_app.services
    case, mediator, applicant, _respondent = await _mediated_case(live_app, n)
    agent = await make_user(services, "agent", username=f"reader{n}", password=PASSWORD,
                            real_name=f"许律师{n}")
    await add_agent(services, case.id, applicant, agent, scopes=("read_file",))
    await _add_pdf(live_app, case.id, "租赁合同", "租赁合同.pdf")

    async with person(browser, live_app) as lawyer, person(browser, live_app) as staff:
        await sign_in_page(lawyer, live_app, agent.username)
        await lawyer.goto(f"/workspace/cases/{case.id}")
        await lawyer.get_by_role("tab", name="网上阅卷").click()
        await lawyer.get_by_test_id("reading-reason").fill("核对租赁合同原件")
        await lawyer.get_by_test_id("reading-apply").click()
        await expect(lawyer.get_by_text("阅卷申请已提交")).to_be_visible()
        await expect(lawyer.get_by_test_id("reading-requests")).to_contain_text("待审批")

        # The mediator refuses with a reason the lawyer reads.
        await sign_in_page(staff, live_app, mediator.username)
        await staff.goto(f"/workspace/cases/{case.id}")
        await staff.get_by_role("tab", name="网上阅卷").click()
        await staff.get_by_test_id("reading-refuse").click()
        box = staff.get_by_role("dialog")
        await box.locator("input").fill("请先提交授权委托书原件")
        await box.get_by_role("button", name="不予准许").click()
        await expect(staff.get_by_text("已不予准许")).to_be_visible()
        await lawyer.reload()
        await lawyer.get_by_role("tab", name="网上阅卷").click()
        await expect(lawyer.get_by_test_id("reading-decision-reason")).to_have_text("请先提交授权委托书原件")

        # Applied again, approved: the lawyer opens the file, watermarked with its name.
        await lawyer.get_by_test_id("reading-reason").fill("已补交委托书，申请阅卷")
        await lawyer.get_by_test_id("reading-apply").click()
        await expect(lawyer.get_by_test_id("reading-requests")).to_contain_text("待审批")
        await staff.reload()
        await staff.get_by_role("tab", name="网上阅卷").click()
        await staff.get_by_test_id("reading-approve").click()
        await expect(staff.get_by_text("已准许阅卷")).to_be_visible()
        await lawyer.reload()  # the address keeps the tab (?tab=reading)
        opened = lawyer.get_by_test_id("reading-open")
        await expect(opened).to_have_text("租赁合同（租赁合同.pdf）")
        await lawyer.screenshot(path=str(screenshots / "cases-file-reading.png"), full_page=True)
        href = await opened.get_attribute("href")
        assert href is not None
        shown = await lawyer.request.get(href)
        assert shown.status == 200 and shown.headers["content-type"] == "application/pdf"
        assert "inline" in shown.headers["content-disposition"]
        assert any(f"许律师{n}" in text for text in pdf_pages_text(await shown.body()))
    async with services.db.reader() as uow:
        reads = (await uow.session.execute(select(AuditEntry.data).where(
            AuditEntry.action == "case.file_read"))).scalars().all()
    assert any(f"许律师{n}" in d["watermark"] for d in reads)


async def test_mediator_and_party_exchange_messages_with_files(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    case, mediator, applicant, respondent = await _mediated_case(live_app, n)
    async with person(browser, live_app) as staff, person(browser, live_app) as party, \
            person(browser, live_app) as other:
        # The mediator writes to the applicant, with a file.
        await sign_in_page(staff, live_app, mediator.username)
        await staff.goto(f"/workspace/cases/{case.id}?tab=messages")
        await staff.get_by_test_id("new-thread").click()
        dialog = staff.get_by_role("dialog", name="给当事人留言")
        await choose(staff, "thread-party", f"吴申请{n}（申请人方）")
        await dialog.get_by_test_id("thread-subject").fill("补充材料通知")
        await dialog.get_by_test_id("thread-body").fill("请按附件清单补充材料。")
        await dialog.get_by_test_id("new-thread-attachment").set_input_files(
            files=[pdf_file("补充材料清单.pdf", PDF)])
        await expect(dialog.get_by_test_id("attachment-chosen")).to_contain_text("补充材料清单.pdf")
        await dialog.get_by_test_id("thread-send").click()
        await expect(staff.get_by_test_id("message-attachment")).to_contain_text("补充材料清单.pdf")

        # The applicant reads it, downloads the file and answers with one of its own.
        await sign_in_page(party, live_app, applicant.username)
        await party.goto(f"/workspace/cases/{case.id}?tab=messages")
        await party.get_by_role("button", name=re.compile("补充材料通知")).click()
        link = party.get_by_test_id("message-attachment").get_by_role("link", name="补充材料清单.pdf")
        href = await link.get_attribute("href")
        assert href is not None
        got = await party.request.get(href)
        assert got.status == 200 and await got.body() == PDF
        await party.get_by_test_id("reply-body").fill("已补充，请查收。")
        await party.get_by_test_id("reply-attachment").set_input_files(
            files=[pdf_file("租金流水.pdf", PDF + b"% 2\n")])
        await expect(party.get_by_test_id("attachment-chosen")).to_contain_text("租金流水.pdf")
        await party.get_by_test_id("reply-send").click()
        await expect(party.get_by_test_id("message-attachment")).to_have_count(2)
        await party.screenshot(path=str(screenshots / "cases-thread-files.png"), full_page=True)

        await staff.reload()
        await staff.get_by_role("button", name=re.compile("补充材料通知")).click()
        await expect(staff.get_by_test_id("message-attachment").nth(1)).to_contain_text("租金流水.pdf")

        # The other side sees neither the thread nor its files (L11).
        await sign_in_page(other, live_app, respondent.username)
        await other.goto(f"/workspace/cases/{case.id}?tab=messages")
        await expect(other.get_by_text("暂无留言")).to_be_visible()
        assert (await other.request.get(href)).status == 404


async def test_my_cases_show_the_next_deadline_and_the_case_page_marks_me(
    browser: Browser, live_app: LiveApp
) -> None:
    n = _unique()
    services = live_app.services
    case, _mediator, applicant, _respondent = await _mediated_case(live_app, n)
    async with services.db.uow() as uow:
        row = await uow.session.get(Case, case.id)
        assert row is not None
        await open_deadline(uow, services, row, "mediation_period", 30, rule="L13")
    async with person(browser, live_app) as page:
        await sign_in_page(page, live_app, applicant.username)
        listed = page.get_by_test_id("cases-table").locator("tbody tr", has_text=f"融资租赁纠纷{n}")
        await expect(listed).to_contain_text("调解期限")
        await expect(listed.get_by_test_id("deadline-badge")).to_contain_text("天")
        await listed.get_by_text(f"融资租赁纠纷{n}").click()
        parties = page.get_by_test_id("case-parties")
        mine = parties.locator("tr", has_text=f"吴申请{n}")
        await expect(mine.get_by_test_id("party-you")).to_have_text("本人")
        await expect(parties.locator("tr", has_text=f"郑被申{n}").get_by_test_id("party-you")).to_have_count(0)

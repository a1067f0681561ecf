"""The roster, mediator and assignment screens in Debian's Chromium (issue 4 on the web page).

Each test drives the real app (``live_app``) through the pages a person uses,
one browser context per person. Rows no page makes (staff and mediator
accounts, a case that reached its institution) come from the shared factories
and the mediators test helpers, written to the live app's database; the
reassignment a Celery worker would do after a decline is drained here the
same way (``tests.mediators.support.drain``). Each test uses its own
institution so their queues and batches never meet.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from mediators import answers, profiles, selection
from mediators.models import Assignment
from odr.accounts.models import User
from odr.cases.models import Case
from odr.orgs.models import Institution
from tests.e2e.conftest import LiveApp, person
from tests.factories import make_user, seeded_orgs
from tests.mediators.support import Org, actor_of, case_waiting, drain

PASSWORD = "Passw0rd!"
_serial = itertools.count(1)
expect.set_options(timeout=15_000)  # two cores shared with other runs


def _unique() -> int:
    return 8000 + next(_serial)




async def sign_in(page: Page, live_app: LiveApp, user: User) -> None:
    await page.goto("/login")
    await page.get_by_label("用户名").fill(user.username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")


async def pick(page: Page, test_id: str, option: str) -> None:
    await page.get_by_test_id(test_id).click()
    await page.get_by_role("option", name=option).click()


async def institution(live_app: LiveApp, code: str) -> Institution:
    async with live_app.services.db.reader() as uow:
        return (await uow.session.execute(
            select(Institution).where(Institution.code == code))).scalar_one()


async def org_of(live_app: LiveApp, code: str, n: int) -> Org:
    """The institution ``code`` with an admin who can sign in."""
    courts, insts = await seeded_orgs(live_app.services)
    inst = await institution(live_app, code)
    admin = await make_user(live_app.services, "institution_admin", username=f"medadmin{n}",
                            password=PASSWORD, institution_id=inst.id, real_name=f"管理员{n}")
    return Org(courts, insts, admin, actor_of(admin, institutions=[inst.id]), inst.id)


async def mediator(live_app: LiveApp, o: Org, username: str, name: str, specialties: list[str],
                   *, title: str = "调解员", capacity: int = 5) -> User:
    """A mediator account on the institution's roster (published by its admin)."""
    user = await make_user(live_app.services, "mediator", username=username, password=PASSWORD,
                           institution_id=o.institution_id, real_name=name)
    await profiles.create_profile(live_app.services, o.admin_actor, o.institution_id, {
        "user_id": user.id, "title": title, "bio_zh": f"{name}的简介", "bio_en": "",
        "specialties": specialties, "languages": ["zh", "en"], "max_concurrent_cases": capacity,
    })
    return user


async def case_row(live_app: LiveApp, case_id: int) -> Case:
    async with live_app.services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def test_the_public_roster_shows_the_nine_institutions_and_their_mediators_L4(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    o = await org_of(live_app, "CSLSC", n)
    await mediator(live_app, o, f"rostermed{n}", f"罗律师{n}", ["securities", "capital_market"],
                   title="高级调解员")

    async with person(browser, live_app) as page:
        await page.goto("/")
        await page.get_by_test_id("roster-link").click()
        await expect(page).to_have_url(f"{live_app.base_url}/roster")
        await expect(page.get_by_role("heading", name="特邀调解组织与调解员名册")).to_be_visible()
        cards = page.get_by_test_id("roster-institution")
        await expect(cards).to_have_count(9)
        await expect(page.get_by_test_id("roster-count")).to_contain_text("共 9 家调解组织")

        leasing = cards.filter(has_text="上海市融资租赁行业协会人民调解委员会")
        await expect(leasing.get_by_test_id("institution-kind")).to_have_text("人民调解委员会")
        await expect(leasing.get_by_test_id("institution-fees")).to_have_text("免费调解")
        await expect(leasing.get_by_test_id("institution-district")).to_contain_text("浦东新区")
        await expect(leasing).to_contain_text("融资租赁")
        capital = cards.filter(has_text="上海市资本市场人民调解委员会")
        await expect(capital.get_by_test_id("institution-court")).to_have_text("上海金融法院")
        securities = cards.filter(has_text="中证资本市场法律服务中心有限公司")
        await expect(securities.get_by_test_id("institution-kind")).to_have_text("商事调解组织")
        await expect(securities.get_by_test_id("institution-fees")).to_have_text("按规定收费")

        # The mediator's public fields only: name, title, specialties, languages, no load or contact.
        me = securities.get_by_test_id("roster-mediator").filter(has_text=f"罗律师{n}")
        await expect(me).to_contain_text("高级调解员")
        await expect(me).to_contain_text("证券")
        await expect(me).to_contain_text("资本市场")
        await expect(me).to_contain_text("普通话、英语")
        await expect(me).not_to_contain_text("/ 5")
        await page.screenshot(path=str(screenshots / "mediators-roster.png"), full_page=True)

        # Filtering by category keeps only the institutions that take it.
        await pick(page, "roster-category", "融资租赁")
        await expect(cards).to_have_count(3)  # SCMC, SFLAMC, PDFDMC
        await expect(cards.filter(has_text="中证资本市场法律服务中心有限公司")).to_have_count(0)


async def test_admin_runs_the_batch_sees_the_queue_reason_overrides_with_a_reason_and_designates(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    o = await org_of(live_app, "SCMPMC", n)
    only = await mediator(live_app, o, f"capmed{n}", f"曹调解{n}", ["securities"])
    stuck = await case_waiting(live_app.services, o, category="capital_market")
    stuck_number = (await case_row(live_app, stuck)).number

    async with person(browser, live_app) as page:
        await sign_in(page, live_app, o.admin)
        await page.get_by_role("menuitem", name="待指派队列").click()
        await expect(page.get_by_role("heading", name="待指派队列与批量指派")).to_be_visible()

        # The day's batch: no mediator takes capital-market disputes, so the case is queued.
        await page.get_by_role("button", name="运行批量指派").click()
        await expect(page.get_by_test_id("batch-report")).to_contain_text("共 1 件案件：可指派 0 件，进入队列 1 件")
        row = page.get_by_test_id("queue-table").locator("tr", has_text=stuck_number)
        await expect(row.get_by_test_id("queue-reason")).to_contain_text("没有符合条件的调解员")
        await expect(row.get_by_test_id("queue-reason")).to_contain_text("纠纷类型不在其专长内")
        await page.screenshot(path=str(screenshots / "mediators-queue.png"), full_page=True)

        # Override to the mediator anyway (specialty may be set aside), with a reason.
        await row.get_by_role("button", name="处理").click()
        tab = page.get_by_test_id("case-mediator-tab")
        await expect(tab.get_by_test_id("why-none")).to_be_visible()
        override = tab.get_by_test_id("override")
        await override.get_by_role("button", name="改派").click()
        await expect(override.get_by_text("请选择调解员")).to_be_visible()
        await pick(page, "override-mediator", f"曹调解{n}")
        await override.get_by_role("button", name="改派").click()
        await expect(override.get_by_text("请填写改派理由")).to_be_visible()
        await override.get_by_label("改派理由").fill("证券与资本市场纠纷相近，由其承办")
        await override.get_by_role("button", name="改派").click()
        await expect(page.get_by_text("已改派调解员")).to_be_visible()
        await expect(tab.get_by_test_id("current-mediator")).to_contain_text(f"曹调解{n}")
        explanation = tab.get_by_test_id("assignment-explanation")
        await expect(explanation.get_by_test_id("explanation-rule")).to_have_text("调解组织管理员改派")
        await expect(explanation.get_by_test_id("explanation-override")).to_have_text("证券与资本市场纠纷相近，由其承办")
        await expect(explanation).to_contain_text("第 1 名，共 1 名符合条件")  # specialty set aside
        await expect(explanation.get_by_test_id("score-parts")).to_contain_text("当前负荷")
        await page.screenshot(path=str(screenshots / "mediators-override.png"), full_page=True)

        # The queue is empty again.
        await page.get_by_role("menuitem", name="待指派队列").click()
        await expect(page.get_by_test_id("queue-table")).to_contain_text("队列为空")

        # A securities case: the engine proposes the mediator; the admin designates with a note.
        fits = await case_waiting(live_app.services, o, category="securities")
        await page.goto(f"/workspace/cases/{fits}?tab=mediator")
        tab = page.get_by_test_id("case-mediator-tab")
        candidates = tab.get_by_test_id("candidates")
        await expect(candidates).to_contain_text(f"曹调解{n}")
        await candidates.get_by_role("button", name="指定").click()
        dialog = page.get_by_role("dialog", name="指定调解员")
        await dialog.get_by_label("备注（选填）").fill("当事人希望尽快安排")
        await dialog.get_by_role("button", name="指定").click()
        await expect(page.get_by_text(f"已指定调解员：曹调解{n}")).to_be_visible()
        explanation = tab.get_by_test_id("assignment-explanation")
        await expect(explanation.get_by_test_id("explanation-rule")).to_have_text("工作人员指定")
        await expect(explanation).to_contain_text("第 1 名，共 1 名符合条件")
        await expect(explanation.get_by_test_id("score-parts")).to_contain_text("专长匹配")
        await expect(tab.get_by_test_id("assignment-history")).to_contain_text("当事人希望尽快安排")

    async with live_app.services.db.reader() as uow:
        found = (await uow.session.execute(
            select(Assignment.case_id, Assignment.method, Assignment.reason)
            .where(Assignment.mediator_id == only.id).order_by(Assignment.id))).all()
    assert [tuple(r) for r in found] == [(stuck, "override", "证券与资本市场纠纷相近，由其承办"),
                                         (fits, "designated", "当事人希望尽快安排")]


async def test_mediator_declines_with_a_reason_and_the_case_goes_to_another_who_accepts_L6(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    o = await org_of(live_app, "HKJPMC", n)
    first = await mediator(live_app, o, f"firstmed{n}", f"甲调解{n}", ["general_civil"])
    second = await mediator(live_app, o, f"secondmed{n}", f"乙调解{n}", ["general_civil"])
    case_id = await case_waiting(live_app.services, o, category="general_civil")
    number = (await case_row(live_app, case_id)).number
    await selection.designate(live_app.services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)

    async with person(browser, live_app) as page:
        await sign_in(page, live_app, first)
        await page.get_by_role("menuitem", name="待答复指派").click()
        card = page.get_by_test_id("pending-assignment").filter(has_text=number)
        await expect(card.get_by_test_id("respond-by")).to_contain_text(re.compile(r"调解员应在 \d{4}-\d{2}-\d{2}（含）前答复"))
        await page.screenshot(path=str(screenshots / "mediators-pending.png"), full_page=True)
        await card.get_by_role("button", name="拒绝指派").click()
        dialog = page.get_by_role("dialog", name="拒绝指派")
        await dialog.get_by_role("button", name="拒绝指派").click()
        await expect(dialog.get_by_text("请填写理由")).to_be_visible()
        await dialog.get_by_label("理由").fill("本人与申请人曾有业务往来，不宜承办")
        await dialog.get_by_role("button", name="拒绝指派").click()
        await expect(page.get_by_text("已拒绝指派，案件将改派其他调解员")).to_be_visible()
        await expect(page.get_by_test_id("pending-assignment")).to_have_count(0)
        history = page.get_by_test_id("assignment-list").locator("tr", has_text=number)
        await expect(history).to_contain_text("已拒绝")
        await expect(history).to_contain_text("本人与申请人曾有业务往来，不宜承办")

    await drain(live_app.services)  # the worker reassigns: never to the same mediator
    assert (await case_row(live_app, case_id)).mediator_id == second.id

    async with person(browser, live_app) as page:
        await sign_in(page, live_app, second)
        await page.get_by_role("menuitem", name="待答复指派").click()
        card = page.get_by_test_id("pending-assignment").filter(has_text=number)
        await expect(card).to_contain_text("自动重新指派")
        await card.get_by_role("button", name="接受指派").click()
        await expect(page.get_by_text("您已接受指派，调解期限开始计算")).to_be_visible()
        await expect(page.get_by_test_id("assignment-list").locator("tr", has_text=number)).to_contain_text("已接受")

        # Its own hours: Monday to Friday mornings, saved and shown again after a reload.
        await page.get_by_role("tab", name="我的时间与冲突声明").click()
        hours = page.get_by_test_id("hours-editor")
        await hours.get_by_role("button", name="添加时段").click()
        await hours.get_by_label("结束时间").fill("12:00")
        await hours.get_by_role("button", name="保存时间").click()
        await expect(page.get_by_text("每周时间已保存")).to_be_visible()
        conflicts = page.get_by_test_id("conflict-editor")
        await conflicts.get_by_label("姓名或单位名称").fill("上海某某投资有限公司")
        await conflicts.locator("label.el-radio", has_text="单位").click()
        await conflicts.get_by_role("button", name="声明冲突").click()
        await expect(page.get_by_text("利益冲突已声明")).to_be_visible()
        await page.reload()
        await page.get_by_role("tab", name="我的时间与冲突声明").click()
        await expect(page.get_by_test_id("hours-row")).to_have_count(1)
        await expect(page.get_by_test_id("hours-row").get_by_label("结束时间")).to_have_value("12:00")
        await expect(page.get_by_test_id("conflict-editor")).to_contain_text("上海某某投资有限公司")

    case = await case_row(live_app, case_id)
    assert (case.mediator_id, case.status) == (second.id, "in_mediation")


async def test_parties_choose_the_mediator_together_within_the_window_L5(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    o = await org_of(live_app, "SFICMC", n)
    chosen = await mediator(live_app, o, f"choicemed{n}", f"丙调解{n}", ["private_enterprise"])
    applicant = await make_user(live_app.services, username=f"choosera{n}", password=PASSWORD,
                                real_name=f"申请人{n}")
    respondent = await make_user(live_app.services, username=f"chooserb{n}", password=PASSWORD,
                                 real_name=f"被申请人{n}")
    case_id = await case_waiting(live_app.services, o, applicant=applicant, respondent=respondent,
                                 category="private_enterprise", online=True)

    for who, done in ((applicant, False), (respondent, True)):
        async with person(browser, live_app) as page:
            await sign_in(page, live_app, who)
            await page.goto(f"/workspace/cases/{case_id}?tab=mediator")
            choice = page.get_by_test_id("joint-choice")
            await expect(choice.get_by_test_id("choice-deadline")).to_contain_text(
                re.compile(r"各方当事人可在 \d{4}-\d{2}-\d{2}（含）前"))
            await choice.get_by_role("button", name="提交我的选择").click()
            await expect(choice.get_by_text("请选择调解组织和调解员")).to_be_visible()
            await pick(page, "choice-institution", "上海市工商业联合会民商事调解委员会")
            await pick(page, "choice-mediator", f"丙调解{n}")
            await choice.get_by_role("button", name="提交我的选择").click()
            await expect(page.get_by_text("您的选择已提交")).to_be_visible()
            tab = page.get_by_test_id("case-mediator-tab")
            if not done:
                await expect(tab.get_by_test_id("choices")).to_contain_text(f"申请人{n}（申请人）选择了")
                await expect(tab.get_by_test_id("current-mediator")).to_have_text("尚未确定调解员")
            else:
                await expect(tab.get_by_test_id("current-mediator")).to_contain_text(f"丙调解{n}")
                await expect(tab.get_by_test_id("current-mediator")).to_contain_text("当事人共同选定")
                await expect(tab.get_by_test_id("acceptance-deadline")).to_be_visible()
                await page.screenshot(path=str(screenshots / "mediators-joint-choice.png"), full_page=True)

    case = await case_row(live_app, case_id)
    assert (case.mediator_id, case.status) == (chosen.id, "mediator_assigned")


async def test_mediator_discloses_a_conflict_a_party_refuses_and_another_mediator_takes_over_L7(
    browser: Browser, live_app: LiveApp, screenshots: Path
) -> None:
    n = _unique()
    o = await org_of(live_app, "PDFDMC", n)
    first = await mediator(live_app, o, f"disclosemed{n}", f"丁调解{n}", ["insurance"])
    second = await mediator(live_app, o, f"nextmed{n}", f"戊调解{n}", ["insurance"])
    applicant = await make_user(live_app.services, username=f"disclosea{n}", password=PASSWORD,
                                real_name=f"投保人{n}")
    respondent = await make_user(live_app.services, password=None)
    case_id = await case_waiting(live_app.services, o, applicant=applicant, respondent=respondent,
                                 category="insurance")
    await selection.designate(live_app.services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.accept(live_app.services, actor_of(first), case_id)
    statement = "本人曾在被申请人保险公司任职，至2020年离职"

    async with person(browser, live_app) as page:
        await sign_in(page, live_app, first)
        await page.goto(f"/workspace/cases/{case_id}?tab=mediator")
        await page.get_by_test_id("mediator-actions").get_by_role("button", name="披露利益冲突").click()
        dialog = page.get_by_role("dialog", name="披露可能的利益冲突")
        await dialog.get_by_label("披露内容").fill(statement)
        await dialog.get_by_role("button", name="提交").click()
        await expect(page.get_by_text("已披露，等待当事人答复")).to_be_visible()
        await expect(page.get_by_test_id("disclosure")).to_contain_text("等待各方答复")

    async with person(browser, live_app) as page:
        await sign_in(page, live_app, applicant)
        await page.goto(f"/workspace/cases/{case_id}?tab=mediator")
        card = page.get_by_test_id("disclosure")
        await expect(card).to_contain_text(statement)
        await page.screenshot(path=str(screenshots / "mediators-disclosure.png"), full_page=True)
        await card.get_by_role("button", name="不同意，更换调解员").click()
        dialog = page.get_by_role("dialog", name="不同意，更换调解员")
        await dialog.get_by_label("理由").fill("担心调解员不能保持中立")
        await dialog.get_by_role("button", name="提交").click()
        await expect(page.get_by_text("已答复：不同意，将更换调解员")).to_be_visible()
        await expect(card).to_contain_text("已更换调解员")
        await expect(card).to_contain_text(f"投保人{n}：不同意（担心调解员不能保持中立）")

        await drain(live_app.services)  # the worker assigns another mediator, never the same
        await page.reload()
        tab = page.get_by_test_id("case-mediator-tab")
        await expect(tab.get_by_test_id("current-mediator")).to_contain_text(f"戊调解{n}")
        # The new mediator replaces one at the party's request: refusing it ends the mediation.
        await expect(tab.get_by_test_id("replacement").get_by_role("button", name="不接受更换后的调解员")).to_be_visible()
        await expect(tab.get_by_test_id("assignment-history")).to_contain_text("已更换")

    assert (await case_row(live_app, case_id)).mediator_id == second.id


async def test_admin_opens_a_mediator_account_and_the_mediator_sets_its_password_and_signs_in(
    browser: Browser, live_app: LiveApp
) -> None:
    from tests.e2e.support import latest_code
    from tests.factories import resident_id

    n = _unique()
    o = await org_of(live_app, "HKJPMC", n)
    mobile = f"137{n:08d}"
    async with person(browser, live_app) as page:
        await sign_in(page, live_app, o.admin)
        await page.goto("/workspace/institution/mediators")
        await page.get_by_test_id("add-mediator").click()
        dialog = page.get_by_role("dialog", name="开通调解员账号")
        await dialog.get_by_test_id("new-mediator-username").fill(f"newmed{n}")
        await dialog.get_by_test_id("new-mediator-name").fill(f"冯调解{n}")
        await dialog.get_by_test_id("new-mediator-id").fill("110101199001011234")  # bad check digit
        await dialog.get_by_test_id("new-mediator-mobile").fill(mobile)
        await expect(dialog).to_contain_text("校验")
        await dialog.get_by_test_id("new-mediator-id").fill(resident_id(n))
        await dialog.get_by_test_id("new-mediator-specialties").get_by_text("一般民事").click()
        await dialog.get_by_test_id("new-mediator-submit").click()
        await expect(dialog).to_be_hidden()
        table = page.get_by_test_id("mediators-table")
        await expect(table.locator("tbody tr", has_text=f"冯调解{n}")).to_contain_text("0 / 5")
    async with person(browser, live_app) as page:
        await page.goto("/reset-password")
        await page.get_by_label("手机号码").fill(mobile)
        await page.get_by_role("button", name="获取验证码").click()
        code = await latest_code(live_app.services, mobile=mobile, purpose="reset_password")
        await page.get_by_label("验证码").fill(code)
        await page.get_by_label("新密码").fill("Mediat0r!New")
        await page.get_by_label("确认密码").fill("Mediat0r!New")
        await page.get_by_role("button", name="重置密码").click()
        await expect(page.get_by_text("密码已重置，请使用新密码登录。")).to_be_visible()
        await page.goto("/login")
        await page.get_by_label("用户名").fill(f"newmed{n}")
        await page.get_by_label("密码", exact=True).fill("Mediat0r!New")
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/workspace/"))


async def test_admin_edits_a_mediators_profile_and_suspends_it_with_a_reason(
    browser: Browser, live_app: LiveApp
) -> None:
    n = _unique()
    o = await org_of(live_app, "SFLAMC", n)
    await mediator(live_app, o, f"editmed{n}", f"褚调解{n}", ["financial_leasing"], capacity=4)
    async with person(browser, live_app) as page:
        await sign_in(page, live_app, o.admin)
        await page.goto("/workspace/institution/mediators")
        row = page.get_by_test_id("mediators-table").locator("tbody tr", has_text=f"褚调解{n}")
        await expect(row.get_by_test_id("mediator-load")).to_have_text("0 / 4")
        await row.get_by_role("button", name="编辑").click()
        drawer = page.get_by_role("dialog", name=f"编辑调解员：褚调解{n}")
        form = drawer.get_by_test_id("profile-form")
        await form.get_by_label("职称 / 头衔").fill("首席调解员")
        await form.get_by_label("同时在办案件上限").fill("9")
        await form.get_by_role("button", name="保存").click()
        await expect(page.get_by_text("调解员信息已保存")).to_be_visible()
        await drawer.get_by_test_id("status-form").get_by_role("button", name="暂停调解员").click()
        reason = page.get_by_role("dialog", name="暂停调解员")
        await reason.get_by_role("textbox").fill("长期出差，暂停接案")
        await reason.get_by_role("button", name="提交").click()
        await expect(drawer.get_by_test_id("status-form")).to_contain_text("已暂停")
        await expect(drawer.get_by_test_id("status-form")).to_contain_text("长期出差，暂停接案")
        await drawer.get_by_role("button", name="Close").or_(drawer.get_by_label("关闭")).first.click()
        await expect(row.get_by_test_id("mediator-load")).to_have_text("0 / 9")
        await expect(row.get_by_test_id("mediator-status")).to_have_text("已暂停")
        await expect(row).to_contain_text("首席调解员")

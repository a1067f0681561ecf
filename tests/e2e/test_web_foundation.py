"""The web page's foundation in Debian's Chromium: home roster, registration, sign-in, workspace."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Request, expect
from sqlalchemy import func, select

from odr.accounts.models import User
from tests.e2e.conftest import BrowserPage, LiveApp
from tests.e2e.support import latest_code, make_case
from tests.factories import make_user, resident_id

NINE_INSTITUTIONS_ZH = [
    "上海市金融消费纠纷调解中心",
    "上海银行业保险业纠纷调解中心",
    "中证资本市场法律服务中心有限公司",
    "上海经贸商事调解中心",
    "上海市资本市场人民调解委员会",
    "上海市工商业联合会民商事调解委员会",
    "上海市融资租赁行业协会人民调解委员会",
    "上海市虹口区联合人民调解委员会",
    "上海市浦东新区金融纠纷人民调解委员会",
]
_serial = itertools.count(1)


def _unique() -> int:
    return 9000 + next(_serial)


async def _user_count(live_app: LiveApp) -> int:
    async with live_app.services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(User))).scalar_one())


async def test_home_shows_the_notice_and_the_nine_institutions_in_both_languages_L4(
    web: BrowserPage, screenshots: Path
) -> None:
    page = web.page
    await page.goto("/")
    cards = page.get_by_test_id("institution")
    await expect(cards).to_have_count(9)
    await expect(page.get_by_role("heading", name="平台须知")).to_be_visible()
    await expect(page.get_by_role("heading", name="实名认证")).to_be_visible()
    for name in NINE_INSTITUTIONS_ZH:
        await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    first = cards.first
    await expect(first.get_by_text("行业调解组织")).to_be_visible()
    await expect(first.get_by_text("金融消费", exact=True)).to_be_visible()
    await expect(first.get_by_text("免费调解")).to_be_visible()
    await expect(page.get_by_text("按规定收费").first).to_be_visible()  # commercial centres charge fees
    await page.screenshot(path=str(screenshots / "home-zh-CN.png"), full_page=True)

    await page.get_by_text("English", exact=True).click()
    await expect(page.get_by_role("heading", name="Roster of invited mediation institutions")).to_be_visible()
    await expect(page.get_by_role("heading", name="Shanghai Financial Consumer Dispute Mediation Center")).to_be_visible()
    await expect(cards).to_have_count(9)
    await expect(first.get_by_text("Industry mediation centre")).to_be_visible()
    await expect(first.get_by_text("Banking", exact=True)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")

    # The choice of language survives a reload.
    await page.reload()
    await expect(page.get_by_role("heading", name="Platform notice")).to_be_visible()
    await page.screenshot(path=str(screenshots / "home-en.png"), full_page=True)


async def test_registration_with_a_bad_id_checksum_shows_the_error_and_sends_nothing_L2(
    web: BrowserPage, live_app: LiveApp
) -> None:
    page = web.page
    sent: list[str] = []

    def record(request: Request) -> None:
        if "/api/v1/auth/register" in request.url:
            sent.append(request.url)

    page.on("request", record)
    users_before = await _user_count(live_app)
    await page.goto("/register")
    good = resident_id(_unique())
    bad = good[:17] + ("1" if good[17] != "1" else "2")  # same number, wrong check character

    await page.get_by_label("用户名").fill(f"bad{_unique()}")
    await page.get_by_label("真实姓名").fill("张三")
    await page.get_by_label("密码", exact=True).fill("Passw0rd!x")
    await page.get_by_label("确认密码").fill("Passw0rd!x")
    await page.get_by_label("证件号码").fill(bad)
    # Checked as typed, before any submit.
    await expect(page.get_by_text("校验位不正确，请检查号码是否输错")).to_be_visible()

    await page.get_by_label("手机号码").fill("13912345678")
    await page.get_by_text("我确认所填身份信息真实").click()
    await page.get_by_role("button", name="注册").click()
    await expect(page.get_by_text("校验位不正确，请检查号码是否输错")).to_be_visible()
    await expect(page).to_have_url(f"{live_app.base_url}/register")

    # Correcting the check character clears the error as typed.
    await page.get_by_label("证件号码").fill(good)
    await expect(page.get_by_text("校验位不正确，请检查号码是否输错")).to_be_hidden()
    await expect(page.get_by_text("格式与校验位正确")).to_be_visible()

    assert sent == []
    assert await _user_count(live_app) == users_before


async def test_register_verify_mobile_enter_workspace_and_sign_out_L2(
    web: BrowserPage, live_app: LiveApp, screenshots: Path
) -> None:
    page = web.page
    n = _unique()
    username = f"party{n}"
    mobile = f"137{n:08d}"
    await page.goto("/")
    await page.get_by_role("link", name="注册", exact=True).click()
    await expect(page.get_by_role("heading", name="注册账号")).to_be_visible()

    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("真实姓名").fill("李四")
    await page.get_by_label("密码", exact=True).fill("Passw0rd!x")
    await page.get_by_label("确认密码").fill("Passw0rd!x")
    await page.get_by_label("证件号码").fill(resident_id(n))
    await expect(page.get_by_text("格式与校验位正确")).to_be_visible()
    await page.get_by_label("手机号码").fill(mobile)
    await page.get_by_text("我确认所填身份信息真实").click()
    await page.get_by_role("button", name="注册").click()

    await expect(page).to_have_url(f"{live_app.base_url}/verify-mobile")
    await expect(page.get_by_text(f"我们已向 {mobile} 发送短信验证码")).to_be_visible()
    # The code registration sent; resending waits for the server's one-minute limit.
    await expect(page.get_by_role("button", name="秒后可重新发送")).to_be_disabled()

    code = await latest_code(live_app.services, mobile=mobile, purpose="verify_mobile")
    await page.get_by_label("验证码").fill("000000" if code != "000000" else "111111")
    await page.get_by_role("button", name="验证", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("验证码不正确")

    await page.get_by_label("验证码").fill(code)
    await page.get_by_role("button", name="验证", exact=True).click()
    await expect(page.get_by_text("手机号码验证成功，实名认证已完成。")).to_be_visible()
    await page.get_by_role("button", name="进入工作台").click()

    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")
    await expect(page.get_by_test_id("user-name")).to_have_text("李四")
    await expect(page.get_by_test_id("user-role")).to_have_text("当事人")
    await expect(page.get_by_test_id("identity-level")).to_have_text("已实名")
    await expect(page.get_by_role("heading", name="我的案件")).to_be_visible()
    await expect(page.get_by_text("暂无案件")).to_be_visible()
    await expect(page.get_by_text("您的手机号码尚未验证")).to_be_hidden()

    # The session survives a reload (restored from /api/v1/auth/me).
    await page.reload()
    await expect(page.get_by_test_id("user-name")).to_have_text("李四")
    await page.get_by_role("menuitem", name="账户与实名认证").click()
    await expect(page.get_by_text("**************")).to_be_visible()  # document masked
    await page.screenshot(path=str(screenshots / "workspace-account.png"), full_page=True)

    await page.get_by_role("button", name="退出登录").click()
    await expect(page).to_have_url(f"{live_app.base_url}/")
    await expect(page.get_by_role("link", name="登录", exact=True)).to_be_visible()
    await page.goto("/workspace/cases")
    await expect(page).to_have_url(f"{live_app.base_url}/login?next=/workspace/cases")


async def test_login_with_a_wrong_password_shows_the_error_then_lists_cases_in_shanghai_time(
    web: BrowserPage, live_app: LiveApp, screenshots: Path
) -> None:
    page = web.page
    n = _unique()
    user = await make_user(live_app.services, username=f"login{n}", password="Right-pass1",
                           real_name="王五", mobile=f"136{n:08d}")
    await make_case(
        live_app.services, user_id=user.id, number=f"（2026）沪调{n}号", title="信用卡欠款纠纷",
        claim_amount_fen=123456789, updated_at=datetime(2026, 3, 5, 16, 30, tzinfo=UTC),
    )
    await page.goto("/login")
    await page.get_by_label("用户名").fill(f"login{n}")
    await page.get_by_label("密码", exact=True).fill("Wrong-pass1")
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确。")
    await expect(page).to_have_url(f"{live_app.base_url}/login")

    await page.get_by_label("密码", exact=True).fill("Right-pass1")
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")
    table = page.get_by_test_id("cases-table")
    row = table.locator("tbody tr").first
    await expect(row).to_contain_text(f"（2026）沪调{n}号")
    await expect(row).to_contain_text("¥1,234,567.89")
    await expect(row).to_contain_text("2026-03-06 00:30")  # 16:30 UTC is 00:30 next day in Shanghai
    await expect(row).to_contain_text("银行")
    await expect(row).to_contain_text("自行申请")
    await expect(row).to_contain_text("已提交")
    await page.screenshot(path=str(screenshots / "workspace-cases.png"), full_page=True)


async def test_login_with_a_one_time_code_shows_the_wait_when_throttled(
    web: BrowserPage, live_app: LiveApp
) -> None:
    page = web.page
    n = _unique()
    mobile = f"135{n:08d}"
    await make_user(live_app.services, username=f"otp{n}", password=None, real_name="赵六", mobile=mobile)
    # A code was just sent to this number (say, from another tab): the server allows one a minute.
    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        answer = await api.post("/api/v1/auth/otp", json={"mobile": mobile, "purpose": "login"})
        assert answer.status_code == 202, answer.text

    await page.goto("/login")
    await page.get_by_role("tab", name="验证码登录").click()
    await page.get_by_label("手机号码").fill(mobile)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("alert")).to_contain_text("操作过于频繁，请在")
    await expect(page.get_by_role("alert")).to_contain_text("秒后重试")
    await expect(page.get_by_role("button", name="秒后可重新发送")).to_be_disabled()

    code = await latest_code(live_app.services, mobile=mobile, purpose="login")
    await page.get_by_label("验证码", exact=True).fill(code)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")
    await expect(page.get_by_test_id("user-name")).to_have_text("赵六")


async def test_password_reset_with_a_texted_code_then_sign_in_with_the_new_password(
    web: BrowserPage, live_app: LiveApp
) -> None:
    page = web.page
    n = _unique()
    mobile = f"133{n:08d}"
    await make_user(live_app.services, username=f"reset{n}", password="Old-pass1", real_name="孙七",
                    mobile=mobile)
    await page.goto("/login")
    await page.get_by_role("link", name="忘记密码？").click()
    await expect(page.get_by_role("heading", name="重置密码")).to_be_visible()
    await page.get_by_label("手机号码").fill(mobile)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("status")).to_contain_text(f"验证码已发送至 {mobile}")

    await page.get_by_label("验证码").fill(await latest_code(live_app.services, mobile=mobile, purpose="reset_password"))
    await page.get_by_label("新密码").fill("New-pass2")
    await page.get_by_label("确认密码").fill("New-pass2")
    await page.get_by_role("button", name="重置密码").click()
    await expect(page.get_by_text("密码已重置，请使用新密码登录。")).to_be_visible()

    await page.get_by_role("button", name="返回登录").click()
    await page.get_by_label("用户名").fill(f"reset{n}")
    await page.get_by_label("密码", exact=True).fill("New-pass2")
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_test_id("user-name")).to_have_text("孙七")

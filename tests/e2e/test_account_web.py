"""The account page in Debian's Chromium: change the password, move to a new mobile."""

from __future__ import annotations

import itertools

import httpx
from playwright.async_api import expect

from tests.e2e.conftest import BrowserPage, LiveApp
from tests.e2e.support import latest_code
from tests.factories import make_user

_serial = itertools.count(1)


def _unique() -> int:
    return 70_000 + next(_serial) * 97 % 10_000


async def _sign_in(web: BrowserPage, username: str, password: str) -> None:
    page = web.page
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_test_id("user-name")).to_be_visible()


async def test_change_password_on_the_account_page_then_only_the_new_one_works(
    web: BrowserPage, live_app: LiveApp
) -> None:
    page = web.page
    n = _unique()
    await make_user(live_app.services, username=f"chpw{n}", password="Old-pass1",
                    real_name="周八", mobile=f"137{n:08d}")
    await _sign_in(web, f"chpw{n}", "Old-pass1")
    await page.goto("/workspace/account")
    form = page.get_by_test_id("change-password")
    await form.get_by_label("当前密码").fill("Wrong-pass9")
    await form.get_by_label("新密码").fill("New-pass2")
    await form.get_by_label("确认密码").fill("New-pass2")
    await form.get_by_role("button", name="修改密码").click()
    await expect(form.get_by_role("alert")).to_be_visible()  # the wrong current password is refused

    await form.get_by_label("当前密码").fill("Old-pass1")
    await form.get_by_role("button", name="修改密码").click()
    await expect(form.get_by_role("status")).to_contain_text("密码已修改")

    async with httpx.AsyncClient(base_url=live_app.base_url) as api:
        old = await api.post("/api/v1/auth/login", json={"username": f"chpw{n}", "password": "Old-pass1"})
        new = await api.post("/api/v1/auth/login", json={"username": f"chpw{n}", "password": "New-pass2"})
    assert old.status_code == 401
    assert new.status_code == 200


async def test_change_mobile_with_a_code_texted_to_the_new_number(
    web: BrowserPage, live_app: LiveApp
) -> None:
    page = web.page
    n = _unique()
    new_mobile = f"158{n:08d}"
    await make_user(live_app.services, username=f"chmob{n}", password="Pass-word1",
                    real_name="吴九", mobile=f"135{n:08d}")
    await _sign_in(web, f"chmob{n}", "Pass-word1")
    await page.goto("/workspace/account")
    form = page.get_by_test_id("change-mobile")
    await form.get_by_label("新手机号码").fill(new_mobile)
    await form.get_by_role("button", name="获取验证码").click()
    await expect(form.get_by_role("status")).to_contain_text(new_mobile)
    code = await latest_code(live_app.services, mobile=new_mobile, purpose="change_mobile")
    await form.get_by_label("验证码").fill(code)
    await form.get_by_label("当前密码").fill("Pass-word1")
    await form.get_by_role("button", name="更换手机号码").click()
    await expect(form.get_by_text("手机号码已更换并验证。")).to_be_visible()
    # The account summary shows the new number, masked.
    await expect(page.get_by_text(f"{new_mobile[:3]}****{new_mobile[-4:]}")).to_be_visible()

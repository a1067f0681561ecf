"""The video room page in Debian's Chromium: lobby, entry checks, admission, chat (issues 5, 8).

Two people, each in their own browser context on the live app: the mediator
opens the room and sees the lobby; the party waits, enters the one-time code
texted to its verified mobile (L2), acknowledges the sham-mediation warning
(L9), is admitted, and the two chat. Video through the media node is in
test_room_media_web.py.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, Page, expect

from odr.accounts.models import User
from tests.e2e.conftest import LiveApp, person
from tests.e2e.support import latest_code
from tests.factories import make_case, make_meeting, make_user

PASSWORD = "Passw0rd!"
expect.set_options(timeout=15_000)


async def sign_in(page: Page, live_app: LiveApp, user: User) -> None:
    await page.goto("/login")
    await page.get_by_label("用户名").fill(user.username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")


async def test_party_passes_the_lobby_checks_is_admitted_and_chats_with_the_mediator_L2_L9(
    browser: Browser, live_app: LiveApp
) -> None:
    services = live_app.services
    mediator = await make_user(services, "mediator", password=PASSWORD)
    party = await make_user(services, "party", password=PASSWORD)
    other = await make_user(services, "party", password=PASSWORD)
    # entrusted by a court after filing: no service-address form is due before the session (L9)
    case = await make_case(
        services, applicant=party, respondent=other, mediator=mediator, status="in_mediation",
        channel="entrusted",
    )
    meeting = await make_meeting(services, case, host=mediator, starts_in=timedelta(minutes=10))
    room_path = f"/workspace/meetings/{meeting.id}/room"

    async with person(browser, live_app) as host_page, person(browser, live_app) as party_page:
        await sign_in(host_page, live_app, mediator)
        await host_page.goto(room_path)
        await expect(host_page.get_by_test_id("lobby-panel")).to_contain_text("没有人在等候")

        await sign_in(party_page, live_app, party)
        await party_page.goto(room_path)
        await expect(party_page.get_by_test_id("lobby-wait")).to_be_visible()

        # the host sees who waits, with the verified name, and that the code is not yet verified
        party_seat = meeting.seat_of(party).id
        entry = host_page.locator(f"[data-seat='{party_seat}']").first
        await expect(entry).to_contain_text(party.real_name)
        await expect(entry).to_contain_text("未核验验证码")

        assert party.mobile is not None
        code = await latest_code(services, mobile=party.mobile, purpose="room_entry")
        await party_page.get_by_test_id("entry-code").fill(code)
        await party_page.get_by_role("button", name="确认").click()
        await party_page.get_by_test_id("sham-warning").get_by_role("button", name="我已阅读并知悉").click()
        await expect(entry).to_contain_text("验证码已核验")
        await expect(entry).to_contain_text("已确认告知")

        await host_page.get_by_test_id(f"admit-{party_seat}").click()
        await expect(party_page.get_by_test_id("videos")).to_be_visible()
        await expect(party_page.get_by_test_id("participants")).to_contain_text(mediator.real_name)

        await party_page.get_by_test_id("chat-input").fill("您好，我已进入调解室")
        await party_page.get_by_role("button", name="发送").click()
        await expect(host_page.get_by_test_id("chat-messages")).to_contain_text("您好，我已进入调解室")

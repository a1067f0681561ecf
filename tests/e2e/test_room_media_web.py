"""Video through the SFU in real browsers: two Chromium pages and one aiortc bot (issues 6, 8).

The live app (a uvicorn subprocess) runs signaling; a media node (``media.node``)
runs in this process, registered with the app's database and offering loopback
candidates only. Chromium gets a fake camera from a small y4m file and
``--allow-loopback-in-peer-connection``; the mediator and a party join the room
page, the bot (a real aiortc peer that draws its seat number into its frames)
joins through the same ``/room`` protocol, and each proves it decodes the others:
the pages by the frames their remote ``<video>`` elements present, the bot by
the frames it decodes from each browser's seat.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCSessionDescription
from playwright.async_api import Browser, Page, async_playwright, expect

from media import ice, passthrough
from media.node import MediaNode
from media.room import MediaConfig
from signaling.nodes import register_node
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveApp, person
from tests.e2e.support import latest_code
from tests.factories import make_case, make_meeting, make_user
from tests.media.bots import Bot, wait_for
from tests.signaling.support import Room, RoomClient, Seated, join, pass_entry_checks

PASSWORD = "Passw0rd!"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small moving test picture, so two fake cameras cost little CPU."""
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
         "-t", "3", "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=60,
    )
    return path


@pytest.fixture(scope="module")
async def media_browser(fake_camera: Path) -> AsyncIterator[Browser]:
    args = [
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera}", "--allow-loopback-in-peer-connection",
    ]
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
def loopback() -> Iterator[None]:
    was_installed = passthrough.is_installed()
    ice.use_host_addresses(ice.LOOPBACK_ONLY)
    yield
    ice.use_host_addresses(None)
    if not was_installed:
        passthrough.uninstall()


@pytest.fixture
async def node(live_app: LiveApp, loopback: None) -> AsyncIterator[MediaNode]:
    credential = await register_node(live_app.services, "media-e2e")
    media = MediaNode(live_app.base_url, "media-e2e", credential, MediaConfig(keyframe_min_interval=0.2))
    await media.start()
    yield media
    await media.stop()


async def sign_in(page: Page, live_app: LiveApp, username: str) -> None:
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/workspace/cases")


async def presented_frames(page: Page, name: str) -> tuple[int, int]:
    """(width, frames presented so far) of the remote tile showing ``name``."""
    result: list[int] = await page.evaluate(
        """(name) => {
            const v = document.querySelector(`figure[data-name="${name}"] video`);
            if (!v) return [0, 0];
            return [v.videoWidth, v.getVideoPlaybackQuality().totalVideoFrames];
        }""",
        name,
    )
    return result[0], result[1]


async def sees_video_of(page: Page, name: str) -> None:
    """The tile of ``name`` shows decoded video that keeps moving."""
    deadline_frames = 0
    for _ in range(120):
        width, frames = await presented_frames(page, name)
        if width > 0 and frames > 0:
            deadline_frames = frames + 10
            break
        await page.wait_for_timeout(250)
    assert deadline_frames, f"no video of {name} on the page"
    for _ in range(120):
        _, frames = await presented_frames(page, name)
        if frames >= deadline_frames:
            return
        await page.wait_for_timeout(250)
    raise AssertionError(f"the video of {name} stopped")


async def wire(bot: Bot, client: RoomClient) -> None:
    async def on_sdp(message: dict[str, Any]) -> None:
        description = RTCSessionDescription(sdp=message["sdp"], type=message["type"])
        if message["pc"] == "publish" and message["type"] == "answer":
            await bot.accept_publish_answer(description)
        elif message["pc"] == "subscribe" and message["type"] == "offer":
            answer = await bot.answer_subscribe(description)
            await client.call("rtc.sdp", {"pc": "subscribe", "type": "answer", "sdp": answer.sdp})

    client.sio.on("rtc.sdp", on_sdp, namespace="/room")


async def test_two_browsers_and_a_bot_see_each_other_through_the_sfu(
    media_browser: Browser, live_app: LiveApp, node: MediaNode
) -> None:
    services = live_app.services
    mediator = await make_user(services, "mediator", password=PASSWORD, real_name="钱调解")
    party = await make_user(services, "party", password=PASSWORD, real_name="孙申请")
    other = await make_user(services, "party", password=PASSWORD, real_name="李被申")
    case = await make_case(services, applicant=party, respondent=other, mediator=mediator,
                           status="in_mediation", channel="entrusted")
    meeting = await make_meeting(services, case, host=mediator, starts_in=timedelta(minutes=5))
    room_path = f"/workspace/meetings/{meeting.id}/room"
    host_seat, party_seat, bot_seat = (meeting.seat_of(u).id for u in (mediator, party, other))
    assert len({host_seat, party_seat, bot_seat}) == 3
    bot = Bot("bot", bot_seat)
    bot_client: RoomClient | None = None
    try:
        async with person(media_browser, live_app) as host_page, person(media_browser, live_app) as party_page:
            await sign_in(host_page, live_app, mediator.username)
            await host_page.goto(room_path)
            await expect(host_page.get_by_test_id("lobby-panel")).to_be_visible()

            await sign_in(party_page, live_app, party.username)
            await party_page.goto(room_path)
            assert party.mobile is not None
            code = await latest_code(services, mobile=party.mobile, purpose="room_entry")
            await party_page.get_by_test_id("entry-code").fill(code)
            await party_page.get_by_role("button", name="确认").click()
            await party_page.get_by_test_id("sham-warning").get_by_role("button", name="我已阅读并知悉").click()
            await host_page.get_by_test_id(f"admit-{party_seat}").click()
            await expect(party_page.get_by_test_id("videos")).to_be_visible()

            # The bot: a room token, its own entry checks, then the host admits it on the page.
            host = Seated(host_seat, "host", mediator, None, mediator.real_name)
            seated = Seated(bot_seat, "party", other, "respondent", other.real_name)
            room = Room(meeting_id=meeting.id, case_id=case.id, kind="mediation", host=host, seats=[seated])
            bot_client = await join(live_app.base_url, services, room, seated)
            await wire(bot, bot_client)
            await pass_entry_checks(services, bot_client, seated)
            await host_page.get_by_test_id(f"admit-{bot_seat}").click()
            await bot_client.wait("seat", where=lambda n: n["change"] == "admitted")
            offer = await bot.publish_offer()
            ack = await bot_client.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": offer.sdp})
            assert ack == {"ok": True}, ack

            await sees_video_of(host_page, party.real_name)
            await sees_video_of(host_page, other.real_name)  # the bot's seat
            await sees_video_of(party_page, mediator.real_name)
            await sees_video_of(party_page, other.real_name)
            # Chromium's pictures carry no drawn seat number: count decoded frames per video m-line.
            await wait_for(
                lambda: sum(1 for m in bot.mids.values() if m.kind == "video" and m.frames >= 10) >= 2,
                timeout=60, what="the bot decoding both browsers",
            )
            assert all(m.decode_errors == 0 for m in bot.mids.values())
            assert bot.frames_from(bot_seat) == 0  # nobody is sent its own picture
    finally:
        if bot_client is not None:
            await bot_client.close()
        await bot.close()

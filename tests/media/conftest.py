"""Media tests run real aiortc peers in this process, on 127.0.0.1 only.

aioice leaves loopback out of its host candidates; media.ice allow-lists
127.0.0.1 instead, and every configuration has an explicit empty ICE server
list, so no packet leaves this machine's loopback interface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from media import ice, passthrough
from media.room import ForwardingRoom, MediaConfig
from tests.media.bots import Bot


@pytest.fixture
def loopback() -> Iterator[None]:
    ice.use_host_addresses(ice.LOOPBACK_ONLY)
    yield
    ice.use_host_addresses(None)


@pytest.fixture
async def room(loopback: None) -> AsyncIterator[ForwardingRoom]:
    room = ForwardingRoom(MediaConfig(keyframe_min_interval=0.2))
    yield room
    await room.close()


@pytest.fixture
async def make_bot(loopback: None) -> AsyncIterator[Callable[..., Bot]]:
    """``make_bot(name, source, **options)``; every bot made is closed after the test."""
    made: list[Bot] = []

    def make(name: str, source: int, **options: object) -> Bot:
        bot = Bot(name, source, **options)  # type: ignore[arg-type]
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.close()


@pytest.fixture(autouse=True)
def _restore_stock_decoders() -> Iterator[None]:
    """The passthrough hook is process-wide: leave aiortc as each test found it."""
    was_installed = passthrough.is_installed()
    yield
    if not was_installed:
        passthrough.uninstall()

"""Wiring bots to a ForwardingRoom in-process (the signaling server will do this later)."""

from __future__ import annotations

from collections.abc import Sequence

from media.room import ForwardingRoom, SubscribeOffer
from tests.media.bots import Bot


async def join(room: ForwardingRoom, bot: Bot) -> None:
    """Publish ``bot`` into ``room`` under its name (again: a reconnect)."""
    answer = await room.publish(bot.name, await bot.publish_offer())
    await bot.accept_publish_answer(answer)


async def route(room: ForwardingRoom, bot: Bot, publishers: Sequence[str]) -> SubscribeOffer | None:
    """Let ``bot`` receive ``publishers``; negotiate if needed."""
    offer = await room.route(bot.name, room.feeds_of(publishers))
    if offer is not None:
        await room.subscriber_answer(bot.name, await bot.answer_subscribe(offer.offer))
    return offer


async def route_everyone(room: ForwardingRoom, bots: Sequence[Bot]) -> None:
    for bot in bots:
        await route(room, bot, [b.name for b in bots if b is not bot])


def mid_of(room: ForwardingRoom, subscriber: str, publisher: str, kind: str) -> str:
    layout = room.subscriber(subscriber).layout()
    return next(mid for mid, key in layout.items() if key == (publisher, kind))

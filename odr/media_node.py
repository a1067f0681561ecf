"""Compose a media node from settings (``odr media``): odr's settings, media's forwarder.

``media`` itself never reads odr's settings or imports ``signaling``; this is
the one place that hands it what it needs (and, for the embedded default,
registers the node's credential in the database signaling checks it against).
"""

from __future__ import annotations

from aiortc import RTCIceServer
from pydantic import SecretStr

from media.ice import use_host_addresses
from media.node import MediaNode
from media.room import MediaConfig
from odr.services import Services
from odr.settings import Settings


def media_node_from(settings: Settings) -> MediaNode:
    if settings.media_host_addresses:
        use_host_addresses(settings.media_host_addresses)
    servers = [RTCIceServer(urls=url) for url in settings.ice_stun_urls]
    return MediaNode(
        settings.media_signaling_url or settings.public_base_url,
        settings.media_node_id,
        settings.media_node_credential.get_secret_value(),
        MediaConfig(ice_servers=servers),
        heartbeat_seconds=settings.media_node_heartbeat_seconds,
    )


async def run_media_node(settings: Settings) -> None:
    await media_node_from(settings).run_forever()


async def register_local_node(settings: Settings) -> Settings:
    """Register ``settings.media_node_id`` with a fresh credential; settings that carry it."""
    from signaling.nodes import register_node

    services = Services.build(settings)
    try:
        credential = await register_node(services, settings.media_node_id)
    finally:
        await services.close()
    return settings.model_copy(update={"media_node_credential": SecretStr(credential)})

"""Compose a media node from settings (``odr media``): odr's settings, media's forwarder.

``media`` itself never reads odr's settings or imports ``signaling``; this is
the one place that hands it what it needs (and, for the embedded default,
registers the node's credential in the database signaling checks it against).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from aiortc import RTCIceServer
from pydantic import SecretStr

from media.ice import use_host_addresses
from media.node import MediaNode
from media.recording.segmenter import RecordingConfig
from media.recording.writer import ClosedFile
from media.room import MediaConfig
from odr.services import Services
from odr.settings import Settings
from odr.storage.base import CHUNK_SIZE, BlobStore, blob_key
from odr.storage.factory import build_store


class BlobSegmentStore:
    """Moves closed segment files into the blob store (local var/ or S3), keyed by their hash."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    async def put(self, closed: ClosedFile) -> str:
        ref = await self.store.put_stream(_chunks(closed.path))
        if ref.sha256 != closed.sha256 or ref.size != closed.size:
            raise OSError(f"{closed.path.name} changed while it was stored")
        await asyncio.to_thread(closed.path.unlink, True)
        return blob_key(ref.sha256)


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    f = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, CHUNK_SIZE):
            yield chunk
    finally:
        f.close()


def recording_config(settings: Settings, store: BlobStore | None = None) -> RecordingConfig:
    """Segments spool under ``var_dir/recordings`` and move to the configured storage."""
    return RecordingConfig(
        directory=settings.var_dir / "recordings",
        segment_seconds=settings.recording_segment_seconds,
        store=BlobSegmentStore(store or build_store(settings)),
    )


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
        recording=recording_config(settings),
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

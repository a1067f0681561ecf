"""The composition of long-lived services, opened and closed with the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from odr.clock import Clock, SystemClock
from odr.crypto import FieldCrypto
from odr.db.uow import Database
from odr.settings import Settings
from odr.storage.base import BlobStore
from odr.storage.factory import build_store


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    crypto: FieldCrypto
    storage: BlobStore
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Services:
        settings.ensure_dirs()
        return cls(
            settings=settings,
            clock=clock or SystemClock(),
            db=Database(settings.resolved_database_url),
            crypto=FieldCrypto.from_settings(settings),
            storage=build_store(settings),
        )

    async def close(self) -> None:
        await self.storage.close()
        await self.db.dispose()

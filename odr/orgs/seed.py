"""Seed courts and the nine designated institutions from data (idempotent upsert by code)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.orgs.models import Court, Institution


def load_seed() -> dict[str, Any]:
    return json.loads(resources.files("odr.seed").joinpath("orgs.json").read_text("utf-8"))  # type: ignore[no-any-return]


async def seed_orgs(uow: UnitOfWork, clock: Clock) -> tuple[int, int]:
    """Insert or update the seeded courts and institutions; returns (courts, institutions)."""
    data = load_seed()
    session = uow.session
    now = clock.now()
    courts: dict[str, Court] = {
        c.code: c for c in (await session.execute(select(Court))).scalars()
    }
    for item in data["courts"]:
        court = courts.get(item["code"])
        if court is None:
            court = Court(created_at=now, **item)
            session.add(court)
            courts[item["code"]] = court
        else:
            for key, value in item.items():
                setattr(court, key, value)
    await session.flush()
    existing = {i.code: i for i in (await session.execute(select(Institution))).scalars()}
    for item in data["institutions"]:
        values = dict(item)
        values["inviting_court_id"] = courts[values.pop("inviting_court")].id
        inst = existing.get(values["code"])
        if inst is None:
            session.add(Institution(created_at=now, **values))
        else:
            for key, value in values.items():
                setattr(inst, key, value)
    await session.flush()
    return len(data["courts"]), len(data["institutions"])

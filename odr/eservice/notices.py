"""Telling a case's people something: one call for every part that notifies participants.

``notify_case_participants`` finds the people of a case by role, and queues one
notification per person and channel through ``odr.notify`` in the caller's unit
of work (so it commits with its cause). Parties without an account are reached
by SMS at the mobile given in the filing. Each message's idempotency key is
``<key>:user:<id>:<channel>`` or ``<key>:party:<id>:sms``: the same key never
sends twice, whether the caller or the worker retries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import Case, CaseParticipant, CaseParty, CaseRole
from odr.cases.transitions import active_participation
from odr.db.uow import UnitOfWork
from odr.notify.messages import Channel, NotificationRequest, queue_notification
from odr.notify.service import queue_for_user
from odr.services import Services

ALL_ROLES: tuple[str, ...] = (CaseRole.APPLICANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR)
PARTY_SIDES = frozenset({CaseRole.APPLICANT, CaseRole.RESPONDENT})


def default_key(case: Case, template: str, params: dict[str, Any], roles: Iterable[str]) -> str:
    """Same case, template, parameters and audience: the same notice, sent once."""
    digest = hashlib.sha256(
        json.dumps([template, params, sorted(roles)], sort_keys=True, default=str).encode()
    ).hexdigest()[:24]
    return f"case:{case.id}:{template}:{digest}"


async def notify_case_participants(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    template: str,
    params: dict[str, Any],
    roles: Collection[str] = ALL_ROLES,
    *,
    channels: Collection[Channel] = ("inapp", "sms"),
    agents: bool = True,
    key: str | None = None,
    extra_user_ids: Iterable[int] = (),
) -> int:
    """Queue ``template`` to the case's people of ``roles``; return how many were reached.

    - ``roles``: ``applicant`` and ``respondent`` (the parties of that side, by
      account or, without one, by their filed mobile), ``mediator`` (the case's
      mediator and mediator participants).
    - ``agents``: also the agents currently acting for a party of those sides.
    - ``params``: the template's fields; ``case_number`` and ``case_title`` are
      added (and ``number``, as other templates call it), and ``name`` (the recipient's name) per recipient.
    - ``key``: the idempotency key of this notice (e.g. ``meeting:12:changed:3``);
      by default derived from the case, template, parameters and roles.
    - ``extra_user_ids``: more users to reach (e.g. a mediator not yet a participant).
    """
    wanted = set(roles)
    unknown = wanted - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown case roles {sorted(unknown)}; use {ALL_ROLES}")
    base_key = key or default_key(case, template, params, wanted)
    context = {"case_number": case.number, "number": case.number, "case_title": case.title, **params}
    now = services.clock.now()
    session = uow.session
    sides = wanted & PARTY_SIDES

    parties = list(
        (await session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.side.in_(sides))
            .order_by(CaseParty.id)
        )).scalars()
    ) if sides else []
    side_of = {p.id: p.side for p in parties}
    user_ids: list[int] = [p.user_id for p in parties if p.user_id is not None]
    participations = (
        await session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role, CaseParticipant.party_id)
            .where(CaseParticipant.case_id == case.id, active_participation(now))
            .order_by(CaseParticipant.id)
        )
    ).all()
    for user_id, role, party_id in participations:
        if role in wanted or (agents and role == CaseRole.AGENT and party_id in side_of):
            user_ids.append(user_id)
    if CaseRole.MEDIATOR in wanted and case.mediator_id is not None:
        user_ids.append(case.mediator_id)
    user_ids.extend(extra_user_ids)

    reached = 0
    for user_id in dict.fromkeys(user_ids):
        user = await session.get(User, user_id)
        if user is None or not user.is_active:
            continue
        queued = await queue_for_user(
            uow, services.clock, user, template=template,
            context={**context, "name": user.real_name or user.username},
            channels=channels, idempotency_key=f"{base_key}:user:{user_id}",
        )
        reached += bool(queued)
    if "sms" in channels:
        for party in parties:
            if party.user_id is not None or not party.mobile:
                continue
            request = NotificationRequest(
                template=template, channel="sms", recipient=party.mobile,
                context={**context, "name": party.name},
            )
            await queue_notification(
                uow, services.clock, request, idempotency_key=f"{base_key}:party:{party.id}:sms"
            )
            reached += 1
    return reached

"""Sham-mediation warning signs shown to the judge before deciding (OMR 23).

Signs, each computed from what the platform recorded:

- ``same_ip`` / ``same_device``: parties of opposing sides signed the agreement
  (``AgreementSignature``) or joined the application (``ConfirmationJoin``) from
  the same client address or the same device hash;
- ``one_agent_both_sides``: one user acted for parties of both sides (an agent
  authorization, a signature or a join for each side);
- ``large_sum_fast``: the agreed sum reaches ``settings.confirmation_warning_sum_fen``
  and the agreement took effect within ``settings.confirmation_warning_minutes``
  of the case's filing.

A sign is a reason to look closer (e.g. in the joint questioning), never a
finding. The detection is pure (``detect``) over ``Acts`` the loader gathers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.models import (
    Agreement,
    AgreementSignature,
    AgreementVersion,
    ConfirmationApplication,
    ConfirmationJoin,
    SignerRole,
)
from odr.cases.models import AgentAuthorization, Case, CaseParty


@dataclass(frozen=True)
class Act:
    """One act done for a party: a signature or a join, with its client facts."""

    source: str  # signature | join | authorization
    source_id: int
    party_id: int
    side: str
    user_id: int
    client_ip: str = ""
    device_hash: str = ""


@dataclass(frozen=True)
class Acts:
    acts: list[Act]
    agreed_sum_fen: int
    case_created_at: datetime
    effective_at: datetime | None


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _opposed(acts: list[Act], key: str) -> dict[str, list[Act]]:
    """Values of ``key`` shared by acts of both sides."""
    by_value: dict[str, list[Act]] = defaultdict(list)
    for act in acts:
        value = getattr(act, key)
        if value:
            by_value[value].append(act)
    return {v: group for v, group in by_value.items() if len({a.side for a in group}) > 1}


def _refs(group: list[Act]) -> list[dict[str, Any]]:
    return [{"source": a.source, "id": a.source_id, "party_id": a.party_id, "side": a.side}
            for a in group]


def detect(data: Acts, *, sum_threshold_fen: int, within: timedelta) -> list[Warning]:
    """The warning signs in ``data`` (pure)."""
    found: list[Warning] = []
    client_acts = [a for a in data.acts if a.source != "authorization"]
    for ip, group in sorted(_opposed(client_acts, "client_ip").items()):
        found.append(Warning("same_ip", "双方当事人从同一网络地址签署或申请（opposing parties acted "
                             "from the same address）", {"client_ip": ip, "acts": _refs(group)}))
    for device, group in sorted(_opposed(client_acts, "device_hash").items()):
        found.append(Warning("same_device", "双方当事人使用同一设备签署或申请（opposing parties acted "
                             "from the same device）", {"device_hash": device, "acts": _refs(group)}))
    by_user: dict[int, list[Act]] = defaultdict(list)
    for act in data.acts:
        by_user[act.user_id].append(act)
    for user_id, group in sorted(by_user.items()):
        if len({a.side for a in group}) > 1:
            found.append(Warning("one_agent_both_sides", "同一人同时代表双方当事人（one person "
                                 "acted for both sides）", {"user_id": user_id, "acts": _refs(group)}))
    if data.effective_at is not None and data.agreed_sum_fen >= sum_threshold_fen:
        elapsed = data.effective_at - data.case_created_at
        if elapsed <= within:
            found.append(Warning(
                "large_sum_fast", "大额协议在立案后短时间内达成（a large sum agreed within minutes "
                "of filing）", {"agreed_sum_fen": data.agreed_sum_fen,
                               "minutes": int(elapsed.total_seconds() // 60)}))
    return found


def agreed_sum_fen(content: dict[str, Any]) -> int:
    return sum(int(t.get("amount_fen") or 0) for t in content.get("terms", []))


async def gather(session: AsyncSession, application: ConfirmationApplication) -> Acts:
    """What the platform recorded about the application's agreement and joins."""
    agreement = await session.get(Agreement, application.agreement_id)
    case = await session.get(Case, application.case_id)
    assert agreement is not None and case is not None
    sides = dict((await session.execute(
        select(CaseParty.id, CaseParty.side).where(CaseParty.case_id == case.id)
    )).tuples().all())
    version = agreement.effective_version or agreement.current_version
    acts: list[Act] = []
    signatures = (await session.execute(select(AgreementSignature).where(
        AgreementSignature.agreement_id == agreement.id,
        AgreementSignature.version_number == version,
        AgreementSignature.voided_at.is_(None),
        AgreementSignature.role == SignerRole.PARTY,
    ))).scalars()
    for s in signatures:
        if s.party_id in sides:
            acts.append(Act("signature", s.id, s.party_id, sides[s.party_id], s.signer_user_id,
                            s.client_ip, s.device_hash))
    joins = (await session.execute(select(ConfirmationJoin).where(
        ConfirmationJoin.application_id == application.id
    ))).scalars()
    for j in joins:
        if j.party_id in sides:
            acts.append(Act("join", j.id, j.party_id, sides[j.party_id], j.user_id, j.client_ip,
                            j.device_hash))
    authorizations = (await session.execute(select(AgentAuthorization).where(
        AgentAuthorization.case_id == case.id, AgentAuthorization.revoked_at.is_(None),
    ))).scalars()
    for a in authorizations:
        if a.party_id in sides:
            acts.append(Act("authorization", a.id, a.party_id, sides[a.party_id], a.agent_user_id))
    content = (await session.execute(select(AgreementVersion.content).where(
        AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == version,
    ))).scalar_one_or_none() or {}
    return Acts(acts, agreed_sum_fen(content), case.created_at, agreement.effective_at)


async def warnings_for(
    session: AsyncSession, application: ConfirmationApplication, *, sum_threshold_fen: int,
    within_minutes: int,
) -> list[Warning]:
    data = await gather(session, application)
    return detect(data, sum_threshold_fen=sum_threshold_fen,
                  within=timedelta(minutes=within_minutes))

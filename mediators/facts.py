"""Reading what the engine needs from the database: mediators, cases, conflicts, history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mediators.availability import Leave, Window, available_between
from mediators.models import (
    Assignment,
    ConflictDeclaration,
    MediatorLeave,
    MediatorProfile,
    MediatorStatus,
    WeeklyAvailability,
)
from mediators.scoring import CaseFacts, MediatorFacts
from odr.accounts.models import User
from odr.cases.lifecycle import CaseStatus
from odr.cases.models import AgentAuthorization, Case, CaseParticipant, CaseParty
from odr.orgs.models import Institution

SHANGHAI_DISTRICTS = (
    "浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区",
    "闵行区", "宝山区", "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)
LANGUAGES = frozenset({"zh", "en", "yue", "wuu", "ja", "ko", "fr", "de", "ru", "es"})

# Where a mediation counts as ended in agreement for the outcome statistics.
AGREEMENT_STATUSES = frozenset({
    CaseStatus.AGREEMENT_EFFECTIVE, CaseStatus.CONFIRMATION_APPLIED, CaseStatus.CONFIRMED,
    CaseStatus.CONFIRMATION_REJECTED, CaseStatus.SUBMITTED_TO_COURT,
    CaseStatus.MEDIATION_STATEMENT_ISSUED, CaseStatus.WITHDRAWAL_RULED,
})
CLOSED_STATUSES = AGREEMENT_STATUSES | {CaseStatus.FAILED, CaseStatus.WITHDRAWN}


def district_of(address: str) -> str:
    """The Shanghai district named in an address, or ""."""
    for name in SHANGHAI_DISTRICTS:
        if name in address:
            return name
    return ""


def name_key(name: str) -> str:
    """A name as compared for declared conflicts: no spaces, case-folded, ASCII parentheses."""
    return "".join(name.split()).replace("（", "(").replace("）", ")").casefold()


async def case_facts(session: AsyncSession, case: Case) -> CaseFacts:
    """The case as the engine sees it: category, languages its parties need, district."""
    parties = (
        await session.execute(
            select(CaseParty.side, CaseParty.address, User.locale)
            .outerjoin(User, User.id == CaseParty.user_id)
            .where(CaseParty.case_id == case.id)
            .order_by(CaseParty.side, CaseParty.id)  # applicants first
        )
    ).all()
    languages = {"zh"}
    district = ""
    for _side, address, locale in parties:
        if locale and locale.split("-")[0] in LANGUAGES:
            languages.add(locale.split("-")[0])
        if not district:
            district = district_of(address or "")
    return CaseFacts(
        case_id=case.id, category=case.category, languages=frozenset(languages),
        district=district, institution_id=case.institution_id,
    )


async def outcome_counts(
    session: AsyncSession, mediator_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    """Per mediator: cases closed by outcome (agreement, failed by ground, withdrawn) and open."""
    ids = list(mediator_ids)
    stats: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return stats
    rows = (
        await session.execute(
            select(Case.mediator_id, Case.status, Case.end_ground, func.count(Case.id))
            .where(Case.mediator_id.in_(ids))
            .group_by(Case.mediator_id, Case.status, Case.end_ground)
        )
    ).all()
    for mediator_id, status, ground, n in rows:
        if mediator_id is None:
            continue
        bucket = stats[mediator_id]
        if status in AGREEMENT_STATUSES:
            key = "agreement"
        elif status == CaseStatus.FAILED:
            key = f"failed:{ground or 'other'}"
        elif status == CaseStatus.WITHDRAWN:
            key = "withdrawn"
        else:
            key = "open"
        bucket[key] = bucket.get(key, 0) + int(n)
    return stats


def summarise_outcomes(counts: dict[str, int]) -> dict[str, object]:
    failed = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("failed:")}
    agreement = counts.get("agreement", 0)
    withdrawn = counts.get("withdrawn", 0)
    closed = agreement + withdrawn + sum(failed.values())
    return {
        "closed": closed, "agreement": agreement, "failed": failed, "withdrawn": withdrawn,
        "open": counts.get("open", 0),
        "agreement_rate": round(agreement / closed, 3) if closed else None,
    }


async def mediator_facts(
    session: AsyncSession,
    *,
    now: datetime,
    until: datetime,
    institution_ids: Iterable[int] | None = None,
    user_ids: Iterable[int] | None = None,
) -> list[MediatorFacts]:
    """Every mediator not gone (optionally of some institutions), with load and availability."""
    stmt = (
        select(MediatorProfile, Institution.district)
        .join(Institution, Institution.id == MediatorProfile.institution_id)
        .join(User, User.id == MediatorProfile.user_id)
        .where(MediatorProfile.status != MediatorStatus.LEFT, User.is_active.is_(True))
        .order_by(MediatorProfile.user_id)
    )
    if institution_ids is not None:
        stmt = stmt.where(MediatorProfile.institution_id.in_(list(institution_ids)))
    if user_ids is not None:
        stmt = stmt.where(MediatorProfile.user_id.in_(list(user_ids)))
    rows = (await session.execute(stmt)).all()
    if not rows:
        return []
    profile_ids = [p.id for p, _ in rows]
    windows: dict[int, list[Window]] = defaultdict(list)
    for w in (
        await session.execute(
            select(WeeklyAvailability).where(WeeklyAvailability.profile_id.in_(profile_ids))
        )
    ).scalars():
        windows[w.profile_id].append(Window(w.weekday, w.start_minute, w.end_minute))
    leaves: dict[int, list[Leave]] = defaultdict(list)
    for leave in (
        await session.execute(
            select(MediatorLeave).where(
                MediatorLeave.profile_id.in_(profile_ids), MediatorLeave.cancelled_at.is_(None)
            )
        )
    ).scalars():
        leaves[leave.profile_id].append(Leave(leave.starts_on, leave.ends_on))
    outcomes = await outcome_counts(session, [p.user_id for p, _ in rows])
    facts = []
    for profile, district in rows:
        summary = summarise_outcomes(outcomes[profile.user_id])
        facts.append(MediatorFacts(
            user_id=profile.user_id,
            institution_id=profile.institution_id,
            specialties=tuple(profile.specialties),
            capacity=profile.max_concurrent_cases,
            load=profile.open_cases,
            languages=frozenset(profile.languages or ["zh"]),
            district=district or "",
            active=profile.status == MediatorStatus.ACTIVE,
            available=available_between(windows[profile.id], leaves[profile.id], now, until),
            agreed=int(summary["agreement"]),  # type: ignore[call-overload]
            closed=int(summary["closed"]),  # type: ignore[call-overload]
        ))
    return facts


async def conflicts_of_case(session: AsyncSession, case_id: int) -> dict[int, list[str]]:
    """Mediators in conflict with a party of the case, each with why (L7).

    Automatic: the mediator is a party (linked user, or the same ID number by
    keyed hash) or represents one (an agent of the case, with or without a
    running authorization). Declared: a person or organisation the mediator
    declared matches a party by ID hash, or by name (also the legal representative).
    """
    found: dict[int, list[str]] = defaultdict(list)
    parties = (
        await session.execute(
            select(CaseParty.user_id, CaseParty.id_doc_lookup, CaseParty.name,
                   CaseParty.legal_representative).where(CaseParty.case_id == case_id)
        )
    ).all()
    lookups = {p.id_doc_lookup for p in parties if p.id_doc_lookup}
    names = {name_key(p.name) for p in parties} | {
        name_key(p.legal_representative) for p in parties if p.legal_representative
    }
    party_users = {p.user_id for p in parties if p.user_id is not None}
    profiles = (
        await session.execute(
            select(MediatorProfile.user_id, MediatorProfile.party_lookup).where(
                or_(
                    MediatorProfile.user_id.in_(party_users) if party_users else false(),
                    MediatorProfile.party_lookup.in_(lookups) if lookups else false(),
                )
            )
        )
    ).all()
    for user_id, lookup in profiles:
        if user_id in party_users or (lookup and lookup in lookups):
            found[user_id].append("is_party")
    participants = (
        await session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role).where(
                CaseParticipant.case_id == case_id,
                CaseParticipant.role.in_(["applicant", "respondent", "agent"]),
            )
        )
    ).all()
    for user_id, role in participants:
        reason = "represents_party" if role == "agent" else "is_party"
        if reason not in found[user_id]:
            found[user_id].append(reason)
    agents = (
        await session.execute(
            select(AgentAuthorization.agent_user_id).where(AgentAuthorization.case_id == case_id)
        )
    ).scalars()
    for user_id in agents:
        if "represents_party" not in found[user_id]:
            found[user_id].append("represents_party")
    declared = (
        await session.execute(
            select(MediatorProfile.user_id)
            .join(ConflictDeclaration, ConflictDeclaration.profile_id == MediatorProfile.id)
            .where(
                ConflictDeclaration.withdrawn_at.is_(None),
                or_(
                    ConflictDeclaration.id_doc_lookup.in_(lookups) if lookups else false(),
                    ConflictDeclaration.name_key.in_(names) if names else false(),
                ),
            )
        )
    ).scalars()
    for user_id in declared:
        if "declared" not in found[user_id]:
            found[user_id].append("declared")
    return {k: v for k, v in found.items() if v}


async def previous_mediators(session: AsyncSession, case_id: int) -> set[int]:
    """Everyone who already held or declined this case: a reassignment never goes back to them."""
    return set(
        (await session.execute(select(Assignment.mediator_id).where(Assignment.case_id == case_id)))
        .scalars()
    )

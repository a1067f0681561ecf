"""Which courts may confirm an agreement (L22), and what no court accepts (L24, L37).

The decision is pure (``decide_competence``) over the court registry as data
(``odr.orgs.models.Court``: the districts each court serves, whether it sits
at intermediate rank, and the disputes an intermediate-rank court takes at
first instance); ``competent_courts`` loads the facts of a case and calls it.

L22 (CPL 205, INT 352, SMR 19): a mediation a court invited (delegated, 委派)
goes to that court or to the basic court where the institution is; any other
goes to the basic court of a party's domicile, of the subject matter's
location or of the institution's location; when the dispute falls within an
intermediate-rank court's jurisdiction (the agreed or claimed sum reaches the
threshold, or a specialised court such as the Shanghai Financial Court takes
its category) that court replaces the basic court of the same place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.models import Agreement, AgreementVersion
from odr.cases.models import Case, CaseChannel, CaseParty
from odr.orgs.models import Court, Institution
from odr.settings import Settings


class Basis(StrEnum):
    INVITED_COURT = "invited_court"  # the court that invited (delegated) the mediation
    DOMICILE = "domicile"  # a party's domicile / registered address
    PROPERTY_LOCATION = "property_location"  # where the subject matter is
    INSTITUTION_LOCATION = "institution_location"  # where the mediation organisation is


BASIS_ZH: dict[str, str] = {
    Basis.INVITED_COURT: "作出委派（邀请）的人民法院",
    Basis.DOMICILE: "当事人住所地",
    Basis.PROPERTY_LOCATION: "标的物所在地",
    Basis.INSTITUTION_LOCATION: "调解组织所在地",
}


# ---- L24: what no court accepts --------------------------------------------------------


@dataclass(frozen=True)
class SubjectKind:
    key: str
    label_zh: str
    excluded_reason: str = ""  # L24 (INT 355); empty: a court may accept it
    property_related: bool = False  # L23: property-right proofs are asked for

    @property
    def excluded(self) -> bool:
        return bool(self.excluded_reason)


SUBJECT_KINDS: dict[str, SubjectKind] = {k.key: k for k in (
    SubjectKind("contract", "合同履行、给付"),
    SubjectKind("debt", "借款、欠款等债务清偿"),
    SubjectKind("tort", "侵权损害赔偿"),
    SubjectKind("financial_service", "金融服务纠纷的给付"),
    SubjectKind("property_interest", "财产权益的给付、交付或使用", property_related=True),
    SubjectKind("other_civil", "其他民事权利义务"),
    SubjectKind("status_relationship", "婚姻、亲子、收养等身份关系",
                "申请确认婚姻关系、亲子关系、收养关系等身份关系的，人民法院不予受理（L24，民诉法解释第355条）"),
    SubjectKind("special_procedure", "适用其他特别程序的事项",
                "涉及适用其他特别程序审理的，人民法院不予受理（L24，民诉法解释第355条）"),
    SubjectKind("public_summons", "公示催告",
                "涉及适用公示催告程序审理的，人民法院不予受理（L24，民诉法解释第355条）"),
    SubjectKind("bankruptcy", "破产",
                "涉及适用破产程序审理的，人民法院不予受理（L24，民诉法解释第355条）"),
    SubjectKind("property_ownership", "物权确权",
                "调解协议内容涉及物权确权的，人民法院不予受理（L24，民诉法解释第355条）",
                property_related=True),
    SubjectKind("ip_ownership", "知识产权确权",
                "调解协议内容涉及知识产权确权的，人民法院不予受理（L24，民诉法解释第355条）",
                property_related=True),
)}

# An agreement about a status relationship (drafting's ``personal_status``), or a dispute
# category of that nature, is refused whatever kind the applicants state.
EXCLUDED_PERSONAL_STATUS: dict[str, str] = {
    "marriage": "status_relationship",
    "adoption": "status_relationship",
    "parent_child": "status_relationship",
}
EXCLUDED_CATEGORIES: dict[str, str] = {
    "marriage_family": "status_relationship",
    "adoption": "status_relationship",
    "bankruptcy": "bankruptcy",
}


@dataclass(frozen=True)
class Refusal:
    code: str
    rule: str
    reason: str


def excluded_matter(
    subject_kind: str | None, *, personal_status: str | None, categories: Iterable[str]
) -> Refusal | None:
    """L24: the reason no court accepts this agreement, or None."""
    keys = [EXCLUDED_PERSONAL_STATUS.get(personal_status or "")]
    keys += [EXCLUDED_CATEGORIES.get(c) for c in categories]
    keys.append(subject_kind)
    for key in keys:
        kind = SUBJECT_KINDS.get(key or "")
        if kind is not None and kind.excluded:
            return Refusal("excluded_matter", "L24", kind.excluded_reason)
    return None


def entrusted_refusal(channel: str) -> Refusal | None:
    """L37: an agreement reached after filing (委托) goes back to the court, never to confirmation."""
    if channel == CaseChannel.ENTRUSTED:
        return Refusal(
            "entrusted_case", "L37",
            "委托调解（立案后）达成的调解协议由委托法院审查并出具调解书，不适用司法确认程序（L37）",
        )
    return None


# ---- L22: the registry as data ---------------------------------------------------------


@dataclass(frozen=True)
class JurisdictionRule:
    """An intermediate-rank court takes a dispute of ``categories`` (empty: any) from a sum."""

    categories: frozenset[str]
    min_claim_fen: int | None  # None: the intermediate_court_threshold_fen setting

    def takes(self, category: str, amount_fen: int, threshold_fen: int) -> bool:
        if self.categories and category not in self.categories:
            return False
        floor = threshold_fen if self.min_claim_fen is None else self.min_claim_fen
        return amount_fen >= floor


@dataclass(frozen=True)
class CourtEntry:
    id: int
    code: str
    districts: tuple[str, ...]
    intermediate_rank: bool = False
    rules: tuple[JurisdictionRule, ...] = ()

    @classmethod
    def of(cls, court: Court) -> CourtEntry:
        return cls(
            id=court.id, code=court.code, districts=tuple(court.districts or ()),
            intermediate_rank=court.intermediate_rank,
            rules=tuple(_rule(r) for r in (court.jurisdiction or ())),
        )


def _rule(data: dict[str, Any]) -> JurisdictionRule:
    minimum = data.get("min_claim_fen")
    return JurisdictionRule(frozenset(data.get("categories") or ()),
                            None if minimum is None else int(minimum))


@dataclass(frozen=True)
class Place:
    """A place named on the case: the basis it would found and its text (an address)."""

    basis: Basis
    text: str
    label: str  # what the place is, for the "not in the registry" list


@dataclass(frozen=True)
class Facts:
    channel: str
    category: str
    amount_fen: int  # the larger of the claimed and the agreed sum
    invited_court_id: int | None
    places: tuple[Place, ...]


@dataclass
class Competence:
    court_id: int
    basis: Basis
    bases: list[Basis] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    intermediate_reason: str | None = None  # amount_threshold | specialised


def find_district(text: str, districts: Iterable[str]) -> str | None:
    """The registry district named in ``text``: the earliest mention, the longest on a tie."""
    found: list[tuple[int, int, str]] = []
    for name in set(districts):
        at = text.find(name) if name else -1
        if at >= 0:
            found.append((at, -len(name), name))
    return min(found)[2] if found else None


def _court_for(
    district: str, facts: Facts, registry: Sequence[CourtEntry], threshold_fen: int
) -> tuple[list[CourtEntry], str | None]:
    """The courts of ``district`` for this dispute, and why an intermediate-rank one, if so."""
    specialised: list[CourtEntry] = []
    general: list[CourtEntry] = []
    for court in registry:
        if not court.intermediate_rank or district not in court.districts:
            continue
        for rule in court.rules:
            if rule.takes(facts.category, facts.amount_fen, threshold_fen):
                (specialised if rule.categories else general).append(court)
                break
    if specialised:
        return specialised, "specialised"
    if general:
        return general, "amount_threshold"
    return [c for c in registry if not c.intermediate_rank and district in c.districts], None


def decide_competence(
    facts: Facts, registry: Sequence[CourtEntry], threshold_fen: int
) -> tuple[list[Competence], list[str]]:
    """The competent courts in the order of their first basis, and the unplaced places."""
    found: dict[int, Competence] = {}
    unmatched: list[str] = []

    def add(court_id: int, basis: Basis, place: str, reason: str | None) -> None:
        entry = found.setdefault(court_id, Competence(court_id, basis, intermediate_reason=reason))
        if basis not in entry.bases:
            entry.bases.append(basis)
        if place and place not in entry.places:
            entry.places.append(place)

    places = facts.places
    if facts.invited_court_id is not None:
        add(facts.invited_court_id, Basis.INVITED_COURT, "", None)
        # SMR 19: a delegated mediation may also go to the court where the institution is;
        # a court-invited mediation goes nowhere else.
        places = tuple(p for p in places if p.basis == Basis.INSTITUTION_LOCATION) \
            if facts.channel == CaseChannel.DELEGATED else ()
    districts = [d for court in registry for d in court.districts]
    for place in places:
        district = find_district(place.text, districts)
        courts: list[CourtEntry] = []
        reason = None
        if district is not None:
            courts, reason = _court_for(district, facts, registry, threshold_fen)
        if not courts:
            unmatched.append(place.label)
            continue
        for court in courts:
            add(court.id, place.basis, district or "", reason)
    return list(found.values()), unmatched


# ---- loading the facts -----------------------------------------------------------------


@dataclass(frozen=True)
class CompetentCourt:
    court: Court
    basis: str
    bases: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    intermediate_reason: str | None = None


@dataclass(frozen=True)
class Assessment:
    courts: list[CompetentCourt]
    unmatched: list[str]
    amount_fen: int


async def agreed_sum_fen(session: AsyncSession, agreement: Agreement | None) -> int:
    """The sum of the amounts of the effective version's terms (0 without one)."""
    if agreement is None:
        return 0
    number = agreement.effective_version or agreement.current_version
    content = (await session.execute(
        select(AgreementVersion.content).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number)
    )).scalar_one_or_none() or {}
    return sum(int(t.get("amount_fen") or 0) for t in content.get("terms") or ())


async def assess(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    agreement: Agreement | None,
    *,
    property_location: str = "",
) -> Assessment:
    """Load the case's places and the registry, then ``decide_competence``."""
    parties = (await session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.side, CaseParty.id)
    )).scalars().all()
    places = [Place(Basis.DOMICILE, p.address or "", f"domicile:{p.id}") for p in parties]
    if property_location:
        places.append(Place(Basis.PROPERTY_LOCATION, property_location, "property_location"))
    if case.institution_id is not None:
        institution = await session.get(Institution, case.institution_id)
        if institution is not None:
            text = f"{institution.district} {institution.address}"
            places.append(Place(Basis.INSTITUTION_LOCATION, text, "institution_location"))
    amount = max(case.claim_amount_fen or 0, await agreed_sum_fen(session, agreement))
    invited = case.court_id if case.channel != CaseChannel.ENTRUSTED else None
    facts = Facts(channel=case.channel, category=agreement.category if agreement else case.category,
                  amount_fen=amount, invited_court_id=invited, places=tuple(places))
    courts = {c.id: c for c in (await session.execute(select(Court).order_by(Court.id))).scalars()}
    registry = [CourtEntry.of(c) for c in courts.values()]
    decided, unmatched = decide_competence(facts, registry, settings.intermediate_court_threshold_fen)
    return Assessment(
        courts=[CompetentCourt(courts[c.court_id], str(c.basis), tuple(str(b) for b in c.bases),
                               tuple(c.places), c.intermediate_reason)
                for c in decided if c.court_id in courts],
        unmatched=unmatched, amount_fen=amount,
    )


async def competent_courts(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    agreement: Agreement | None,
    *,
    property_location: str = "",
) -> list[CompetentCourt]:
    """L22: the courts the parties may choose among, each with its basis."""
    return (await assess(session, settings, case, agreement,
                         property_location=property_location)).courts

"""Which court (L22): the table as data, decided without a database, then through the API
on the seeded registry (both backends)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agreements.confirmation.jurisdiction import (
    Basis,
    CourtEntry,
    Facts,
    JurisdictionRule,
    Place,
    decide_competence,
    find_district,
)
from agreements.models import ConfirmationApplication
from odr.services import Services
from tests.agreements.confirmation_party.support import (
    HONGKOU,
    HUANGPU,
    PUDONG,
    as_user,
    effective_world,
)

THRESHOLD = 50_000_000_00  # 5000万元 in fen, as the settings default
FIN = frozenset({"financial_consumer", "banking"})
ANY = JurisdictionRule(frozenset(), None)

REGISTRY = [
    CourtEntry(1, "FIN", ("黄浦区", "浦东新区", "虹口区"), True, (JurisdictionRule(FIN, None),)),
    CourtEntry(2, "HP", ("黄浦区",)),
    CourtEntry(3, "PD", ("浦东新区",)),
    CourtEntry(4, "HK", ("虹口区",)),
    CourtEntry(5, "ZY1", ("浦东新区",), True, (ANY,)),
    CourtEntry(6, "ZY2", ("黄浦区", "虹口区"), True, (ANY,)),
]


def facts(*places: Place, category: str = "general_civil", amount: int = 1_000_000,
          invited: int | None = None, channel: str = "self_filed") -> Facts:
    return Facts(channel=channel, category=category, amount_fen=amount, invited_court_id=invited,
                 places=places)


A = Place(Basis.DOMICILE, HUANGPU, "domicile:1")
B = Place(Basis.DOMICILE, HONGKOU, "domicile:2")
INST = Place(Basis.INSTITUTION_LOCATION, "浦东新区 Pudong", "institution_location")
PROP = Place(Basis.PROPERTY_LOCATION, PUDONG, "property_location")


def codes(found: list) -> list[str]:  # type: ignore[type-arg]
    by_id = {c.id: c.code for c in REGISTRY}
    return [by_id[c.court_id] for c in found]


def test_domicile_of_each_party_names_its_basic_court_L22() -> None:
    found, unmatched = decide_competence(facts(A, B), REGISTRY, THRESHOLD)
    assert codes(found) == ["HP", "HK"]
    assert [c.basis for c in found] == [Basis.DOMICILE, Basis.DOMICILE]
    assert [c.places for c in found] == [["黄浦区"], ["虹口区"]]
    assert unmatched == []


def test_institution_location_and_subject_matter_location_L22() -> None:
    found, _ = decide_competence(facts(A, PROP, INST), REGISTRY, THRESHOLD)
    assert codes(found) == ["HP", "PD"]
    pudong = found[1]
    assert pudong.basis == Basis.PROPERTY_LOCATION
    assert pudong.bases == [Basis.PROPERTY_LOCATION, Basis.INSTITUTION_LOCATION]


def test_invited_court_alone_for_a_court_invited_mediation_L22() -> None:
    found, _ = decide_competence(facts(A, B, INST, invited=2, channel="walk_in"), REGISTRY, THRESHOLD)
    assert codes(found) == ["HP"]
    assert found[0].basis == Basis.INVITED_COURT


def test_delegated_case_choices_invited_court_or_institution_court_L22() -> None:
    """SMR 19 (L37): the delegating court, or the basic court where the institution is;
    the parties' domiciles found nothing here."""
    found, _ = decide_competence(facts(A, B, INST, invited=4, channel="delegated"), REGISTRY,
                                 THRESHOLD)
    assert codes(found) == ["HK", "PD"]
    assert [c.basis for c in found] == [Basis.INVITED_COURT, Basis.INSTITUTION_LOCATION]


def test_intermediate_court_at_the_threshold_instead_of_the_basic_court_L22() -> None:
    below, _ = decide_competence(facts(A, INST, amount=THRESHOLD - 1), REGISTRY, THRESHOLD)
    assert codes(below) == ["HP", "PD"]
    at, _ = decide_competence(facts(A, B, INST, amount=THRESHOLD), REGISTRY, THRESHOLD)
    assert codes(at) == ["ZY2", "ZY1"]
    assert at[0].bases == [Basis.DOMICILE] and at[0].places == ["黄浦区", "虹口区"]
    assert {c.intermediate_reason for c in at} == {"amount_threshold"}


def test_financial_court_takes_financial_disputes_above_the_threshold_L22() -> None:
    found, _ = decide_competence(facts(A, INST, category="banking", amount=THRESHOLD), REGISTRY,
                                 THRESHOLD)
    assert codes(found) == ["FIN"]
    assert found[0].intermediate_reason == "specialised"
    assert found[0].bases == [Basis.DOMICILE, Basis.INSTITUTION_LOCATION]
    below, _ = decide_competence(facts(A, category="banking", amount=THRESHOLD - 1), REGISTRY,
                                 THRESHOLD)
    assert codes(below) == ["HP"]


def test_a_rule_from_zero_takes_its_category_at_any_sum_L22() -> None:
    registry = [*REGISTRY, CourtEntry(7, "IP", ("黄浦区",), True,
                                      (JurisdictionRule(frozenset({"ip_licence"}), 0),))]
    found, _ = decide_competence(facts(A, category="ip_licence", amount=1), registry, THRESHOLD)
    assert [c.court_id for c in found] == [7]


def test_places_outside_the_registry_are_reported_L22() -> None:
    far = Place(Basis.DOMICILE, "北京市朝阳区建国路1号", "domicile:9")
    found, unmatched = decide_competence(facts(far, A), REGISTRY, THRESHOLD)
    assert codes(found) == ["HP"] and unmatched == ["domicile:9"]


@pytest.mark.parametrize(("text", "district"), [
    ("上海市黄浦区南京东路", "黄浦区"),
    ("上海市虹口区黄浦路1号", "虹口区"),  # the street named after another district does not count
    ("浦东新区 Pudong", "浦东新区"),
    ("上海市静安区", None),
])
def test_district_is_parsed_from_the_address(text: str, district: str | None) -> None:
    assert find_district(text, ["黄浦区", "虹口区", "浦东新区"]) == district


# ---- through the API, on the seeded registry ------------------------------------------------


async def _courts(client: httpx.AsyncClient, url: str, **params: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_seeded_registry_domicile_and_institution_courts_L22(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services, institution="SFCDMC")  # 浦东新区
    await as_user(client, services, world.applicant)
    out = await _courts(client, world.courts_url, property_location="上海市浦东新区某路")
    got = [(c["court"]["code"], c["bases"]) for c in out["courts"]]
    assert got == [
        ("SHHPFY", ["domicile"]), ("SHHKFY", ["domicile"]),
        ("SHPDFY", ["property_location", "institution_location"]),
    ]
    assert out["refusal"] is None and out["window"]["open"] is True


async def test_seeded_registry_financial_court_above_threshold_L22(
    services: Services, client: httpx.AsyncClient
) -> None:
    big = services.settings.intermediate_court_threshold_fen
    world = await effective_world(services, category="banking", claim_amount_fen=big)
    await as_user(client, services, world.applicant)
    out = await _courts(client, world.courts_url)
    assert [c["court"]["code"] for c in out["courts"]] == ["SHJRFY"]
    assert out["courts"][0]["intermediate_reason"] == "specialised"
    # A basic court is no longer competent: choosing it is refused and nothing is stored.
    refused = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "court_not_competent"
    assert refused.json()["error"]["details"]["competent_court_ids"] == [world.courts["SHJRFY"]]
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(ConfirmationApplication))).first() is None
    ok = await client.post(world.apply_url, json=world.body("SHJRFY"))
    assert ok.status_code == 201, ok.text


async def test_seeded_registry_intermediate_court_for_general_disputes_L22(
    services: Services, client: httpx.AsyncClient
) -> None:
    big = services.settings.intermediate_court_threshold_fen
    world = await effective_world(services, category="general_civil", claim_amount_fen=big,
                                  institution="SFCDMC")
    await as_user(client, services, world.applicant)
    out = await _courts(client, world.courts_url)
    assert [c["court"]["code"] for c in out["courts"]] == ["SH2ZY", "SH1ZY"]
    assert all(c["court"]["intermediate_rank"] for c in out["courts"])


async def test_seeded_registry_delegated_case_choices_L22(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services, channel="delegated", court="SHHKFY",
                                  institution="SFCDMC")
    await as_user(client, services, world.respondent)
    out = await _courts(client, world.courts_url)
    assert [(c["court"]["code"], c["basis"]) for c in out["courts"]] == [
        ("SHHKFY", "invited_court"), ("SHPDFY", "institution_location"),
    ]
    # The applicant's domicile court is not among a delegated case's choices.
    refused = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert refused.status_code == 422
    started = await client.post(world.apply_url, json=world.body("SHHKFY"))
    assert started.status_code == 201 and started.json()["competence_basis"] == "invited_court"

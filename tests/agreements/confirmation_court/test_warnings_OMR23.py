"""OMR 23: sham-mediation signs for the judge; each fires on crafted data, none on clean data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from agreements.confirmation.warnings import Act, Acts, detect
from agreements.models import AgreementVersion
from odr.cases.models import AgentAuthorization, CaseParticipant
from odr.services import Services
from tests.agreements.confirmation_court.support import as_user, court_world
from tests.factories import make_user

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
BIG = 100_000_000
WITHIN = timedelta(minutes=60)


def acts(*extra: Act) -> list[Act]:
    return [Act("signature", 1, 10, "applicant", 100, "10.0.0.1", "dev-a"),
            Act("signature", 2, 20, "respondent", 200, "10.0.0.2", "dev-b"), *extra]


def codes(data: Acts) -> list[str]:
    return [w.code for w in detect(data, sum_threshold_fen=BIG, within=WITHIN)]


def test_clean_facts_raise_no_sign() -> None:
    assert codes(Acts(acts(), 5_000_000, T0, T0 + timedelta(days=3))) == []
    # The same address on the same side (a couple's two signatures) is no sign.
    same_side = Act("join", 3, 11, "applicant", 101, "10.0.0.1", "dev-a")
    assert codes(Acts(acts(same_side), 5_000_000, T0, T0 + timedelta(days=3))) == []


def test_same_address_of_opposing_parties() -> None:
    join = Act("join", 3, 20, "respondent", 200, "10.0.0.1", "dev-c")
    found = detect(Acts(acts(join), 0, T0, None), sum_threshold_fen=BIG, within=WITHIN)
    assert [w.code for w in found] == ["same_ip"]
    assert found[0].details["client_ip"] == "10.0.0.1"


def test_same_device_of_opposing_parties() -> None:
    join = Act("join", 3, 20, "respondent", 200, "10.0.0.9", "dev-a")
    assert codes(Acts(acts(join), 0, T0, None)) == ["same_device"]


def test_one_person_for_both_sides() -> None:
    grant_a = Act("authorization", 5, 10, "applicant", 300)
    grant_b = Act("authorization", 6, 20, "respondent", 300)
    assert codes(Acts(acts(grant_a, grant_b), 0, T0, None)) == ["one_agent_both_sides"]


def test_large_sum_agreed_within_minutes_of_filing() -> None:
    assert codes(Acts(acts(), BIG, T0, T0 + timedelta(minutes=30))) == ["large_sum_fast"]
    assert codes(Acts(acts(), BIG - 1, T0, T0 + timedelta(minutes=30))) == []
    assert codes(Acts(acts(), BIG, T0, T0 + timedelta(minutes=61))) == []


async def test_warnings_route_shows_every_sign_on_crafted_data(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(
        services, case_created_minutes_before=10,
        join_facts={"applicant": ("203.0.113.7", "j-a"), "respondent": ("203.0.113.7", "j-b")},
        sign_facts={"applicant": ("198.51.100.1", "same"), "respondent": ("198.51.100.2", "same")},
    )
    agent = await make_user(services, "agent")
    now = services.clock.now()
    async with services.db.uow() as uow:
        for party_id in w.made.party_ids.values():
            uow.session.add(AgentAuthorization(
                case_id=w.made.case.id, party_id=party_id, agent_user_id=agent.id,
                scopes=["general"], valid_from=now, created_at=now))
        uow.session.add(CaseParticipant(case_id=w.made.case.id, user_id=agent.id, role="agent",
                                        party_id=w.made.party_ids["applicant"], created_at=now))
        version = (await uow.session.execute(select(AgreementVersion).where(
            AgreementVersion.agreement_id == w.made.agreement.id))).scalar_one()
        content = dict(version.content)
        content["terms"] = [{**content["terms"][0], "amount_fen": 500_000_000}]
        version.content = content
    await as_user(client, services, w.judge)
    r = await client.get(f"{w.base}/warnings")
    assert r.status_code == 200, r.text
    assert sorted(x["code"] for x in r.json()["warnings"]) == [
        "large_sum_fast", "one_agent_both_sides", "same_device", "same_ip"]
    queue = (await client.get("/api/v1/court/confirmations")).json()["items"]
    assert queue[0]["warning_count"] == 4
    await as_user(client, services, w.applicant)
    assert (await client.get(f"{w.base}/warnings")).status_code == 403  # for the court only


async def test_warnings_route_is_empty_on_clean_data(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    r = await client.get(f"{w.base}/warnings")
    assert r.status_code == 200 and r.json()["warnings"] == [] and r.json()["count"] == 0
    await as_user(client, services, w.other_judge)
    assert (await client.get(f"{w.base}/warnings")).status_code == 403

"""The public roster (L4): the nine designated institutions with their facts, and each
mediator's public profile, never private data."""

from __future__ import annotations

import httpx

from mediators import profiles
from mediators.models import MediatorStatus
from odr.orgs.seed import load_seed
from odr.services import Services
from tests.mediators.support import add_mediator, org

# The nine institutions of the Shanghai Financial Court's litigation-service notice (issue 4).
NINE = {
    "Shanghai Financial Consumer Dispute Mediation Center",
    "Shanghai Banking and Insurance Dispute Mediation Center",
    "China Securities Legal Service Center Co., Ltd.",
    "Shanghai Commercial and Trade Mediation Center",
    "Shanghai Capital Market People's Mediation Committee",
    "Shanghai Federation of Industry and Commerce Civil-Commercial Mediation Committee",
    "Shanghai Financial Leasing Association People's Mediation Committee",
    "Shanghai Hongkou District Joint People's Mediation Committee",
    "Shanghai Pudong New District Financial Dispute People's Mediation Committee",
}
KINDS = {"peoples_mediation_committee", "industry_mediation_centre", "commercial"}
CATEGORIES = {"financial_consumer", "banking", "insurance", "securities", "capital_market",
              "commercial_trade", "financial_leasing", "private_enterprise", "general_civil"}


def test_the_seed_holds_the_nine_designated_institutions_L4() -> None:
    institutions = load_seed()["institutions"]
    assert {i["name_en"] for i in institutions} == NINE
    for inst in institutions:
        assert inst["name_zh"].startswith(("上海", "中证")) and inst["kind"] in KINDS
        assert inst["categories"] and set(inst["categories"]) <= CATEGORIES
        assert inst["district"] and isinstance(inst["charges_fees"], bool)
        assert inst["inviting_court"] == "SHJRFY"
        assert inst["description_zh"] and inst["description_en"]
    # Every category has at least one institution that takes it.
    assert set().union(*(i["categories"] for i in institutions)) == CATEGORIES


async def test_the_public_roster_shows_institutions_and_mediators_without_private_data_L4(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    m = await add_mediator(services, o, specialties=["banking", "financial_consumer"],
                           languages=["zh", "en"])
    gone = await add_mediator(services, o)
    await profiles.set_status(services, o.admin_actor, gone.id, status=MediatorStatus.LEFT,
                              reason="退休")
    r = await client.get("/api/v1/roster")  # anonymous: public
    assert r.status_code == 200, r.text
    institutions = r.json()["institutions"]
    assert len(institutions) == 9
    first = institutions[0]
    assert first["name_zh"] == "上海市金融消费纠纷调解中心"
    assert first["inviting_court"]["name_zh"] == "上海金融法院"
    assert first["charges_fees"] is False and first["kind"] == "industry_mediation_centre"
    (shown,) = first["mediators"]
    assert shown == {"id": m.id, "name": m.real_name, "title": "调解员", "bio_zh": "", "bio_en": "",
                     "specialties": ["banking", "financial_consumer"], "languages": ["zh", "en"],
                     "institution_id": o.institution_id, "status": "active"}
    # Exactly the public facts: no mobile, identity document, load or capacity, at any level.
    assert set(first) == {
        "id", "code", "name_zh", "name_en", "kind", "categories", "district", "address", "phone",
        "charges_fees", "description_zh", "description_en", "inviting_court", "mediators",
    }
    assert set(first["inviting_court"]) == {"id", "code", "name_zh", "name_en"}
    assert all(set(entry) == set(shown) for i in institutions for entry in i["mediators"])


async def test_the_roster_filters_by_category_and_institution_L4(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    banker = await add_mediator(services, o, specialties=["banking"])
    await add_mediator(services, o, specialties=["insurance"])
    leasing = (await client.get("/api/v1/roster", params={"category": "financial_leasing"})).json()
    assert {i["code"] for i in leasing["institutions"]} == {"SCMC", "SFLAMC", "PDFDMC"}
    banking = (await client.get("/api/v1/roster", params={"category": "banking",
                                                           "institution_id": o.institution_id})).json()
    (inst,) = banking["institutions"]
    assert [p["id"] for p in inst["mediators"]] == [banker.id]
    assert (await client.get("/api/v1/roster", params={"category": "astrology"})).status_code == 422
    one = await client.get(f"/api/v1/roster/mediators/{banker.id}")
    assert one.status_code == 200 and one.json()["specialties"] == ["banking"]
    assert (await client.get("/api/v1/roster/mediators/999999")).status_code == 404

"""What no court confirms (L24) and what never goes to confirmation (L37): a clear 4xx with
the reason, and nothing stored."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agreements.confirmation.jurisdiction import SUBJECT_KINDS, excluded_matter
from agreements.models import ConfirmationApplication
from odr.services import Services
from tests.agreements.confirmation_party.support import (
    as_user,
    case_row,
    effective_world,
    event_kinds,
)
from tests.factories import make_agreement, make_case, make_user


@pytest.mark.parametrize("kind", ["status_relationship", "special_procedure", "public_summons",
                                  "bankruptcy", "property_ownership", "ip_ownership"])
def test_excluded_kinds_carry_their_reason_L24(kind: str) -> None:
    refusal = excluded_matter(kind, personal_status=None, categories=("banking",))
    assert refusal is not None and refusal.rule == "L24" and "不予受理" in refusal.reason
    assert SUBJECT_KINDS[kind].excluded


def test_personal_status_and_category_count_whatever_kind_is_stated_L24() -> None:
    assert excluded_matter("debt", personal_status="marriage", categories=()) is not None
    assert excluded_matter("debt", personal_status="adoption", categories=()) is not None
    assert excluded_matter("debt", personal_status="none", categories=("marriage_family",)) is not None
    assert excluded_matter("debt", personal_status="inheritance", categories=("banking",)) is None


async def test_excluded_matter_is_refused_with_the_reason_and_nothing_stored_L24(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    before = await event_kinds(services, world.case_id)
    refused = await client.post(world.apply_url,
                                json=world.body("SHHPFY", subject_kind="property_ownership"))
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "excluded_matter" and error["details"]["rule"] == "L24"
    assert "物权确权" in error["message"]
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(ConfirmationApplication))).first() is None
    assert await event_kinds(services, world.case_id) == before
    courts = (await client.get(world.courts_url, params={"subject_kind": "status_relationship"}))
    assert courts.status_code == 200
    assert courts.json()["refusal"]["code"] == "excluded_matter" and courts.json()["courts"] == []
    kinds = {k["key"]: k["excluded"] for k in courts.json()["subject_kinds"]}
    assert kinds["debt"] is False and kinds["bankruptcy"] is True
    unknown = await client.post(world.apply_url, json=world.body("SHHPFY", subject_kind="nonsense"))
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_subject_kind"


async def test_entrusted_case_never_applies_L37(services: Services, client: httpx.AsyncClient) -> None:
    """An agreement reached after filing (委托) goes back to the court: 409, state unchanged."""
    world = await effective_world(services, take_effect=False)
    entrusted_party = await make_user(services, "party", password=None)
    other = await make_user(services, "party", password=None)
    case = await make_case(services, applicant=entrusted_party, respondent=other,
                           status="agreement_effective", channel="entrusted",
                           court_id=world.courts["SHHPFY"], procedure="ordinary",
                           institution_id=world.institutions["SCMC"])
    agreement = await make_agreement(services, case, author=world.mediator, status="effective")
    from agreements.models import Agreement

    async with services.db.uow() as uow:
        row = await uow.session.get(Agreement, agreement.id)
        assert row is not None
        row.effective_at, row.effective_version = services.clock.now(), 1
    await as_user(client, services, entrusted_party)
    refused = await client.post(f"/api/v1/cases/{case.id}/confirmation-applications", json={
        "agreement_id": agreement.id, "court_id": world.courts["SHHPFY"], "subject_kind": "debt"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "entrusted_case"
    assert refused.json()["error"]["details"]["rule"] == "L37"
    courts = await client.get(f"/api/v1/cases/{case.id}/confirmation/courts")
    assert courts.status_code == 200
    assert courts.json()["refusal"]["code"] == "entrusted_case" and courts.json()["courts"] == []
    assert (await case_row(services, case.id)).status == "agreement_effective"
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(ConfirmationApplication))).first() is None

"""The shared agreement factories write rows the drafting checks accept (L15)."""

from __future__ import annotations

from agreements.content import AgreementContent
from agreements.drafting.checks import problems
from odr.clock import to_local
from odr.services import Services
from tests.agreements.drafting.support import load, make_world
from tests.factories import add_signature, make_agreement


async def test_make_agreement_writes_a_signable_version_one_L15(services: Services) -> None:
    w = await make_world(services)
    agreement = await make_agreement(services, w.case, author=w.mediator)
    signature = await add_signature(services, agreement, role="party", signer=w.applicant,
                                    party_id=w.applicant_party_id)

    row, versions, signatures = await load(services, agreement.id)
    assert (row.status, row.current_version, [v.number for v in versions]) == ("draft", 1, [1])
    content = AgreementContent.model_validate(versions[0].content)
    today = to_local(services.clock.now()).date()
    assert problems(content, party_ids={w.applicant_party_id, w.respondent_party_id},
                    channel="self_filed", today=today) == []
    assert [s.id for s in signatures] == [signature.id]
    assert signatures[0].content_sha256 == versions[0].content_sha256

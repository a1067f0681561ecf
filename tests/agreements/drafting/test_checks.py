"""The L15 content checks the signing flow runs before any signature, by id."""

from __future__ import annotations

from datetime import date, timedelta

from agreements.content import AgreementContent, PartyBlock, Term
from agreements.drafting.checks import MAX_AMOUNT_FEN, problems

TODAY = date(2026, 11, 25)
PARTIES = {11, 12}


def content(**changes: object) -> AgreementContent:
    base = AgreementContent(
        parties=[
            PartyBlock(party_id=11, side="applicant", kind="person", name="张三"),
            PartyBlock(party_id=12, side="respondent", kind="organisation", name="某银行"),
        ],
        facts="借款纠纷", disputed_matters="本金与利息",
        terms=[Term(key="t1", obligor_party_ids=[12], obligee_party_ids=[11], text="支付一万元",
                    amount_fen=1_000_000, manner="银行转账", due_on=TODAY + timedelta(days=30))],
    )
    return base.model_copy(update=changes)


def codes(c: AgreementContent, channel: str = "self_filed") -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in problems(c, party_ids=PARTIES, channel=channel, today=TODAY)}


def test_complete_content_has_no_problem_L15() -> None:
    assert codes(content()) == set()


def test_every_party_of_the_case_must_be_named_L15() -> None:
    only_one = content(parties=content().parties[:1])
    assert ("parties", "party_missing") in codes(only_one)


def test_a_stranger_cannot_be_a_party_or_obligor_L15() -> None:
    stranger = content(parties=[*content().parties,
                                PartyBlock(party_id=99, side="respondent", kind="person", name="王五")])
    assert ("parties", "unknown_party") in codes(stranger)
    term = content().terms[0].model_copy(update={"obligor_party_ids": [99]})
    assert ("terms.t1.obligor_party_ids", "unknown_party") in codes(content(terms=[term]))


def test_facts_and_disputed_matters_are_required_L15() -> None:
    assert codes(content(facts=" ", disputed_matters="")) == {
        ("facts", "required"), ("disputed_matters", "required")}


def test_at_least_one_term_with_an_obligor_L15() -> None:
    assert codes(content(terms=[])) == {("terms", "required")}
    nobody = content().terms[0].model_copy(update={"obligor_party_ids": []})
    assert ("terms.t1.obligor_party_ids", "required") in codes(content(terms=[nobody]))


def test_a_term_with_an_amount_needs_manner_and_deadline_L15() -> None:
    bare = content().terms[0].model_copy(update={"manner": "", "due_on": None})
    assert codes(content(terms=[bare])) == {("terms.t1.manner", "required"),
                                            ("terms.t1.due_on", "required")}


def test_a_term_without_amount_may_omit_its_schedule_outside_court_invited_mediation_L15() -> None:
    apology = Term(key="apology", obligor_party_ids=[12], text="书面道歉")
    assert codes(content(terms=[apology])) == set()


def test_court_invited_mediation_needs_manner_and_deadline_of_every_term_L15() -> None:
    apology = Term(key="apology", obligor_party_ids=[12], text="书面道歉")
    for channel in ("delegated", "entrusted"):
        assert codes(content(terms=[apology]), channel) == {
            ("terms.apology.manner", "required"), ("terms.apology.due_on", "required")}


def test_amounts_are_capped_L15() -> None:
    huge = content().terms[0].model_copy(update={"amount_fen": MAX_AMOUNT_FEN + 1})
    assert ("terms.t1.amount_fen", "amount_out_of_range") in codes(content(terms=[huge]))


def test_deadlines_not_past_and_not_beyond_ten_years_L15() -> None:
    past = content().terms[0].model_copy(update={"due_on": TODAY - timedelta(days=1)})
    assert ("terms.t1.due_on", "date_in_past") in codes(content(terms=[past]))
    today = content().terms[0].model_copy(update={"due_on": TODAY})
    assert codes(content(terms=[today])) == set()
    far = content().terms[0].model_copy(update={"due_on": date(2036, 11, 26)})
    assert ("terms.t1.due_on", "date_too_far") in codes(content(terms=[far]))
    edge = content().terms[0].model_copy(update={"due_on": date(2036, 11, 25)})
    assert codes(content(terms=[edge])) == set()


def test_duplicate_term_keys_are_a_problem() -> None:
    t = content().terms[0]
    assert ("terms", "duplicate_key") in codes(content(terms=[t, t]))

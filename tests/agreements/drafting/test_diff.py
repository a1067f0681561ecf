"""The version diff: parties by id, terms by key, old and new values."""

from __future__ import annotations

from datetime import date

from agreements.content import AgreementContent, PartyBlock, Term
from agreements.drafting.diff import diff


def content(*terms: Term, name: str = "张三") -> AgreementContent:
    return AgreementContent(
        parties=[PartyBlock(party_id=1, side="applicant", kind="person", name=name)],
        facts="事实", terms=list(terms))


A = Term(key="a", obligor_party_ids=[1], text="支付", amount_fen=100, manner="转账",
         due_on=date(2027, 1, 1))
B = Term(key="b", obligor_party_ids=[1], text="道歉")


def test_terms_are_matched_by_key_and_changed_fields_named() -> None:
    changed = A.model_copy(update={"due_on": date(2027, 2, 1)})
    assert [c.as_dict() for c in diff(content(A), content(changed))] == [
        {"field": "terms.a.due_on", "change": "changed", "old": "2027-01-01", "new": "2027-02-01"}]


def test_added_removed_and_reordered_terms() -> None:
    assert [(c.field, c.change) for c in diff(content(A), content(A, B))] == [("terms.b", "added")]
    assert [(c.field, c.change) for c in diff(content(A, B), content(B))] == [("terms.a", "removed")]
    assert [(c.field, c.old, c.new) for c in diff(content(A, B), content(B, A))] == [
        ("terms.order", ["a", "b"], ["b", "a"])]


def test_parties_by_id_and_plain_fields() -> None:
    assert [(c.field, c.old, c.new) for c in diff(content(A), content(A, name="李四"))] == [
        ("parties.1.name", "张三", "李四")]
    assert diff(content(A), content(A)) == []

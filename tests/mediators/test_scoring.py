"""The engine's pure rules: eligibility one rule at a time, the score's parts, the tie-break,
the institution rule, and availability before the deadline."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from mediators.availability import Leave, Window, available_between
from mediators.institutions import InstitutionFacts, explain_choice, rank_institutions
from mediators.scoring import (
    CaseFacts,
    MediatorFacts,
    Rule,
    failed_rules,
    pair_parts,
    rank,
    slot_cost,
)

CASE = CaseFacts(case_id=1, category="banking", languages=frozenset({"zh"}), district="浦东新区",
                 institution_id=10)


def mediator(user_id: int = 7, **kw: object) -> MediatorFacts:
    values: dict[str, object] = {
        "institution_id": 10, "specialties": ("banking",), "capacity": 5, "load": 1,
        "district": "浦东新区 Pudong",
    }
    values.update(kw)
    return MediatorFacts(user_id=user_id, **values)  # type: ignore[arg-type]


def test_an_active_specialised_free_available_mediator_is_eligible() -> None:
    assert failed_rules(CASE, mediator()) == []


@pytest.mark.parametrize(("change", "flags", "rule"), [
    ({"active": False}, {}, Rule.STATUS),
    ({"institution_id": 11}, {}, Rule.INSTITUTION),
    ({"specialties": ("insurance",)}, {}, Rule.SPECIALTY),
    ({}, {"excluded": True}, Rule.EXCLUDED),
    ({}, {"conflicted": True}, Rule.CONFLICT),
    ({"load": 5}, {}, Rule.CAPACITY),
    ({"available": False}, {}, Rule.AVAILABILITY),
], ids=lambda v: str(v) if isinstance(v, Rule) else "")
def test_each_eligibility_rule_alone_makes_a_mediator_ineligible(
    change: dict[str, object], flags: dict[str, bool], rule: Rule
) -> None:
    assert failed_rules(CASE, mediator(**change), **flags) == [rule]


def test_a_mediator_failing_several_rules_lists_them_in_rule_order() -> None:
    got = failed_rules(CASE, mediator(active=False, load=5), conflicted=True)
    assert got == [Rule.STATUS, Rule.CONFLICT, Rule.CAPACITY]


def test_a_case_without_institution_accepts_mediators_of_any_institution() -> None:
    free = CaseFacts(case_id=1, category="banking")
    assert failed_rules(free, mediator(institution_id=99)) == []


def test_score_parts_specialty_fit_language_location_outcomes_and_load() -> None:
    english = CaseFacts(case_id=2, category="banking", languages=frozenset({"zh", "en"}),
                        district="黄浦区", institution_id=10)
    m = mediator(specialties=("insurance", "banking"), agreed=8, closed=10, load=2, capacity=5)
    parts = pair_parts(english, m)
    assert parts == {"specialty_fit": 100, "language": 300, "location": 100,
                     "outcomes": round(200 * (1 - 9 / 12))}
    ranked = rank(english, [m])
    assert ranked.candidates[0].parts["load"] == slot_cost(2, 5) == 100  # 100*(2*2+1)/5


def test_slot_cost_is_convex_and_evens_out_utilisation() -> None:
    costs = [slot_cost(load, 10) for load in range(10)]
    steps = [b - a for a, b in itertools.pairwise(costs)]
    assert costs == sorted(costs) and min(steps) >= 0 and costs[-1] > costs[0]
    # The marginal cost follows utilisation (about 200 * L / C), whatever the capacity:
    # a mediator at 40% costs about the same whether it has 5 or 25 places.
    same_utilisation = abs(slot_cost(2, 5) - slot_cost(10, 25))
    assert same_utilisation < abs(slot_cost(2, 5) - slot_cost(4, 5)) / 4


def test_the_cheapest_eligible_mediator_ranks_first_and_ties_break_deterministically() -> None:
    a = mediator(user_id=3, load=2)
    b = mediator(user_id=2, load=2)
    c = mediator(user_id=1, load=2, specialties=("insurance", "banking"))
    d = mediator(user_id=4, load=0)
    ranking = rank(CASE, [a, b, c, d])
    assert [s.mediator.user_id for s in ranking.candidates] == [4, 2, 3, 1]
    again = rank(CASE, [c, d, b, a])
    assert [s.mediator.user_id for s in again.candidates] == [4, 2, 3, 1]


def test_equal_cost_breaks_on_lower_utilisation_then_lower_id() -> None:
    small = mediator(user_id=9, load=0, capacity=3)  # slot cost round(100/3) = 33
    big = mediator(user_id=8, load=5, capacity=33)  # slot cost round(1100/33) = 33, utilisation 6/33
    ranking = rank(CASE, [small, big])
    assert [s.cost for s in ranking.candidates] == [ranking.candidates[0].cost] * 2
    assert [s.mediator.user_id for s in ranking.candidates] == [8, 9]


def test_ranking_says_why_no_one_is_eligible() -> None:
    ranking = rank(CASE, [mediator(user_id=1, load=5), mediator(user_id=2)], conflicts={2})
    assert ranking.candidates == []
    assert ranking.refusal_counts() == {"capacity": 1, "conflict": 1}
    assert "conflict of interest" in ranking.why_none() and "no capacity" in ranking.why_none()


def test_an_override_may_set_aside_specialty_but_never_capacity() -> None:
    ranking = rank(CASE, [mediator(user_id=1, specialties=("insurance",)), mediator(user_id=2, load=5)],
                   ignore=frozenset({Rule.SPECIALTY}))
    assert [s.mediator.user_id for s in ranking.candidates] == [1]
    assert ranking.refused == {2: [Rule.CAPACITY]}


# ---------------------------------------------------------------- institutions


INSTITUTIONS = [
    InstitutionFacts(1, ("banking", "insurance"), "浦东新区 Pudong"),
    InstitutionFacts(2, ("banking",), "黄浦区 Huangpu"),
    InstitutionFacts(3, ("banking",), "黄浦区 Huangpu"),
    InstitutionFacts(4, ("securities",), "黄浦区 Huangpu"),
    InstitutionFacts(5, ("banking",), "虹口区 Hongkou", active=False),
]


def people(loads: dict[int, tuple[int, int]]) -> list[MediatorFacts]:
    return [mediator(user_id=i, institution_id=i, load=load, capacity=cap)
            for i, (load, cap) in loads.items()]


def test_institution_by_category_then_location_then_load() -> None:
    case = CaseFacts(case_id=1, category="banking", district="黄浦区")
    ranked, refused = rank_institutions(case, INSTITUTIONS, people({1: (0, 10), 2: (5, 10), 3: (2, 10)}))
    assert [r.id for r in ranked] == [3, 2, 1]  # Huangpu first, the less loaded of the two first
    assert set(refused) == {4, 5}
    explained = explain_choice(case, ranked, refused)
    assert explained["chosen"] == 3 and "district" in str(explained["why"])
    assert "category, then location" in str(explained["rule"])


def test_an_institution_without_a_specialised_mediator_does_not_qualify() -> None:
    case = CaseFacts(case_id=1, category="banking", district="虹口区")
    ranked, refused = rank_institutions(case, INSTITUTIONS, people({1: (9, 10)}))
    assert [r.id for r in ranked] == [1]
    assert "no active mediator" in refused[2]
    assert explain_choice(case, ranked, refused)["why"] == "the only institution that takes this category"


# ---------------------------------------------------------------- availability


MONDAY_9 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai
THURSDAY_END = datetime(2026, 11, 5, 16, 0, tzinfo=UTC)  # Friday 00:00 Shanghai


def test_no_weekly_hours_means_available_unless_on_leave() -> None:
    assert available_between([], [], MONDAY_9, THURSDAY_END)
    assert not available_between([], [Leave(date(2026, 11, 1), date(2026, 11, 6))], MONDAY_9,
                                 THURSDAY_END)


def test_weekly_hours_before_the_deadline_count_leave_does_not() -> None:
    friday_only = [Window(4, 9 * 60, 17 * 60)]
    assert not available_between(friday_only, [], MONDAY_9, THURSDAY_END)
    wednesday = [Window(2, 9 * 60, 12 * 60)]
    assert available_between(wednesday, [], MONDAY_9, THURSDAY_END)
    assert not available_between(wednesday, [Leave(date(2026, 11, 4), date(2026, 11, 4))],
                                 MONDAY_9, THURSDAY_END)


def test_hours_already_past_today_do_not_count() -> None:
    monday_morning = [Window(0, 7 * 60, 8 * 60)]  # ended before 09:00
    assert not available_between(monday_morning, [], MONDAY_9, THURSDAY_END)


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError):
        Window(0, 600, 600)

"""Batch mode: the global optimisation assigns as many cases as possible at least cost,
respecting capacity, conflicts and exclusions, and matches an exact per-pair min-cost flow."""

from __future__ import annotations

import random

import pytest

from mediators.flow import _exact_flow, solve_batch
from mediators.scoring import DEFAULT_WEIGHTS, CaseFacts, MediatorFacts, pair_parts, slot_cost

CATEGORIES = ["banking", "insurance", "securities"]
DISTRICTS = ["浦东新区", "黄浦区", "虹口区"]


def instance(seed: int, n_cases: int = 60, n_mediators: int = 12) -> tuple[
        list[CaseFacts], list[MediatorFacts], set[tuple[int, int]]]:
    rng = random.Random(seed)
    mediators = []
    for j in range(n_mediators):
        cap = rng.randint(2, 8)
        mediators.append(MediatorFacts(
            user_id=100 + j, institution_id=1 + j % 2,
            specialties=tuple(rng.sample(CATEGORIES, rng.randint(1, 2))), capacity=cap,
            load=rng.randint(0, cap // 2), district=rng.choice(DISTRICTS),
            languages=frozenset({"zh", "en"}) if rng.random() < 0.3 else frozenset({"zh"}),
            available=rng.random() > 0.15,
        ))
    cases = [CaseFacts(case_id=i, category=rng.choice(CATEGORIES), district=rng.choice(DISTRICTS),
                       languages=frozenset({"zh", "en"}) if rng.random() < 0.2 else frozenset({"zh"}))
             for i in range(n_cases)]
    conflicts = {(c.case_id, m.user_id) for c in cases for m in mediators if rng.random() < 0.1}
    return cases, mediators, conflicts


def price(cases: list[CaseFacts], mediators: list[MediatorFacts], chosen: dict[int, int]) -> int:
    loads = {m.user_id: m.load for m in mediators}
    by_id = {m.user_id: m for m in mediators}
    total = 0
    for case in sorted(cases, key=lambda c: c.case_id):
        if case.case_id in chosen:
            m = by_id[chosen[case.case_id]]
            total += sum(pair_parts(case, m).values()) + slot_cost(loads[m.user_id], m.capacity)
            loads[m.user_id] += 1
    return total


@pytest.mark.parametrize("seed", range(8))
def test_batch_equals_the_exact_optimum_and_breaks_no_rule(seed: int) -> None:
    cases, mediators, conflicts = instance(seed)
    excluded = {0: frozenset({100, 101})}
    result = solve_batch(cases, mediators, conflicts=lambda c, m: (c, m) in conflicts,
                         excluded=excluded)
    usable = [m for m in mediators if m.active and m.available and m.free > 0]
    exact = _exact_flow(cases, usable, {m.user_id: m.load for m in usable},
                        lambda c, m: (c, m) in conflicts, excluded, DEFAULT_WEIGHTS)
    assert len(result.assignments) == len(exact)  # as many cases as possible
    assert result.cost == price(cases, mediators, result.assignments)
    assert result.cost == result.lower_bound  # provably optimal
    assert result.cost == price(cases, mediators, exact)
    loads = {m.user_id: m.load for m in mediators}
    by_id = {m.user_id: m for m in mediators}
    for case in cases:
        m_id = result.assignments.get(case.case_id)
        if m_id is None:
            continue
        loads[m_id] += 1
        assert (case.case_id, m_id) not in conflicts
        assert m_id not in excluded.get(case.case_id, ())
        assert by_id[m_id].available and case.category in by_id[m_id].specialties
    assert all(loads[m.user_id] <= m.capacity for m in mediators)
    assert set(result.unassigned) == {c.case_id for c in cases} - set(result.assignments)


def test_batch_spreads_load_instead_of_filling_the_cheapest_mediator() -> None:
    near = MediatorFacts(user_id=1, institution_id=1, specialties=("banking",), capacity=10,
                         district="黄浦区")
    far = MediatorFacts(user_id=2, institution_id=1, specialties=("banking",), capacity=10,
                        district="浦东新区")
    cases = [CaseFacts(case_id=i, category="banking", district="黄浦区") for i in range(10)]
    result = solve_batch(cases, [near, far])
    per = {1: 0, 2: 0}
    for m in result.assignments.values():
        per[m] += 1
    # A greedy engine would give all ten to the nearer mediator; the convex load cost does not.
    assert per[1] > per[2] > 0 and per[1] + per[2] == 10


def test_batch_is_deterministic() -> None:
    cases, mediators, conflicts = instance(3)
    first = solve_batch(cases, mediators, conflicts=lambda c, m: (c, m) in conflicts)
    again = solve_batch(list(reversed(cases)), list(reversed(mediators)),
                        conflicts=lambda c, m: (c, m) in conflicts)
    assert first.assignments == again.assignments


def test_a_case_whose_only_mediator_conflicts_stays_unassigned() -> None:
    only = MediatorFacts(user_id=1, institution_id=1, specialties=("banking",), capacity=5)
    cases = [CaseFacts(case_id=1, category="banking"), CaseFacts(case_id=2, category="banking")]
    result = solve_batch(cases, [only], conflicts=lambda c, m: c == 1)
    assert result.assignments == {2: 1} and result.unassigned == [1]

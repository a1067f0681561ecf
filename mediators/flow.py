"""Batch assignment: a whole day's intake at once, by min-cost flow with convex slot costs.

The objective is the one ``mediators.scoring`` prices a single assignment
with: for every case given to a mediator its pair cost (specialty fit,
language, location, outcomes), plus for every mediator the convex load cost
of the slots it fills (``slot_cost``: each further case costs more). First as
many cases as possible are assigned (maximum flow), then at the least cost.

Cases with the same ``CaseFacts.class_key`` cost the same with every
mediator; only conflicts tell them apart. So the optimiser works in two steps:

1. **Aggregate**: a min-cost flow source -> case class -> mediator -> slot ->
   sink, with one unit-capacity arc per free slot of each mediator carrying
   that slot's marginal cost. Arcs exist only for eligible (class, mediator)
   pairs; conflicts are ignored here. Solved exactly by OR-Tools' network flow
   solver on a few thousand arcs instead of one arc per (case, mediator) pair.
2. **Disaggregate**: each class's flow to each mediator becomes a quota; the
   class's cases are matched to quotas avoiding conflict pairs (a bipartite
   b-matching, greedy then augmenting paths).

The aggregate optimum is a lower bound of the true optimum (it relaxes the
conflicts); when every quota is filled, the result has exactly that cost and is
therefore optimal. When a conflict keeps cases out of a quota (rare: the class
would need a mediator all its remaining cases conflict with), those cases are
taken out of their class, given arcs of their own without the conflicting
pairs, and the flow is solved again; cases with exclusions (mediators who
declined them) have their own arcs from the start. Each round makes more cases
exact, so the loop ends, at worst with the per-pair flow (``_exact_flow`` is
that flow, kept as the reference the tests compare with).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow

from mediators.scoring import (
    DEFAULT_WEIGHTS,
    CaseFacts,
    MediatorFacts,
    Weights,
    failed_rules,
    pair_parts,
    slot_cost,
)

Conflicts = Callable[[int, int], bool]  # (case_id, mediator user id) -> in conflict


@dataclass
class BatchResult:
    assignments: dict[int, int]  # case_id -> mediator user id
    unassigned: list[int]
    cost: int  # pair costs + slot costs of the assignments
    lower_bound: int  # the aggregate optimum (conflicts relaxed); cost == lower_bound: optimal
    extra_rounds: int = 0  # flows solved again after conflicts kept cases out of a quota
    parts: dict[int, dict[str, int]] = field(default_factory=dict)  # case_id -> cost parts


def _no_conflicts(_case: int, _mediator: int) -> bool:
    return False


def solve_batch(
    cases: Sequence[CaseFacts],
    mediators: Sequence[MediatorFacts],
    *,
    conflicts: Conflicts = _no_conflicts,
    excluded: dict[int, frozenset[int]] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> BatchResult:
    """Assign ``cases`` to ``mediators`` jointly; deterministic for the same input.

    ``mediators`` carry their current load and availability; ``excluded`` maps
    a case to mediators it must not get again (they declined it). Such cases,
    and cases a class could not place because of conflicts, take part as
    single cases with their own arcs; the flow is solved again until every
    class quota is filled, which makes the result optimal (see the module).
    """
    excluded = {k: v for k, v in (excluded or {}).items() if v}
    usable = [m for m in sorted(mediators, key=lambda m: m.user_id)
              if m.active and m.available and m.free > 0]
    ordered = sorted(cases, key=lambda c: c.case_id)
    by_category: dict[str, list[int]] = defaultdict(list)
    for mi, mediator in enumerate(usable):
        for category in mediator.specialties:
            by_category[category].append(mi)
    single: set[int] = set(excluded)  # cases that need arcs of their own
    prices: dict[tuple[object, ...], list[tuple[int, int]]] = {}  # class key -> (mediator, cost)
    rounds = 0
    while True:
        rounds += 1
        classes: dict[tuple[object, ...], list[CaseFacts]] = defaultdict(list)
        singles: list[CaseFacts] = []
        for case in ordered:
            if case.case_id in single:
                singles.append(case)
            else:
                classes[case.class_key].append(case)
        keys = sorted(classes, key=repr)
        for key in keys:
            if key not in prices:
                prices[key] = _prices(classes[key][0], usable, by_category, weights)
        quotas, direct, lower_bound = _solve(
            [classes[k] for k in keys], [prices[k] for k in keys], singles, usable, by_category,
            conflicts, excluded, weights,
        )
        assignments = {case_id: usable[mi].user_id for case_id, mi in direct.items()}
        stuck: list[int] = []
        for ci, key in enumerate(keys):
            members = classes[key]
            quota = quotas.get(ci, {})
            placed = _match_class(members, usable, quota, conflicts, excluded)
            for case_id, mi in placed.items():
                assignments[case_id] = usable[mi].user_id
            if len(placed) < sum(quota.values()):  # a conflict kept a case out of its quota
                stuck += [c.case_id for c in members if c.case_id not in placed]
        if not stuck:
            return _result(ordered, usable, assignments, lower_bound, rounds - 1, weights)
        single.update(stuck)


def _prices(
    case: CaseFacts, usable: list[MediatorFacts], by_category: dict[str, list[int]], weights: Weights
) -> list[tuple[int, int]]:
    """(mediator index, pair cost) of every mediator eligible for ``case``'s class."""
    return [
        (mi, sum(pair_parts(case, usable[mi], weights).values()))
        for mi in by_category.get(case.category, ())
        if case.institution_id is None or usable[mi].institution_id == case.institution_id
    ]


def _solve(
    classes: list[list[CaseFacts]],
    class_prices: list[list[tuple[int, int]]],
    singles: list[CaseFacts],
    usable: list[MediatorFacts],
    by_category: dict[str, list[int]],
    conflicts: Conflicts,
    excluded: dict[int, frozenset[int]],
    weights: Weights,
) -> tuple[dict[int, dict[int, int]], dict[int, int], int]:
    """One min-cost flow: class quotas (class -> mediator index -> n), single cases' mediators."""
    k_count, s_count, m_count = len(classes), len(singles), len(usable)
    first_mediator = 1 + k_count + s_count
    sink = first_mediator + m_count
    flow = min_cost_flow.SimpleMinCostFlow()

    class_arcs: list[tuple[int, int, int]] = []  # (arc, class index, mediator index)
    for ci, members in enumerate(classes):
        flow.add_arc_with_capacity_and_unit_cost(0, 1 + ci, len(members), 0)
        for mi, cost in class_prices[ci]:
            arc = flow.add_arc_with_capacity_and_unit_cost(
                1 + ci, first_mediator + mi, min(len(members), usable[mi].free), cost
            )
            class_arcs.append((arc, ci, mi))
    single_arcs: list[tuple[int, int, int]] = []  # (arc, case id, mediator index)
    for si, case in enumerate(singles):
        node = 1 + k_count + si
        flow.add_arc_with_capacity_and_unit_cost(0, node, 1, 0)
        for mi, cost in _prices(case, usable, by_category, weights):
            user_id = usable[mi].user_id
            if conflicts(case.case_id, user_id) or user_id in excluded.get(case.case_id, ()):
                continue
            arc = flow.add_arc_with_capacity_and_unit_cost(node, first_mediator + mi, 1, cost)
            single_arcs.append((arc, case.case_id, mi))
    for mi, mediator in enumerate(usable):
        for load in range(mediator.load, mediator.capacity):
            flow.add_arc_with_capacity_and_unit_cost(
                first_mediator + mi, sink, 1, slot_cost(load, mediator.capacity, weights)
            )
    total = sum(len(m) for m in classes) + s_count
    quotas: dict[int, dict[int, int]] = defaultdict(dict)
    direct: dict[int, int] = {}
    if not total or not (class_arcs or single_arcs):
        return quotas, direct, 0
    flow.set_node_supply(0, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    for arc, ci, mi in class_arcs:
        n = flow.flow(arc)
        if n:
            quotas[ci][mi] = n
    for arc, case_id, mi in single_arcs:
        if flow.flow(arc):
            direct[case_id] = mi
    return quotas, direct, int(flow.optimal_cost())


def _match_class(
    members: list[CaseFacts],
    usable: list[MediatorFacts],
    quota: dict[int, int],
    conflicts: Conflicts,
    excluded: dict[int, frozenset[int]],
) -> dict[int, int]:
    """Match a class's cases to its mediator quotas without conflicts: case_id -> mediator index.

    Greedy (each case to the mediator with most quota left that it may have),
    then one augmenting-path search per case left over, which moves earlier
    cases between mediators to make room (Hopcroft-Karp's step, one at a time).
    """
    if not quota:
        return {}
    left = dict(quota)
    order = sorted(left)

    def allowed(case: CaseFacts, mi: int) -> bool:
        user_id = usable[mi].user_id
        return not conflicts(case.case_id, user_id) and user_id not in excluded.get(case.case_id, ())

    placed: dict[int, int] = {}
    holders: dict[int, list[CaseFacts]] = defaultdict(list)
    waiting: list[CaseFacts] = []
    # Greedy: each case to the allowed mediator with the most quota left (a max-heap,
    # ties to the lower index so the result is deterministic).
    heap = [(-n, mi) for mi, n in left.items() if n > 0]
    heapq.heapify(heap)
    for case in members:
        if not heap:
            break
        skipped: list[tuple[int, int]] = []
        chosen = None
        while heap:
            item = heapq.heappop(heap)
            if allowed(case, item[1]):
                chosen = item
                break
            skipped.append(item)
        for item in skipped:
            heapq.heappush(heap, item)
        if chosen is None:
            waiting.append(case)
            continue
        mi = chosen[1]
        placed[case.case_id] = mi
        holders[mi].append(case)
        left[mi] -= 1
        if left[mi]:
            heapq.heappush(heap, (-left[mi], mi))
    by_id = {c.case_id: c for c in members}
    for case in waiting:
        if not any(left.values()):
            break
        found = _augment(case, order, left, holders, allowed)
        if found is None:
            continue
        moves, final = found
        for moved_id, mi in moves:
            old = placed.get(moved_id)
            if old is not None:
                holders[old].remove(by_id[moved_id])
            placed[moved_id] = mi
            holders[mi].append(by_id[moved_id])
        left[final] -= 1
    return placed


def _augment(
    start: CaseFacts,
    order: list[int],
    left: dict[int, int],
    holders: dict[int, list[CaseFacts]],
    allowed: Callable[[CaseFacts, int], bool],
) -> tuple[list[tuple[int, int]], int] | None:
    """Breadth-first search from ``start`` to a mediator with quota left.

    Returns the moves (case id, new mediator) along the path and the mediator
    whose quota the path uses up; every other mediator on it loses one case and
    gains one.
    """
    reached: dict[int, tuple[int, int | None]] = {}  # mediator -> (case id moving in, its old mediator)
    frontier: list[tuple[CaseFacts, int | None]] = [(start, None)]
    while frontier:
        following: list[tuple[CaseFacts, int | None]] = []
        for case, held_by in frontier:
            for mi in order:
                if mi in reached or mi == held_by or not allowed(case, mi):
                    continue
                reached[mi] = (case.case_id, held_by)
                if left[mi] > 0:
                    moves: list[tuple[int, int]] = []
                    node: int | None = mi
                    while node is not None:
                        case_id, previous = reached[node]
                        moves.append((case_id, node))
                        node = previous
                    return moves, mi
                following.extend((held, mi) for held in holders[mi])
        frontier = following
    return None


def _exact_flow(
    cases: list[CaseFacts],
    usable: list[MediatorFacts],
    loads: dict[int, int],
    conflicts: Conflicts,
    excluded: dict[int, frozenset[int]],
    weights: Weights,
) -> dict[int, int]:
    """The exact per-pair flow: one arc per eligible, conflict-free (case, mediator) pair."""
    open_mediators = [m for m in usable if loads[m.user_id] < m.capacity]
    flow = min_cost_flow.SimpleMinCostFlow()
    n_cases = len(cases)
    sink = 1 + n_cases + len(open_mediators)
    arcs: list[tuple[int, int, int]] = []
    for ci, case in enumerate(cases):
        flow.add_arc_with_capacity_and_unit_cost(0, 1 + ci, 1, 0)
        for mi, mediator in enumerate(open_mediators):
            if failed_rules(case, mediator) or conflicts(case.case_id, mediator.user_id):
                continue
            if mediator.user_id in excluded.get(case.case_id, ()):
                continue
            cost = sum(pair_parts(case, mediator, weights).values())
            arc = flow.add_arc_with_capacity_and_unit_cost(1 + ci, 1 + n_cases + mi, 1, cost)
            arcs.append((arc, ci, mi))
    for mi, mediator in enumerate(open_mediators):
        for load in range(loads[mediator.user_id], mediator.capacity):
            flow.add_arc_with_capacity_and_unit_cost(
                1 + n_cases + mi, sink, 1, slot_cost(load, mediator.capacity, weights)
            )
    flow.set_node_supply(0, n_cases)
    flow.set_node_supply(sink, -n_cases)
    if not arcs or flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        return {}
    return {cases[ci].case_id: open_mediators[mi].user_id for arc, ci, mi in arcs if flow.flow(arc)}


def _result(
    cases: Iterable[CaseFacts],
    usable: list[MediatorFacts],
    assignments: dict[int, int],
    lower_bound: int,
    extra_rounds: int,
    weights: Weights,
) -> BatchResult:
    """Price the final assignment with the same objective, part by part."""
    by_user = {m.user_id: m for m in usable}
    loads = {m.user_id: m.load for m in usable}
    parts: dict[int, dict[str, int]] = {}
    total = 0
    unassigned: list[int] = []
    for case in sorted(cases, key=lambda c: c.case_id):
        user_id = assignments.get(case.case_id)
        if user_id is None:
            unassigned.append(case.case_id)
            continue
        mediator = by_user[user_id]
        case_parts = pair_parts(case, mediator, weights)
        case_parts["load"] = slot_cost(loads[user_id], mediator.capacity, weights)
        loads[user_id] += 1
        parts[case.case_id] = case_parts
        total += sum(case_parts.values())
    return BatchResult(
        assignments=assignments, unassigned=unassigned, cost=total,
        lower_bound=lower_bound, extra_rounds=extra_rounds, parts=parts,
    )

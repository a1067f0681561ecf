"""Benchmark: the batch assignment engine against the exact min-cost-flow optimum.

A fixed instance from seed 20261122: 10,000 cases and 1,000 mediators spread
over the nine seeded institutions; nine dispute categories with a skewed share
(financial consumer 35%, banking 15%, insurance 12%, securities 10%, commercial
trade 10%, financial leasing 6%, capital market 5%, private enterprise 4%,
general civil 3%); each mediator with 1-3 specialties among its institution's
categories (the first drawn by category share, so supply follows demand),
capacity uniform 5-25 and a current load uniform 0-50% of it; 20% of mediators
unavailable before the deadline; 2% of all (case, mediator) pairs in conflict.

The objective is the engine's own (``mediators.scoring``): per assigned case a
pair cost (specialty fit, language, location; past outcomes weigh 0 here as
the instance has no history) plus per mediator a convex cost per slot used
(``slot_cost``: each further case costs more). Both solvers first assign as many
cases as the instance allows (the free slots of available mediators are fewer
than the cases), then minimise that cost.

* engine: ``mediators.flow.solve_batch`` (aggregated min-cost flow + conflict-aware
  disaggregation), timed;
* optimum: one OR-Tools min-cost flow with an arc per eligible, conflict-free
  (case, mediator) pair and an arc per free slot, computed in the same run.

    .venv/bin/python bench/assign.py          # the full instance
    .venv/bin/python bench/assign.py --smoke  # 1,000 cases, 100 mediators (CI)

Printed: wall time, cost ratio to the optimum, constraint violations,
maximum and mean utilisation (load / capacity over all mediators). The last
line is one JSON object:
``{"bench": "assign", "seconds", "cost_ratio_to_optimal", "violations", "max_mean_utilisation"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.graph.python import min_cost_flow

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mediators.flow import solve_batch  # noqa: E402
from mediators.scoring import (  # noqa: E402
    CaseFacts,
    MediatorFacts,
    Weights,
    failed_rules,
    pair_parts,
    slot_cost,
)
from odr.orgs.seed import load_seed  # noqa: E402

SEED = 20261122
SHARES = {
    "financial_consumer": 0.35, "banking": 0.15, "insurance": 0.12, "securities": 0.10,
    "commercial_trade": 0.10, "financial_leasing": 0.06, "capital_market": 0.05,
    "private_enterprise": 0.04, "general_civil": 0.03,
}
# Where the parties live (the seeded institutions sit in the first three).
DISTRICTS = {"浦东新区": 0.30, "黄浦区": 0.15, "虹口区": 0.10, "徐汇区": 0.15, "静安区": 0.15,
             "闵行区": 0.15}
ENGLISH_CASES = 0.05  # a party needs English
ENGLISH_MEDIATORS = 0.15
UNAVAILABLE = 0.20
CONFLICT_SHARE = 0.02
WEIGHTS = Weights(outcomes=0)  # the pair cost: specialty fit, language, location


@dataclass
class Instance:
    cases: list[CaseFacts]
    mediators: list[MediatorFacts]
    conflict_codes: np.ndarray  # sorted case_id * n_mediators + mediator index
    n_mediators: int


def make_instance(n_cases: int, n_mediators: int, seed: int = SEED) -> Instance:
    rng = np.random.default_rng(seed)
    institutions = load_seed()["institutions"]
    categories = list(SHARES)
    shares = np.array([SHARES[c] for c in categories])
    takers = {c: [i for i, inst in enumerate(institutions) if c in inst["categories"]]
              for c in categories}
    mediators: list[MediatorFacts] = []
    unavailable = set(rng.permutation(n_mediators)[: round(UNAVAILABLE * n_mediators)].tolist())
    for j in range(n_mediators):
        primary = categories[rng.choice(len(categories), p=shares)]
        inst_index = int(rng.choice(takers[primary]))
        inst = institutions[inst_index]
        others = [c for c in inst["categories"] if c != primary]
        k = min(int(rng.integers(1, 4)), 1 + len(others))
        specialties = [primary]
        if k > 1:
            p = np.array([SHARES[c] for c in others])
            picked = rng.choice(len(others), size=k - 1, replace=False, p=p / p.sum())
            specialties += [others[i] for i in picked]
        capacity = int(rng.integers(5, 26))
        load = int(rng.uniform(0, 0.5) * capacity)
        languages = frozenset({"zh", "en"}) if rng.random() < ENGLISH_MEDIATORS else frozenset({"zh"})
        mediators.append(MediatorFacts(
            user_id=j, institution_id=inst_index + 1, specialties=tuple(specialties),
            capacity=capacity, load=load, languages=languages,
            district=inst["district"], available=j not in unavailable,
        ))
    district_names = list(DISTRICTS)
    district_p = np.array(list(DISTRICTS.values()))
    case_categories = rng.choice(len(categories), size=n_cases, p=shares)
    case_districts = rng.choice(len(district_names), size=n_cases, p=district_p)
    english = rng.random(n_cases) < ENGLISH_CASES
    cases = [
        CaseFacts(
            case_id=i, category=categories[case_categories[i]],
            languages=frozenset({"zh", "en"}) if english[i] else frozenset({"zh"}),
            district=district_names[case_districts[i]],
        )
        for i in range(n_cases)
    ]
    pairs = n_cases * n_mediators
    codes = rng.choice(pairs, size=round(CONFLICT_SHARE * pairs), replace=False)
    codes.sort()
    return Instance(cases, mediators, codes, n_mediators)


def run_engine(instance: Instance) -> tuple[dict[int, int], int, float]:
    conflict_set = set(instance.conflict_codes.tolist())
    n = instance.n_mediators

    def conflicts(case_id: int, mediator_id: int) -> bool:
        return case_id * n + mediator_id in conflict_set

    started = time.perf_counter()
    result = solve_batch(instance.cases, instance.mediators, conflicts=conflicts, weights=WEIGHTS)
    seconds = time.perf_counter() - started
    return result.assignments, result.cost, seconds


def run_optimum(instance: Instance) -> tuple[dict[int, int], int, float]:
    """The exact optimum: one arc per eligible, conflict-free (case, mediator) pair."""
    started = time.perf_counter()
    n_cases, n_med = len(instance.cases), instance.n_mediators
    usable = [m for m in instance.mediators if m.active and m.available and m.free > 0]
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    by_class: dict[tuple[object, ...], list[int]] = {}
    for case in instance.cases:
        by_class.setdefault(case.class_key, []).append(case.case_id)
    for ids in by_class.values():
        sample = instance.cases[ids[0]]
        eligible = [m for m in usable if not failed_rules(sample, m)]
        if not eligible:
            continue
        case_ids = np.array(ids, dtype=np.int64)
        med_ids = np.array([m.user_id for m in eligible], dtype=np.int64)
        pair = np.array([sum(pair_parts(sample, m, WEIGHTS).values()) for m in eligible],
                        dtype=np.int64)
        c = np.repeat(case_ids, len(med_ids))
        m = np.tile(med_ids, len(case_ids))
        keep = ~np.isin(c * n_med + m, instance.conflict_codes, assume_unique=False)
        tails.append(c[keep])
        heads.append(m[keep])
        costs.append(np.tile(pair, len(case_ids))[keep])
    # Nodes: source, cases 1..n, mediators n+1..n+M, sink.
    source, sink = 0, 1 + n_cases + n_med
    pair_tails = np.concatenate(tails) + 1
    pair_heads = np.concatenate(heads) + 1 + n_cases
    pair_costs = np.concatenate(costs)
    slot_tails, slot_costs = [], []
    for mediator in usable:
        for load in range(mediator.load, mediator.capacity):
            slot_tails.append(1 + n_cases + mediator.user_id)
            slot_costs.append(slot_cost(load, mediator.capacity, WEIGHTS))
    all_tails = np.concatenate([
        np.zeros(n_cases, dtype=np.int64), pair_tails, np.array(slot_tails, dtype=np.int64)])
    all_heads = np.concatenate([
        np.arange(1, n_cases + 1, dtype=np.int64), pair_heads,
        np.full(len(slot_tails), sink, dtype=np.int64)])
    all_costs = np.concatenate([
        np.zeros(n_cases, dtype=np.int64), pair_costs, np.array(slot_costs, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        all_tails, all_heads, np.ones(len(all_tails), dtype=np.int64), all_costs)
    flow.set_node_supply(source, n_cases)
    flow.set_node_supply(sink, -n_cases)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SystemExit(f"the exact min-cost flow failed: status {status}")
    first, count = n_cases, len(pair_tails)
    flows = flow.flows(arcs[first:first + count])
    chosen = np.nonzero(flows)[0]
    assignments = {int(pair_tails[i]) - 1: int(pair_heads[i]) - 1 - n_cases for i in chosen}
    return assignments, int(flow.optimal_cost()), time.perf_counter() - started


def check(instance: Instance, assignments: dict[int, int]) -> tuple[int, int, list[float]]:
    """Violations of the rules, the objective recomputed, and every mediator's final utilisation."""
    conflict_set = set(instance.conflict_codes.tolist())
    loads = {m.user_id: m.load for m in instance.mediators}
    by_id = {m.user_id: m for m in instance.mediators}
    violations = 0
    cost = 0
    for case_id in sorted(assignments):
        mediator = by_id[assignments[case_id]]
        case = instance.cases[case_id]
        if failed_rules(case, mediator):  # inactive, unavailable, specialty
            violations += 1
        if case_id * instance.n_mediators + mediator.user_id in conflict_set:
            violations += 1
        cost += sum(pair_parts(case, mediator, WEIGHTS).values())
        cost += slot_cost(loads[mediator.user_id], mediator.capacity, WEIGHTS)
        loads[mediator.user_id] += 1
    violations += sum(loads[m.user_id] > m.capacity for m in instance.mediators)
    utilisation = [loads[m.user_id] / m.capacity for m in instance.mediators]
    return violations, cost, utilisation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small instance for CI")
    args = parser.parse_args()
    n_cases, n_mediators = (1_000, 100) if args.smoke else (10_000, 1_000)
    instance = make_instance(n_cases, n_mediators)
    free = sum(m.free for m in instance.mediators if m.available)
    print(f"instance: seed {SEED}, {n_cases} cases, {n_mediators} mediators, "
          f"{len(instance.conflict_codes)} conflict pairs, {free} free slots on available mediators")

    engine, engine_cost, seconds = run_engine(instance)
    optimum, optimal_cost, optimum_seconds = run_optimum(instance)
    violations, checked_cost, utilisation = check(instance, engine)
    opt_violations, opt_checked, _ = check(instance, optimum)
    if checked_cost != engine_cost or opt_checked != optimal_cost or opt_violations:
        print(f"inconsistent pricing: engine {engine_cost} vs {checked_cost}, "
              f"optimum {optimal_cost} vs {opt_checked}, optimum violations {opt_violations}")
        return 1
    if len(engine) < len(optimum):
        # Fewer cases placed than possible: count each as a violation of the objective's
        # first goal (assign as many as possible), so the ratio is never flattering.
        violations += len(optimum) - len(engine)
    ratio = engine_cost / optimal_cost if optimal_cost else 1.0
    max_u = max(utilisation)
    mean_u = sum(utilisation) / len(utilisation)
    print(f"engine:  {seconds:.3f} s, {len(engine)} cases assigned, "
          f"{n_cases - len(engine)} to the admins' queue, cost {engine_cost}")
    print(f"optimum: {optimum_seconds:.3f} s, {len(optimum)} cases assigned, cost {optimal_cost}")
    print(f"cost ratio to optimal: {ratio:.6f}")
    print(f"constraint violations: {violations}")
    print(f"utilisation: max {max_u:.3f}, mean {mean_u:.3f}, max/mean {max_u / mean_u:.3f}")
    print(json.dumps({
        "bench": "assign",
        "seconds": round(seconds, 3),
        "cost_ratio_to_optimal": round(ratio, 6),
        "violations": violations,
        "max_mean_utilisation": round(max_u / mean_u, 3),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Integer min-cost flow through OR-Tools, with lexicographic costs (private helpers).

Both solvers realise "first maximise value served, then minimise travel" with an
*unserved* bypass arc per demand whose unit cost is ``W × value`` in integers, where
``W`` exceeds any possible travel sum of the instance, so no travel saving can outweigh
one value quantum.

Integers: values (priority points) become :func:`value_units` (exact when integral and at
most :data:`VALUE_LEVELS`, else quanta of ``max / VALUE_LEVELS``; never below one quantum,
so even a zero-priority demand is worth serving). Travel is whole metres; only when
``W × value`` would overflow the solver's 64-bit range (OR-Tools multiplies costs by the
number of nodes) is it coarsened to 2, 4, 8 … metres (:func:`fit`).

OR-Tools is imported here, lazily (DESIGN.md Decisions: heavy imports).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

VALUE_LEVELS = 1_000
"""Resolution of values relative to the largest (priority 100 → quanta of 0.1 point, one
minute of waiting in :mod:`core.incidents.priority`)."""
_INT64_MAX = 2**63 - 1


def value_units(values: np.ndarray) -> np.ndarray:
    """Non-negative float values → int64 quanta ≥ 1 (see the module docstring)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = float(values.max())
    integral = bool(np.all(values == np.round(values)))
    quantum = 1.0 if (integral and top <= VALUE_LEVELS) or top == 0 else top / VALUE_LEVELS
    return np.maximum(1, np.round(values / quantum)).astype(np.int64)


def cost_limit(n_nodes: int) -> int:
    """Largest unit cost magnitude OR-Tools accepts for ``n_nodes`` nodes, with a margin."""
    return _INT64_MAX // (2 * (n_nodes + 1)) - 1


def fit(build: Callable[[float, int], np.ndarray | None], n_nodes: int) -> np.ndarray:
    """The int64 arc costs of ``build(unit_m, limit)`` at the finest unit (1, 2, 4 … m).

    ``build`` answers None when its largest cost would exceed ``limit`` (checked in Python
    integers, before any numpy product can wrap around).
    """
    limit, unit = cost_limit(n_nodes), 1.0
    while True:
        costs = build(unit, limit)
        if costs is not None:
            return costs
        unit *= 2.0


def per_group_max(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Max of ``values`` per group index in ``[0, n)`` (0 for empty groups)."""
    out = np.zeros(n, dtype=values.dtype)
    np.maximum.at(out, group, values)
    return out


def solve(
    n_nodes: int, tails: np.ndarray, heads: np.ndarray, capacities: np.ndarray,
    costs: np.ndarray, supplies: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Optimal flows (int64, in arc order) of a balanced min-cost flow problem."""
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    flow = SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32),
        capacities.astype(np.int64), costs.astype(np.int64),
    )  # fmt: skip
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies.astype(np.int64))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(flow.flows(np.arange(tails.shape[0], dtype=np.int32)), dtype=np.int64)

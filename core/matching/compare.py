"""Figures of a solution, to compare the optimum with greedy (tests and the benchmark).

:func:`served_summary` takes an (:class:`AssignProblem`, :class:`AssignResult`) or a
(:class:`StockProblem`, :class:`StockPlan`) pair. Travel is in metres; for stock it is
unit-metres (Σ units × depot → need metres).
"""

from __future__ import annotations

import numpy as np

from core.matching.problem import AssignProblem, AssignResult, StockPlan, StockProblem

__all__ = ["served_share", "served_summary"]


def served_summary(
    problem: AssignProblem | StockProblem, result: AssignResult | StockPlan
) -> dict[str, float]:
    """Served counts, priority-weighted served and travel per served task (or unit)."""
    if isinstance(problem, AssignProblem) and isinstance(result, AssignResult):
        return _assign_summary(problem, result)
    if isinstance(problem, StockProblem) and isinstance(result, StockPlan):
        return _stock_summary(problem, result)
    raise TypeError("expected (AssignProblem, AssignResult) or (StockProblem, StockPlan)")


def _assign_summary(p: AssignProblem, r: AssignResult) -> dict[str, float]:
    served = r.vol_of_task >= 0
    count = int(served.sum())
    travel = float(r.cost_m[served].sum())
    return {
        "tasks": float(served.size),
        "served": float(count),
        "priority_served": float(p.task_priority[served].sum()),
        "travel_m": travel,
        "travel_per_served_m": travel / count if count else 0.0,
    }


def served_share(p: StockProblem, plan: StockPlan) -> np.ndarray:
    """Per need, the mean over its requested items of the fraction served (0 … 1)."""
    served = np.zeros_like(p.demand)
    np.add.at(served, (plan.need, plan.item), plan.quantity)
    asks = (p.demand > 0).sum(axis=1)
    fraction = np.divide(served, p.demand, out=np.zeros(p.demand.shape), where=p.demand > 0)
    return np.divide(fraction.sum(axis=1), asks, out=np.zeros(asks.shape), where=asks > 0)


def _stock_summary(p: StockProblem, plan: StockPlan) -> dict[str, float]:
    share = served_share(p, plan)
    n_depots = max(p.supply.shape[0], 1)
    keys = p.arc_need * n_depots + p.arc_depot
    order = np.argsort(keys)
    at = order[np.searchsorted(keys[order], plan.need * n_depots + plan.depot)]
    units = int(plan.quantity.sum())
    travel = float((plan.quantity * p.arc_cost_m[at]).sum())
    return {
        "needs": float(share.size),
        "served": float((share > 0).sum()),
        "fully_served": float((share >= 1).sum()),
        "priority_served": float((p.need_priority * share).sum()),
        "units": float(units),
        "travel_unit_m": travel,
        "travel_per_unit_m": travel / units if units else 0.0,
    }

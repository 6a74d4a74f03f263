"""The matching engine: pure functions over numpy arrays (no database, no I/O).

:func:`allocate_stock` splits needs' demand across candidate depots, :func:`assign`
gives tasks to volunteers; both optimally (OR-Tools min-cost flow, imported lazily), with
greedy baselines :func:`greedy_allocate` / :func:`greedy_assign` for the time-budget
fallback and the benchmark. :func:`served_summary` compares solutions.
"""

from core.matching.assign import assign, greedy_assign
from core.matching.compare import served_share, served_summary
from core.matching.problem import (
    AssignProblem,
    AssignResult,
    ProblemError,
    StockPlan,
    StockProblem,
)
from core.matching.stock import allocate_stock, greedy_allocate

__all__ = [
    "AssignProblem",
    "AssignResult",
    "ProblemError",
    "StockPlan",
    "StockProblem",
    "allocate_stock",
    "assign",
    "greedy_allocate",
    "greedy_assign",
    "served_share",
    "served_summary",
]

"""The matching problems and their answers: plain numpy arrays indexed by position.

The service (``core/incidents/matching.py``) maps ids to array indices; nothing here knows
about the database. Travel is in metres everywhere, priorities are the need's priority
points (:mod:`core.incidents.priority`, higher is more urgent, never negative), quantities
are integers in each item's base unit (DESIGN.md Decisions: Quantities).

Problems are checked when built: arrays are converted (int64 / float64) and a
:class:`ProblemError` (a ``ValueError``) names the first inconsistent field. Candidate
pairs must be unique (one arc per need–depot or task–volunteer pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ProblemError(ValueError):
    """An inconsistent problem; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message

    def __reduce__(self) -> tuple[type[ProblemError], tuple[str, str]]:
        return ProblemError, (self.field, self.message)  # picklable across a process pool


def _ints(field: str, x: object, ndim: int = 1) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != ndim:
        raise ProblemError(field, f"expected {ndim}-D array, got shape {a.shape}")
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    raise ProblemError(field, f"expected integers, got dtype {a.dtype}")


def _floats(field: str, x: object, n: int | None = None) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1 or a.dtype.kind not in "iuf":
        raise ProblemError(field, f"expected 1-D numeric array, got {a.dtype} {a.shape}")
    a = a.astype(np.float64, copy=False)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ProblemError(field, "values must be finite and >= 0")
    _length(field, a, n)
    return a


def _length(field: str, a: np.ndarray, n: int | None) -> None:
    if n is not None and a.shape[0] != n:
        raise ProblemError(field, f"expected length {n}, got {a.shape[0]}")


def _index(field: str, x: object, n: int | None, upper: int, low: int = 0) -> np.ndarray:
    a = _ints(field, x)
    _length(field, a, n)
    if a.size and (a.min() < low or a.max() >= upper):
        raise ProblemError(field, f"indices must lie in [{low}, {upper})")
    return a


def _nonnegative(field: str, a: np.ndarray) -> np.ndarray:
    if np.any(a < 0):
        raise ProblemError(field, "values must be >= 0")
    return a


def _unique_pairs(field: str, a: np.ndarray, b: np.ndarray, n_b: int) -> None:
    keys = np.sort(a * max(n_b, 1) + b)  # a sort: twice as fast as np.unique's hash here
    if (keys[1:] == keys[:-1]).any():
        raise ProblemError(field, "duplicate candidate pair")


def _set(obj: object, **values: object) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True, eq=False)
class StockProblem:
    """Needs × items demand against depots × items supply over candidate need–depot arcs.

    ``need_priority`` float (n_needs,) priority points; ``demand`` int (n_needs, n_items)
    units wanted; ``supply`` int (n_depots, n_items) units available; ``arc_need`` /
    ``arc_depot`` int (n_arcs,) candidate pairs; ``arc_cost_m`` float (n_arcs,) travel
    metres depot → need.
    """

    need_priority: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    arc_need: np.ndarray
    arc_depot: np.ndarray
    arc_cost_m: np.ndarray

    def __post_init__(self) -> None:
        priority = _floats("need_priority", self.need_priority)
        n = priority.shape[0]
        demand = _nonnegative("demand", _ints("demand", self.demand, ndim=2))
        if demand.shape[0] != n:
            raise ProblemError("demand", f"expected {n} rows (needs), got {demand.shape[0]}")
        supply = _nonnegative("supply", _ints("supply", self.supply, ndim=2))
        if supply.shape[1] != demand.shape[1]:
            raise ProblemError("supply", f"expected {demand.shape[1]} item columns")
        arc_need = _index("arc_need", self.arc_need, None, n)
        k = arc_need.shape[0]
        arc_depot = _index("arc_depot", self.arc_depot, k, supply.shape[0])
        cost = _floats("arc_cost_m", self.arc_cost_m, k)
        _unique_pairs("arc_depot", arc_need, arc_depot, supply.shape[0])
        _set(self, need_priority=priority, demand=demand, supply=supply, arc_need=arc_need,
             arc_depot=arc_depot, arc_cost_m=cost)  # fmt: skip


@dataclass(frozen=True, eq=False)
class StockPlan:
    """One row per (need, depot, item) with ``quantity`` > 0 units, sorted by that key."""

    need: np.ndarray
    depot: np.ndarray
    item: np.ndarray
    quantity: np.ndarray

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(need, depot, item, quantity)."""
        return self.need, self.depot, self.item, self.quantity


@dataclass(frozen=True, eq=False)
class AssignProblem:
    """Tasks against volunteers over candidate task–volunteer arcs.

    ``task_priority`` float (n_tasks,) priority points; ``vol_capacity`` int (n_vols,) free
    task slots (0 = none); ``arc_task`` / ``arc_vol`` int (n_arcs,) candidate pairs;
    ``arc_cost_m`` float (n_arcs,) travel metres volunteer → (depot →) need; ``pinned`` int
    (n_tasks,) the only volunteer a task may go to, or -1; ``incumbent`` int (n_tasks,) the
    volunteer of a pending (proposed/offered) assignment, or -1; ``keep_bonus_m`` metres: a
    pending offer is withdrawn only for a gain larger than this.
    """

    task_priority: np.ndarray
    vol_capacity: np.ndarray
    arc_task: np.ndarray
    arc_vol: np.ndarray
    arc_cost_m: np.ndarray
    pinned: np.ndarray
    incumbent: np.ndarray
    keep_bonus_m: float = 500.0

    def __post_init__(self) -> None:
        priority = _floats("task_priority", self.task_priority)
        n = priority.shape[0]
        capacity = _nonnegative("vol_capacity", _ints("vol_capacity", self.vol_capacity))
        v = capacity.shape[0]
        arc_task = _index("arc_task", self.arc_task, None, n)
        k = arc_task.shape[0]
        arc_vol = _index("arc_vol", self.arc_vol, k, v)
        cost = _floats("arc_cost_m", self.arc_cost_m, k)
        _unique_pairs("arc_vol", arc_task, arc_vol, v)
        pinned = _index("pinned", self.pinned, n, v, low=-1)
        incumbent = _index("incumbent", self.incumbent, n, v, low=-1)
        bonus = float(self.keep_bonus_m)
        if not np.isfinite(bonus) or bonus < 0:
            raise ProblemError("keep_bonus_m", "must be finite and >= 0")
        _set(self, task_priority=priority, vol_capacity=capacity, arc_task=arc_task,
             arc_vol=arc_vol, arc_cost_m=cost, pinned=pinned, incumbent=incumbent,
             keep_bonus_m=bonus)  # fmt: skip


@dataclass(frozen=True, eq=False)
class AssignResult:
    """Per task: the chosen volunteer (-1 = unserved) and why.

    ``cost_m`` travel metres of the chosen arc (nan if unserved); ``runner_up`` the
    cheapest other candidate (-1 none) and ``runner_up_cost_m`` its metres (nan);
    ``candidates`` arcs considered; ``solver`` ``"min_cost_flow"`` or ``"greedy"``.
    """

    vol_of_task: np.ndarray
    cost_m: np.ndarray
    runner_up: np.ndarray
    runner_up_cost_m: np.ndarray
    candidates: np.ndarray
    solver: str

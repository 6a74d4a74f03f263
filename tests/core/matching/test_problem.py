"""Problems are checked when built: the error names the inconsistent field."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from core.matching import AssignProblem, ProblemError, StockProblem, assign

ASSIGN = {
    "task_priority": [10.0, 20.0], "vol_capacity": [1, 2], "arc_task": [0, 1, 1],
    "arc_vol": [0, 0, 1], "arc_cost_m": [100.0, 200.0, 300.0], "pinned": [-1, 1],
    "incumbent": [0, -1],
}  # fmt: skip
STOCK = {
    "need_priority": [10.0, 20.0], "demand": [[1, 0], [2, 3]], "supply": [[5, 5]],
    "arc_need": [0, 1], "arc_depot": [0, 0], "arc_cost_m": [100.0, 200.0],
}  # fmt: skip


def test_valid_problems_are_converted() -> None:
    a = AssignProblem(**ASSIGN, keep_bonus_m=250)
    assert a.arc_task.dtype == np.int64 and a.arc_cost_m.dtype == np.float64
    assert a.keep_bonus_m == 250.0 and a.pinned.tolist() == [-1, 1]
    s = StockProblem(**{**STOCK, "demand": np.array([[1.0, 0.0], [2.0, 3.0]])})
    assert s.demand.dtype == np.int64 and s.demand.shape == (2, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("task_priority", [[10.0, 20.0]]),
        ("task_priority", [10.0, -1.0]),
        ("task_priority", [10.0, np.nan]),
        ("vol_capacity", [1, -1]),
        ("vol_capacity", [1.5, 2]),
        ("arc_task", [0, 1, 2]),
        ("arc_vol", [0, 0]),
        ("arc_vol", [0, 0, 2]),
        ("arc_vol", [0, 1, 1]),  # duplicate pair (1, 1)
        ("arc_cost_m", [100.0, 200.0]),
        ("arc_cost_m", [100.0, np.inf, 1.0]),
        ("arc_cost_m", [100.0, -5.0, 1.0]),
        ("pinned", [-1]),
        ("pinned", [-2, 0]),
        ("incumbent", [0, 2]),
        ("keep_bonus_m", -1.0),
        ("keep_bonus_m", float("nan")),
    ],
)
def test_assign_problem_names_the_bad_field(field, value) -> None:
    with pytest.raises(ProblemError) as caught:
        AssignProblem(**{**ASSIGN, field: value})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("need_priority", [10.0]),  # demand then has the wrong number of rows
        ("demand", [[1, 0], [2, -3]]),
        ("demand", [[1, 0], [2.5, 3]]),
        ("demand", [1, 2]),
        ("supply", [[5, 5, 5]]),
        ("supply", [[5, -1]]),
        ("arc_need", [0, 2]),
        ("arc_depot", [0, 1]),
        ("arc_depot", [0]),
        ("arc_cost_m", [100.0]),
    ],
)
def test_stock_problem_names_the_bad_field(field, value) -> None:
    expected = "demand" if field == "need_priority" else field
    with pytest.raises(ProblemError) as caught:
        StockProblem(**{**STOCK, field: value})
    assert caught.value.field == expected


def test_stock_duplicate_pairs_are_rejected() -> None:
    with pytest.raises(ProblemError) as caught:
        StockProblem(**{**STOCK, "arc_need": [1, 1]})
    assert caught.value.field == "arc_depot"


def test_problems_results_and_errors_cross_a_process_boundary() -> None:
    # the service solves in a ProcessPoolExecutor: everything must pickle
    problem = AssignProblem(**ASSIGN)
    copy = pickle.loads(pickle.dumps(problem))
    np.testing.assert_array_equal(copy.arc_vol, problem.arc_vol)
    result = pickle.loads(pickle.dumps(assign(problem)))
    assert result.vol_of_task.tolist() == [0, 1] and result.solver == "min_cost_flow"
    with pytest.raises(ProblemError) as caught:
        StockProblem(**{**STOCK, "supply": [[5, -1]]})
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.field, str(again)) == ("supply", "supply: values must be >= 0")

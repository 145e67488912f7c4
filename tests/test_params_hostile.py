"""Hostile input to parameter accounting, model sizes, qmem.validation and qmem.config.

Sizes that would allocate without bound are refused before allocation; zero, negative and
absurd sizes or budgets give a ``ValueError`` (wrong values) or ``TypeError`` (wrong types)
that names the value, never a number, a raw torch error or a hang.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
import torch
from pydantic import Field
from torch import nn

from qmem.config import Config
from qmem.models import build, parameter_formula
from qmem.params import MAX_PARAMETERS, MAX_SIZE, count_parameters, hidden_size_for_budget
from qmem.validation import (
    check_device,
    check_float,
    check_int,
    check_size_budget,
    make_generator,
)


def _raises(call, error, words):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert type(info.value) is error, f"{type(info.value).__name__}, not {error.__name__}"
    missing = [w for w in words if w not in text]
    assert not missing, f"{missing} not in {text!r}"


def pf(**sizes):
    return lambda: parameter_formula("lstm", **{"input_size": 1, "hidden_size": 2, **sizes})


def hsb(budget, **kw):
    return lambda: hidden_size_for_budget("lstm", budget, **{"input_size": 1, **kw})


CASES = [
    # parameter_formula: zero, negative, absurd and mistyped sizes
    (pf(hidden_size=0), ValueError, ["hidden_size of model 'lstm'", "positive", "0"]),
    (pf(hidden_size=-5), ValueError, ["hidden_size", "-5"]),
    (pf(input_size=0), ValueError, ["input_size", "0"]),
    (pf(output_size=-1), ValueError, ["output_size", "-1"]),
    (pf(hidden_size=10**9), ValueError, ["hidden_size", f"<= {MAX_SIZE}", "1000000000"]),
    (pf(hidden_size=10**30), ValueError, ["hidden_size", f"<= {MAX_SIZE}"]),
    (pf(input_size=10**9), ValueError, ["input_size", f"<= {MAX_SIZE}"]),
    (pf(hidden_size=2.0), TypeError, ["hidden_size", "2.0"]),
    (pf(hidden_size=True), TypeError, ["hidden_size", "True"]),
    (pf(hidden_size=None), ValueError, ["hidden_size", "None"]),
    (lambda: parameter_formula(3, input_size=1, hidden_size=2), TypeError, ["model name", "3"]),
    (lambda: parameter_formula(["lstm"], input_size=1, hidden_size=2), TypeError,
     ["model name"]),
    (lambda: parameter_formula("lsmt", input_size=1, hidden_size=2), ValueError,
     ["'lsmt'", "did you mean 'lstm'"]),
    # build: sizes that would allocate gigabytes are refused before allocating
    (lambda: build("lstm", input_size=1, hidden_size=10**9), ValueError, ["hidden_size"]),
    (lambda: build("lstm", input_size=10**9, hidden_size=1), ValueError, ["input_size"]),
    (lambda: build("lstm", input_size=1, hidden_size=100_000), ValueError,
     ["40000900001 parameters", f"at most {MAX_PARAMETERS}"]),
    (lambda: build("mlp", input_size=1, hidden_size=10**6, output_size=10**6), ValueError,
     ["parameters", "at most"]),
    (lambda: build("kan_lstm", input_size=1, hidden_size=1, grid_size=10**9), ValueError,
     ["grid_size", "1000"]),
    # hidden_size_for_budget: absurd budgets, unreachable budgets, bad search ranges
    (hsb(0), ValueError, ["budget must be a positive int, got 0"]),
    (hsb(-5), ValueError, ["budget", "-5"]),
    (hsb(10**30), ValueError, ["budget must be at most 1000000000"]),
    (hsb(1.5), TypeError, ["budget", "1.5"]),
    (hsb(float("inf")), TypeError, ["budget", "inf"]),
    (hsb(True), TypeError, ["budget", "True"]),
    (hsb(100, input_size=0), ValueError, ["input_size", "0"]),
    (hsb(100, output_size=-1), ValueError, ["output_size", "-1"]),
    (hsb(100, max_hidden=0), ValueError, ["max_hidden must be a positive int, got 0"]),
    (hsb(100, max_hidden=10**9), ValueError, ["max_hidden", f"<= {MAX_SIZE}"]),
    (hsb(10**8, max_hidden=4), ValueError, ["out of reach", "hidden_size=4", "101 parameters"]),
    (hsb(5, mode="at_most"), ValueError, ["no hidden size fits budget 5", "14 parameters"]),
    (hsb(100, mode="near"), ValueError, ["mode", "'near'"]),
    (hsb(100, fusd=True), ValueError, ["'fusd'", "did you mean 'fused'"]),
    (lambda: hidden_size_for_budget("lstm", 100), ValueError, ["input_size is required"]),
    (lambda: hidden_size_for_budget(3, 100), TypeError, ["model name or a callable"]),
    (lambda: hidden_size_for_budget(lambda h: 3, 100), TypeError, ["torch.nn.Module"]),
    (lambda: hidden_size_for_budget(lambda h: nn.Linear(3, 3), 100), ValueError,
     ["out of reach", "12 parameters"]),
    (lambda: hidden_size_for_budget(lambda h: nn.Linear(1, h), 100, reps=1), ValueError,
     ["only accepted with a model name"]),
    (lambda: count_parameters(3), TypeError, ["torch.nn.Module", "int"]),
    # qmem.validation
    (lambda: check_float("lr", 10**400), ValueError, ["lr", "finite"]),
    (lambda: check_float("lr", "0.1"), TypeError, ["lr", "'0.1'"]),
    (lambda: check_float("lr", 1j), TypeError, ["lr"]),
    (lambda: check_int("n", np.int64(3)), TypeError, ["n must be an int"]),
    (lambda: check_int("n", 7, maximum=5), ValueError, ["n must be an int <= 5, got 7"]),
    (lambda: check_size_budget("grid", -5), ValueError, ["grid", "-5"]),
    (lambda: check_size_budget("grid", float("nan")), TypeError, ["grid", "nan"]),
    (lambda: check_size_budget("grid", 10**13), ValueError, ["grid", "limit"]),
    (lambda: make_generator(2**64), ValueError, ["seed", "2**64 - 1"]),
    (lambda: make_generator(-1), ValueError, ["seed", "-1"]),
    (lambda: make_generator("1"), TypeError, ["seed", "'1'"]),
    (lambda: make_generator(1, torch.Generator()), ValueError, ["not both"]),
    (lambda: check_device("device", "gpu"), ValueError, ["device", "'gpu'"]),
    (lambda: check_device("device", 0), TypeError, ["device", "0"]),
    (lambda: check_device("device", "cuda:99"), ValueError, ["cuda:99", "available"]),
]


@pytest.mark.parametrize(("call", "error", "words"), CASES)
def test_bad_sizes_budgets_and_checks(call, error, words):
    _raises(call, error, words)


class _Demo(Config):
    n: int = Field(1, ge=1)
    x: float = 1.0
    pair: tuple[int, int] = (1, 2)
    kind: Literal["a", "b"] = "a"


CONFIGS = [
    ({"x": 10**400}, ValueError, ["'x'", "finite", "too large for float64"]),
    ({"x": float("nan")}, ValueError, ["'x'", "finite"]),
    ({"x": "1"}, TypeError, ["'x'", "'1'"]),
    ({"x": True}, TypeError, ["'x'", "True"]),
    ({"n": np.int64(2)}, TypeError, ["'n'", "integer"]),
    ({"n": 0}, ValueError, ["'n'", "greater than or equal to 1"]),
    ({"pair": [1]}, ValueError, ["'pair'", "too few"]),
    ({"pair": [1, 2, 3]}, ValueError, ["'pair'", "at most 2 items"]),
    ({"pair": "ab"}, TypeError, ["'pair'", "tuple"]),
    ({"kind": None}, ValueError, ["'kind'", "'a' or 'b'"]),
    ({"knd": "a"}, ValueError, ["unknown option 'knd'", "did you mean 'kind'"]),
]


@pytest.mark.parametrize(("options", "error", "words"), CONFIGS)
def test_bad_config_values(options, error, words):
    _raises(lambda: _Demo.from_dict(options), error, words)


def test_formula_bound_agrees_with_the_built_count():
    # the bound is checked on the formula; the formula is the built count (independent:
    # nn.LSTM-style count 4H(I + H + 1) + (H + 1)O by hand)
    h = 300
    assert parameter_formula("lstm", input_size=2, hidden_size=h) == 4 * h * (2 + h + 1) + h + 1
    assert count_parameters(build("lstm", input_size=2, hidden_size=h))["total"] == (
        4 * h * (2 + h + 1) + h + 1
    )


def test_budget_search_reaches_large_models_without_building_them():
    # 10**9 parameters of lstm: 4H(H + 2) + H + 1 <= 10**9 at H = 15810 (by hand)
    h = hidden_size_for_budget("lstm", 10**9, input_size=1, mode="at_most")
    total = lambda k: 4 * k * (k + 2) + k + 1  # noqa: E731
    assert total(h) <= 10**9 < total(h + 1) and h == 15810

"""The shared config base (qmem.config) and argument checks (qmem.validation): one rule."""

from __future__ import annotations

from typing import Literal

import pytest
import torch
from pydantic import Field, ValidationError, model_validator

from qmem.config import Config, suggest
from qmem.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_literal,
    check_positive_int,
    check_size_budget,
    make_generator,
)


class Demo(Config):
    reps: int = Field(3, ge=1, le=64)
    scale: float = 1.0
    span: tuple[float, float] = (0.0, 1.0)
    ansatz: Literal["pz", "rpz"] = "pz"
    flag: bool = False
    width: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> Demo:
        if self.span[1] <= self.span[0]:
            raise ValueError(f"span must increase, got {self.span}")
        return self


class Required(Config):
    path: str


@pytest.mark.parametrize(
    ("options", "exc", "words"),
    [
        ({"reps": "2"}, TypeError, ["'reps'", "'2'"]),
        ({"reps": True}, TypeError, ["'reps'", "True"]),
        ({"reps": 2.0}, TypeError, ["'reps'"]),
        ({"reps": 0}, ValueError, ["'reps'", "0"]),
        ({"reps": 10**9}, ValueError, ["'reps'"]),
        ({"flag": "yes"}, TypeError, ["'flag'", "'yes'"]),
        ({"flag": 1}, TypeError, ["'flag'"]),
        ({"scale": float("nan")}, ValueError, ["'scale'"]),
        ({"scale": float("inf")}, ValueError, ["'scale'"]),
        ({"ansatz": "real"}, ValueError, ["'ansatz'", "'real'"]),
        ({"span": [1.0]}, ValueError, ["'span'", "too few"]),
        ({"span": [1.0, 2.0, 3.0]}, ValueError, ["'span' must have at most 2 items, not 3"]),
        ({"span": [2.0, 1.0]}, ValueError, ["span must increase"]),
        ({"span": "ab"}, TypeError, ["'span'"]),
        ({"width": 0}, ValueError, ["'width'"]),
        ({"width": "x"}, TypeError, ["'width'"]),
        ({"rep": 2}, ValueError, ["unknown option 'rep'", "did you mean 'reps'"]),
    ],
)
def test_rule(options, exc, words):
    with pytest.raises(exc) as info:
        Demo.from_dict(options)
    for word in words:
        assert word in str(info.value)
    assert str(info.value).startswith("Demo: ")
    with pytest.raises(exc):  # direct construction follows the same rule
        Demo(**options)


def test_accepted_and_canonical():
    d = Demo.from_dict({"scale": 2, "span": [0, 5], "width": 3})
    assert d.scale == 2.0 and isinstance(d.scale, float)
    assert d.span == (0.0, 5.0) and isinstance(d.span, tuple)
    assert Demo.from_dict(d.to_dict()) == d
    assert d.replace(reps=5).reps == 5 and d.reps == 3
    with pytest.raises(ValueError, match="reps"):
        d.replace(reps=0)
    with pytest.raises(ValidationError, match="frozen"):
        d.reps = 4  # type: ignore[misc]
    assert Demo.option_names() == ("ansatz", "flag", "reps", "scale", "span", "width")
    assert Demo.json_schema()["properties"]["reps"]["maximum"] == 64


def test_owner_missing_keys_and_bad_mappings():
    with pytest.raises(ValueError, match="thing: missing required option 'path'"):
        Required.from_dict({}, owner="thing")
    with pytest.raises(TypeError, match="mapping"):
        Demo.from_dict([("reps", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strings"):
        Demo.from_dict({1: 2})  # type: ignore[dict-item]
    assert Demo.from_dict(None) == Demo()
    assert suggest("zzz", ["reps"]) == ""


@pytest.mark.parametrize(
    ("call", "exc", "words"),
    [
        (lambda: check_int("n", "3"), TypeError, ["n", "'3'"]),
        (lambda: check_int("n", True), TypeError, ["n"]),
        (lambda: check_int("n", 11, minimum=0, maximum=10), ValueError, ["[0, 10]", "11"]),
        (lambda: check_positive_int("h", -1), ValueError, ["h", "-1"]),
        (lambda: check_float("lr", "0.1"), TypeError, ["lr"]),
        (lambda: check_float("lr", float("nan")), ValueError, ["lr", "finite"]),
        (lambda: check_float("p", 2.0, maximum=1.0), ValueError, ["p", "<= 1.0"]),
        (lambda: check_bool("shared", "False"), TypeError, ["shared", "'False'"]),
        (lambda: check_bool("shared", 0), TypeError, ["shared"]),
        (lambda: check_choice("k", 1, ("1", "2")), ValueError, ["k", "'1', '2'"]),
        (lambda: check_literal("a", "x", Literal["y"]), ValueError, ["a", "'y'"]),
        (lambda: check_size_budget("grid", 10**13), ValueError, ["grid", "limit"]),
        (lambda: make_generator("3"), TypeError, ["seed"]),
        (lambda: make_generator(-1), ValueError, ["seed", "-1"]),
        (lambda: make_generator(1, torch.Generator()), ValueError, ["not both"]),
        (lambda: make_generator(generator=3), TypeError, ["generator"]),
    ],
)
def test_validation_refuses(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_unseeded_generator_follows_torch_manual_seed():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        a = torch.rand(2, generator=make_generator())
        torch.manual_seed(5)
        b = torch.rand(2, generator=make_generator())
    assert torch.equal(a, b)

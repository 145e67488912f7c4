"""Hostile calls to every registered model: the one dtype / device / finiteness / shape rule.

Each row is a bad call a careless user makes and the exception class and words it must give
(``docs/errors.md``): no silent cast, no raw torch error from deep inside a layer, no NaN
passed through.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from qmem.models import build, names

try:  # the optional xlstm reference model needs its package
    import xlstm  # noqa: F401

    MODELS = names()
except ImportError:
    MODELS = [n for n in names() if n != "xlstm_ref"]


def _model(name: str) -> torch.nn.Module:
    return build(name, input_size=2, hidden_size=3, output_size=1, seed=0)


def _x(model: torch.nn.Module, batch: int = 2, **kw) -> torch.Tensor:
    steps = getattr(model, "window", 4)
    return torch.rand(batch, steps, 2, **kw)


def _poison(model: torch.nn.Module) -> str:
    name, p = next((n, p) for n, p in model.named_parameters())
    with torch.no_grad():
        p.view(-1)[0] = float("nan")
    return name


BAD: list[tuple[str, Callable[[torch.nn.Module], object], type, str]] = [
    ("float64 input", lambda m: m(_x(m, dtype=torch.float64)), TypeError, "does not match"),
    ("float16 input", lambda m: m(_x(m).half()), TypeError, "torch.float16"),
    ("int input", lambda m: m(_x(m).long()), TypeError, "floating-point"),
    ("complex input", lambda m: m(_x(m).to(torch.complex64)), TypeError, "floating-point"),
    ("list input", lambda m: m([[0.0, 1.0]]), TypeError, "torch.Tensor"),
    ("NaN input", lambda m: m(_x(m).index_fill(1, torch.tensor([0]), float("nan"))),
     ValueError, "non-finite"),
    ("inf input", lambda m: m(_x(m) / 0), ValueError, "non-finite"),
    ("T = 0", lambda m: m(torch.rand(2, 0, 2)), ValueError, "time"),
    ("zero features", lambda m: m(torch.rand(2, 4, 0)), ValueError, "shape"),
    ("wrong features", lambda m: m(torch.rand(2, 4, 3)), ValueError, "shape"),
    ("rank 2", lambda m: m(torch.rand(2, 2)), ValueError, "shape"),
    ("NaN parameter", lambda m: (_poison(m), m(_x(m))), ValueError, "non-finite"),
    ("device mismatch", lambda m: m.to("meta")(_x(m)), ValueError, "device"),
]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(("case", "call", "error", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_call_raises_clear_error(
    name: str, case: str, call: Callable, error: type, words: str
) -> None:
    model = _model(name)
    with pytest.raises(error, match=words):
        call(model)


def _recurrent() -> list[str]:
    return [n for n in MODELS if getattr(_model(n), "recurrent", False)]


@pytest.mark.parametrize("name", _recurrent())
def test_bad_states_are_refused(name: str) -> None:
    model = _model(name)
    x = _x(model)
    state = model.init_state(2)
    nan = tuple(s.clone().fill_(float("nan")) if k == 0 else s for k, s in enumerate(state))
    with pytest.raises(ValueError, match=r"state\[0\] holds non-finite"):
        model(x, nan)
    with pytest.raises(TypeError, match=r"state\[0\] has dtype torch.float64"):
        model(x, tuple(s.double() for s in state))
    with pytest.raises(ValueError, match="shapes"):
        model(x, tuple(s[:1] for s in state))
    with pytest.raises(TypeError, match="tuple of tensors"):
        model(x, "zeros")
    # the parameter check names the broken tensor
    name_p = _poison(model)
    with pytest.raises(ValueError, match=name_p.replace(".", r"\.")):
        model(x)


@pytest.mark.parametrize("name", MODELS)
def test_batch_zero_gives_an_empty_result(name: str) -> None:
    model = _model(name)
    y, _ = model(_x(model, batch=0))
    assert y.shape[0] == 0 and y.shape[-1] == 1

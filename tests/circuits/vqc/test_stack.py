"""VQCStack: several VQC layers on the same input equal the layers run one by one."""

from __future__ import annotations

import pytest
import torch

from qmem.circuits import VQCLayer
from qmem.circuits.vqc.stack import VQCStack

CASES = [("chen2024", 6, 5), ("chen2024", 2, 1), ("chen2024", 7, None), ("chen2020", 4, None),
         ("chen2020", 5, 2), ("chen2020", 3, 3)]


def _layers(family: str, n: int, outputs: int | None, count: int = 4) -> list[VQCLayer]:
    g = torch.Generator().manual_seed(n)
    layers = []
    for k in range(count):
        out = outputs if k % 2 == 0 or outputs is None else max(1, outputs - 1)
        layer = VQCLayer(n, 2, family=family, n_outputs=out, generator=g, dtype=torch.float64)
        with torch.no_grad():
            layer.weights.normal_(generator=g)  # far from the identity
        layers.append(layer)
    return layers


@pytest.mark.parametrize(("family", "n", "outputs"), CASES)
def test_stack_equals_layers_values_and_gradients(family: str, n: int, outputs: int) -> None:
    layers = _layers(family, n, outputs)
    stack = VQCStack.of(layers)
    assert stack is not None and stack.real == (family == "chen2024")
    x = (torch.rand(5, n, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    w = [m.weights for m in layers]
    y = stack.bind(torch.float64)(x)
    ref = torch.cat([m(x) for m in layers], dim=-1)
    assert y.shape == ref.shape
    assert (y - ref).abs().max().item() < 1e-12
    probe = torch.linspace(-1, 1, y.numel(), dtype=torch.float64).reshape(y.shape)
    got = torch.autograd.grad((probe * y).sum(), [x, *w])
    want = torch.autograd.grad((probe * ref).sum(), [x, *w])
    for a, b in zip(got, want, strict=True):
        assert (a - b).abs().max().item() < 1e-12


def test_what_cannot_stack_is_refused() -> None:
    assert VQCStack.of([]) is None
    assert VQCStack.of([torch.nn.Linear(2, 2)]) is None
    assert VQCStack.of([VQCLayer(1, 2, family="chen2024")]) is None  # no entangler
    a, b = VQCLayer(3, 2, family="chen2024"), VQCLayer(3, 3, family="chen2024")
    assert VQCStack.of([a, b]) is None  # different circuits
    shots = VQCLayer(3, 2, family="chen2024", executor="qiskit", executor_options={"shots": 10})
    assert VQCStack.of([shots]) is None
    c = VQCLayer(3, 2, family="chen2024")
    assert VQCStack.of([c, c]) is VQCStack.of([c, c])  # cached
    c.set_executor("pennylane")
    assert VQCStack.of([c, c]) is None  # the cache sees the change


def test_float32_stack_matches_float64() -> None:
    layers = _layers("chen2024", 4, 2)
    x = torch.rand(3, 4, dtype=torch.float64)
    y64 = VQCStack.of(layers).bind(torch.float64)(x)
    for m in layers:
        m.float()
    y32 = VQCStack.of(layers).bind(torch.float32)(x.float())
    assert y32.dtype == torch.float32
    assert (y32.double() - y64).abs().max().item() < 1e-5


def test_no_grad_blocks_are_reused_until_a_weight_changes() -> None:
    layers = _layers("chen2024", 3, 2, count=2)
    stack = VQCStack.of(layers)
    x = torch.rand(2, 3, dtype=torch.float64)
    with torch.no_grad():
        a = stack.bind(torch.float64).keywords["unitaries"]
        b = stack.bind(torch.float64).keywords["unitaries"]
        assert a is b  # no block work on the second call
        layers[0].weights.add_(0.1)  # an optimiser step
        c = stack.bind(torch.float64)
        assert c.keywords["unitaries"] is not a
        assert (c(x) - torch.cat([m(x) for m in layers], -1)).abs().max().item() < 1e-12
    with torch.enable_grad():  # with gradients: always fresh, in the graph
        assert stack.bind(torch.float64).keywords["unitaries"].requires_grad


def test_tables_are_built_once_per_dtype_and_device() -> None:
    stack = VQCStack.of(_layers("chen2024", 4, 2))  # brick CNOTs: permutation tables
    cpu = torch.device("cpu")
    assert stack._tables(torch.float64, cpu) is stack._tables(torch.float64, cpu)
    assert stack._tables(torch.float32, cpu) is not stack._tables(torch.float64, cpu)

"""executor="auto" for DARUAN: the per-call shape rule, the same in daruan() and QKANLayer, and
the same numbers whichever executor it picks."""

from __future__ import annotations

import itertools

import pytest
import torch

from qmem.circuits import QKANLayer, daruan
from qmem.circuits.daruan.auto import AUTO_CONSTANTS, daruan_auto_rule, prefer_bloch
from qmem.circuits.daruan.core import DaruanJob
from qmem.circuits.executors import auto_candidates, resolve_executor

F64 = torch.float64


def test_rule_by_hand() -> None:
    kappa, lam = AUTO_CONSTANTS[(False, True)]
    for n, edges, reps in itertools.product((1, 4, 16, 64, 256), (64, 1024), (1, 4)):
        want = n <= kappa * (2 * reps + 1) + lam / (edges * (reps + 1))
        assert prefer_bloch(n, edges, reps, torch.float32, grad=True) == want
    # Bloch at batch 1 whatever the size; Fourier at a large batch
    for edges, reps in itertools.product((64, 16384), (1, 8)):
        assert prefer_bloch(1, edges, reps, F64, grad=True)
        assert not prefer_bloch(4096, edges, reps, F64, grad=True)


def _picked(layer: QKANLayer, x: torch.Tensor) -> str:
    return layer._pick(x.reshape(-1, layer.in_features), layer._parameter_state()).name


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("grad", [True, False])
def test_layer_picks_what_the_generic_rule_picks(dtype: torch.dtype, grad: bool) -> None:
    for width, reps, n in itertools.product((2, 8, 40), (1, 3), (1, 5, 30, 200)):
        layer = QKANLayer(width, width, reps, seed=0, dtype=dtype)
        x = torch.zeros(n, width, dtype=dtype)
        job = DaruanJob(x.unsqueeze(1), layer.theta, "pz", None, None, "z", reps)
        with torch.set_grad_enabled(grad):
            layer._quiet = None  # a first no-grad call: the rule decides
            want = daruan_auto_rule(job, auto_candidates("daruan", job)).name
            assert _picked(layer, x) == want


def test_daruan_function_resolves_auto_per_call() -> None:
    theta = torch.zeros(16, 16, 3, 2, dtype=F64, requires_grad=True)  # 256 edges, r = 2
    for n, want in ((1, "bloch"), (1024, "fourier")):
        job = DaruanJob(torch.zeros(n, 1, 16, dtype=F64), theta, "pz", None, None, "z", 2)
        assert resolve_executor("daruan", "auto", job).name == want
    w = torch.ones(16, 16, 2, dtype=F64)  # trainable pre-activations: Fourier cannot run
    job = DaruanJob(torch.zeros(1024, 1, 16, dtype=F64), theta, "pz", w, None, "z", 2)
    assert resolve_executor("daruan", "auto", job).name == "bloch"


@pytest.mark.parametrize("n", [1, 2048])
def test_auto_gives_the_numbers_of_both_executors(n: int) -> None:
    g = torch.Generator().manual_seed(7)
    x = torch.randn(n, 4, generator=g, dtype=F64)
    outs, grads = [], []
    for executor in ("auto", "fourier", "bloch"):
        layer = QKANLayer(4, 3, 3, seed=2, theta_init="normal", dtype=F64, executor=executor)
        y = layer(x)
        y.square().sum().backward()
        outs.append(y.detach())
        grads.append(layer.theta.grad)
    for y, gr in zip(outs[1:], grads[1:], strict=True):
        torch.testing.assert_close(outs[0], y, atol=1e-12, rtol=0)
        torch.testing.assert_close(grads[0], gr, atol=1e-11, rtol=0)
    theta = torch.randn(3, 4, 4, 2, generator=g, dtype=F64)
    torch.testing.assert_close(
        daruan(x.unsqueeze(1), theta), daruan(x.unsqueeze(1), theta, executor="bloch"),
        atol=1e-12, rtol=0,
    )


def test_auto_with_trainable_preactivations_runs_bloch() -> None:
    layer = QKANLayer(3, 2, 2, seed=0, preact_trainable=True)
    for n in (1, 4096):
        assert _picked(layer, torch.zeros(n, 3)) == "bloch"

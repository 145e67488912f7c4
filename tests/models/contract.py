"""The model contract as plain functions, usable on any registered model.

Each ``check_*(name, **options)`` builds model ``name`` with :func:`qmem.models.build`
(``input_size=1, hidden_size=3, output_size=1`` and ``options``) and asserts one part of the
contract; it raises :class:`NotApplicable` when that part does not apply (a window model has
no ``step``; no CUDA device). :func:`check_contract` runs them all and reports which ran.
``tests/models/test_contract.py`` runs every check on every registered model;
``tests/models/test_user_model.py`` runs them on a model registered from a test file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qmem.models import build
from qmem.params import count_parameters

__all__ = ["CHECKS", "NotApplicable", "check_contract", "make"]

INPUT, HIDDEN, OUTPUT = 1, 3, 1


class NotApplicable(Exception):
    """This part of the contract does not apply to the model (the reason is the message)."""


def make(name: str, seed: int = 0, **options: Any) -> torch.nn.Module:
    """Model ``name`` at the contract's sizes."""
    return build(name, input_size=INPUT, hidden_size=HIDDEN, output_size=OUTPUT, seed=seed,
                 **options)


def _steps(model: torch.nn.Module, default: int = 6) -> int:
    return model.window if not model.recurrent else default


def _input(model: torch.nn.Module, batch: int = 5, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, _steps(model), INPUT, generator=gen) * 2 - 1


def _needs_step(model: torch.nn.Module) -> None:
    if not model.recurrent or not hasattr(model, "step"):
        raise NotApplicable("no step(): window or full-sequence-only model")


def check_shapes(name: str, **options: Any) -> None:
    """``(B, T, I) -> (B, T, O)`` (recurrent, state accepted back) or ``(B, 1, O), None``."""
    model = make(name, **options)
    x = _input(model)
    y, state = model(x)
    if model.recurrent:
        assert y.shape == (5, x.shape[1], OUTPUT)
        y2, _ = model(x, state)  # the returned state is accepted to go on
        assert y2.shape == y.shape
    else:
        assert y.shape == (5, 1, OUTPUT) and state is None
    assert torch.isfinite(y).all()


def check_gradients_reach_every_parameter(name: str, **options: Any) -> None:
    """Every trainable parameter gets a finite, non-zero gradient."""
    model = make(name, **options)
    x = _input(model, batch=16)
    y, _ = model(x)
    target = torch.rand(y.shape, generator=torch.Generator().manual_seed(1))
    ((y - target) ** 2).mean().backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable
    for pname, p in trainable:
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, f"{name}: no gradient reaches {pname}"


def check_seeded_determinism(name: str, **options: Any) -> None:
    """Same seed, same weights and outputs; another seed, other outputs."""
    a, b, c = make(name, 11, **options), make(name, 11, **options), make(name, 12, **options)
    x = _input(a)
    ya, yb, yc = a(x)[0], b(x)[0], c(x)[0]
    assert torch.equal(ya, yb)
    for (na, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(pa, pb), na
    assert not torch.equal(ya, yc)


def check_state_dict_round_trip(name: str, **options: Any) -> None:
    """``state_dict`` saved and loaded with ``weights_only=True`` reproduces the model."""
    src, dst = make(name, 3, **options), make(name, 4, **options)
    buf = io.BytesIO()
    torch.save(src.state_dict(), buf)
    buf.seek(0)
    dst.load_state_dict(torch.load(buf, weights_only=True))
    x = _input(src)
    assert torch.equal(src(x)[0], dst(x)[0])
    assert count_parameters(src) == count_parameters(dst)


def _oscillator_windows(window: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Damped sine, scaled to [-1, 1]; windows of ``window`` steps -> the next value."""
    t = np.linspace(0.0, 12.0, 64)
    series = np.exp(-0.15 * t) * np.sin(2.0 * t)
    series = series / np.abs(series).max()
    x = np.stack([series[k : k + window] for k in range(len(series) - window)])
    y = series[window:]
    return torch.tensor(x[..., None]), torch.tensor(y[:, None])


def check_loss_falls_on_damped_oscillator(name: str, **options: Any) -> None:
    """25 Adam steps (lr 0.03, float64) at least halve the loss on a damped oscillator."""
    model = make(name, 0, **options).double()
    x, y = _oscillator_windows(4)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)

    def loss_fn() -> torch.Tensor:
        return torch.nn.functional.mse_loss(model(x)[0][:, -1], y)

    with torch.no_grad():
        first = loss_fn().item()
    for _ in range(25):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    with torch.no_grad():
        last = loss_fn().item()
    assert last < 0.5 * first, (name, first, last)


def check_length_1000(name: str, **options: Any) -> None:
    """A recurrent model runs 1000 steps forward and backward, finite."""
    model = make(name, **options)
    if not model.recurrent:
        raise NotApplicable("window model: reads a fixed window")
    x = torch.sin(torch.linspace(0, 60, 1000)).reshape(1, 1000, 1)  # (B=1, T, 1)
    y, state = model(x)
    assert y.shape == (1, 1000, OUTPUT) and torch.isfinite(y).all()
    y[:, -1].sum().backward()
    if state is not None:  # full-sequence-only models (xlstm_ref) return no state
        assert all(torch.isfinite(s).all() for s in state)


def check_step_matches_forward(name: str, **options: Any) -> None:
    """``step`` reproduces ``forward``, keeps a constant-size state, splits carry the state."""
    model = make(name, **options).double()
    _needs_step(model)
    x = _input(model).double()
    y_full, state_full = model(x)
    with torch.no_grad():
        state = None
        shapes = None
        for t in range(x.shape[1]):
            y_t, state = model.step(x[:, t], state)
            torch.testing.assert_close(y_t, y_full[:, t], rtol=1e-12, atol=1e-12)
            assert y_t.grad_fn is None and all(s.grad_fn is None for s in state)
            now = [s.shape for s in state]
            assert shapes is None or now == shapes  # state size does not grow with t
            shapes = now
    for a, b in zip(state, state_full, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # splitting the sequence and carrying the state gives the same output
    y1, s1 = model(x[:, :2])
    y2, _ = model(x[:, 2:], s1)
    torch.testing.assert_close(torch.cat([y1, y2], dim=1), y_full, rtol=1e-12, atol=1e-12)


def check_runs_on_cuda(name: str, **options: Any) -> None:
    """On CUDA, outputs, state and gradients stay on the device."""
    if not torch.cuda.is_available():
        raise NotApplicable("no CUDA device")
    model = make(name, **options).to("cuda")
    x = _input(model).to("cuda")
    y, state = model(x)
    assert y.device.type == "cuda"
    assert state is None or all(s.device.type == "cuda" for s in state)
    y.sum().backward()
    assert all(p.grad.device.type == "cuda" for p in model.parameters() if p.requires_grad)


def _saved_bytes(model: torch.nn.Module, steps: int, grad: bool) -> int:
    """Bytes autograd saves for backward during one forward pass of ``steps`` steps."""
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    x = torch.rand(2, steps, INPUT, generator=torch.Generator().manual_seed(0))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), torch.set_grad_enabled(grad):
        if grad:
            model(x)
        else:
            state = None
            for t in range(steps):
                _, state = model.step(x[:, t], state)
    return total


def check_memory_linear_in_T(name: str, **options: Any) -> None:
    """Training memory is affine in T; ``step`` under ``no_grad`` keeps no graph."""
    model = make(name, **options)
    _needs_step(model)
    sizes = [_saved_bytes(model, t, True) for t in (40, 80, 120)]
    assert sizes[0] > 0
    # affine in T: equal increments per 40 steps (the constant part is per-sequence work,
    # e.g. a QKAN layer's Fourier weights built once); torch's fused kernels round their
    # workspace, which moves an increment by up to ~10 %
    first, second = sizes[1] - sizes[0], sizes[2] - sizes[1]
    assert first > 0 and abs(second - first) <= 0.15 * first, sizes
    assert _saved_bytes(model, 80, False) == 0  # step() under no_grad keeps no graph


def check_global_rng_untouched(name: str, **options: Any) -> None:
    """Building the model neither seeds nor advances torch's global RNG."""
    before = torch.get_rng_state()
    make(name, 5, **options)
    assert torch.equal(before, torch.get_rng_state()), "construction drew from the global RNG"


CHECKS: dict[str, Callable[..., None]] = {
    "shapes": check_shapes,
    "gradients": check_gradients_reach_every_parameter,
    "seeded_determinism": check_seeded_determinism,
    "state_dict_round_trip": check_state_dict_round_trip,
    "loss_falls": check_loss_falls_on_damped_oscillator,
    "length_1000": check_length_1000,
    "step_matches_forward": check_step_matches_forward,
    "cuda": check_runs_on_cuda,
    "memory_linear_in_T": check_memory_linear_in_T,
    "global_rng_untouched": check_global_rng_untouched,
}
"""Every part of the contract, by short name."""


def check_contract(name: str, **options: Any) -> dict[str, str]:
    """Run every check on model ``name``; ``{check: "passed" | "n/a: reason"}``.

    A failing check raises (``AssertionError``) at once.
    """
    out: dict[str, str] = {}
    for key, check in CHECKS.items():
        try:
            check(name, **options)
        except NotApplicable as why:
            out[key] = f"n/a: {why}"
        else:
            out[key] = "passed"
    return out

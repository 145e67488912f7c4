"""Titans memory: the closed-form inner gradient against torch.func, the recurrence step by
step against an autograd-written inner update, and outer gradients through the updates."""

from __future__ import annotations

import pytest
import torch
from torch.func import grad, vmap

from qmem.classical import RecurrentModel, TitansMemoryCell
from qmem.classical.titans import clip_per_sample, memory_apply, memory_grad, memory_loss

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _one_loss(weights: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """‖M(k) - v‖² for one sample, written directly (not through memory_apply)."""
    y = weights[0] @ k
    if weights.shape[0] == 2:
        y = weights[1] @ torch.nn.functional.silu(y)
    return ((y - v) ** 2).sum()


@pytest.mark.parametrize("depth", [1, 2])
def test_closed_form_gradient_equals_torch_func(depth: int) -> None:
    gen = torch.Generator().manual_seed(0)
    B, H = 6, 4
    W = torch.randn(B, depth, H, H, generator=gen, dtype=torch.float64)
    k = torch.randn(B, H, generator=gen, dtype=torch.float64)
    v = torch.randn(B, H, generator=gen, dtype=torch.float64)
    ref = vmap(grad(_one_loss))(W, k, v)
    torch.testing.assert_close(memory_grad(W, k, v), ref, **TOL)
    torch.testing.assert_close(memory_loss(W, k, v), vmap(_one_loss)(W, k, v), **TOL)


@pytest.mark.parametrize("depth", [1, 2])
def test_closed_form_gradient_is_differentiable_like_autograd(depth: int) -> None:
    """Second order: d/dW of <memory_grad, R> equals autograd's Hessian-vector product."""
    gen = torch.Generator().manual_seed(1)
    B, H = 3, 3
    W = torch.randn(B, depth, H, H, generator=gen, dtype=torch.float64, requires_grad=True)
    k = torch.randn(B, H, generator=gen, dtype=torch.float64, requires_grad=True)
    v = torch.randn(B, H, generator=gen, dtype=torch.float64)
    R = torch.randn(B, depth, H, H, generator=gen, dtype=torch.float64)
    mine = torch.autograd.grad((memory_grad(W, k, v) * R).sum(), (W, k))
    g_auto = torch.autograd.grad(memory_loss(W, k, v).sum(), W, create_graph=True)[0]
    ref = torch.autograd.grad((g_auto * R).sum(), (W, k))
    for a, b in zip(mine, ref, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def _reference_run(cell: TitansMemoryCell, x: torch.Tensor):
    """The recurrence with the inner gradient taken by autograd (create_graph=True)."""
    H = cell.hidden_size
    M, S = cell.init_state(x.shape[0], dtype=x.dtype)
    outs, states = [], []
    for t in range(x.shape[1]):
        k, v, q, gates = cell.proj(x[:, t]).split([H, H, H, 3], dim=-1)
        k = k / k.norm(dim=-1, keepdim=True)
        q = q / q.norm(dim=-1, keepdim=True)
        theta, eta, alpha = (torch.sigmoid(gates[:, j]).reshape(-1, 1, 1, 1) for j in range(3))
        Mg = M if M.requires_grad else M.requires_grad_()
        g = torch.autograd.grad(vmap(_one_loss)(Mg, k, v).sum(), Mg, create_graph=True)[0]
        if cell.max_grad_norm is not None:  # min(1, c / ‖g_b‖), written out per sample
            c = cell.max_grad_norm
            g = torch.stack([gb if gb.norm() <= c else gb * (c / gb.norm()) for gb in g])
        S = eta * S - theta * g
        M = (1 - alpha) * M + S
        outs.append(vmap(lambda w, qq: _apply_one(w, qq))(M, q))
        states.append((M, S))
    return torch.stack(outs, dim=1), states


def _apply_one(w: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    y = w[0] @ q
    return w[1] @ torch.nn.functional.silu(y) if w.shape[0] == 2 else y


CLIPS = [None, 1.0, 0.05]  # 0.05: the clip acts on most steps


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("depth", [1, 2])
def test_step_by_step_against_the_autograd_update(depth: int, clip: float | None) -> None:
    g = torch.Generator().manual_seed(2)
    cell = TitansMemoryCell(2, 4, depth=depth, generator=g, max_grad_norm=clip).double()
    x = torch.randn(3, 8, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ref_out, ref_states = _reference_run(cell, x)
    state = cell.init_state(3, dtype=torch.float64)
    for t in range(x.shape[1]):
        out, state = cell(x[:, t], state)
        torch.testing.assert_close(out, ref_out[:, t], **TOL)
        for a, b in zip(state, ref_states[t], strict=True):
            torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("depth", [1, 2])
def test_outer_gradients_flow_through_the_inner_updates(depth: int, clip: float | None) -> None:
    g = torch.Generator().manual_seed(4)
    model = RecurrentModel(TitansMemoryCell(1, 3, depth=depth, generator=g, max_grad_norm=clip),
                           1, generator=g).double()
    x = torch.randn(2, 6, 1, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    params = dict(model.named_parameters())
    y, _ = model(x)
    mine = torch.autograd.grad((y**2).sum(), list(params.values()))
    feats, _ = _reference_run(model.cell, x)
    ref = torch.autograd.grad((model.head(feats) ** 2).sum(), list(params.values()))
    for name, a, b in zip(params, mine, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=name)
    assert mine[list(params).index("cell.memory_init")].abs().sum() > 0


def test_a_write_lowers_the_associative_loss_and_the_state_starts_at_m0() -> None:
    g = torch.Generator().manual_seed(6)
    cell = TitansMemoryCell(1, 3, depth=1, generator=g).double()
    M, S = cell.init_state(2, dtype=torch.float64)
    assert torch.equal(M[0], cell.memory_init.double()) and not S.any()
    gen = torch.Generator().manual_seed(7)
    W = torch.randn(2, 1, 3, 3, generator=gen, dtype=torch.float64)
    k = torch.nn.functional.normalize(torch.randn(2, 3, generator=gen, dtype=torch.float64), dim=-1)
    v = torch.randn(2, 3, generator=gen, dtype=torch.float64)
    W2 = W - 0.25 * memory_grad(W, k, v)  # ‖k‖ = 1: one step of size 1/4 halves the error
    torch.testing.assert_close(memory_apply(W2, k) - v, 0.5 * (memory_apply(W, k) - v), **TOL)


def test_the_clip_acts_and_keeps_deep_memories_finite() -> None:
    """At the initial weights the unclipped depth-2 memory overflows to NaN on a sine in
    [-1, 1] at H = 34; the clipped one stays bounded, and 0.05 does clip (differs from None)."""
    x = torch.sin(torch.linspace(0, 20, 400)).reshape(1, 400, 1).expand(2, 400, 1)
    outs = {}
    for clip in (None, 1.0, 0.05):
        cell = TitansMemoryCell(1, 34, generator=torch.Generator().manual_seed(0),
                                max_grad_norm=clip)
        with torch.no_grad():
            outs[clip], _ = cell.forward_sequence(x, cell.init_state(2))
    assert not torch.isfinite(outs[None]).all()
    assert torch.isfinite(outs[1.0]).all() and outs[1.0].abs().max() < 10
    assert torch.isfinite(outs[0.05]).all() and not torch.equal(outs[0.05], outs[1.0])


def test_clip_per_sample_is_exact_below_the_bound_and_differentiable_at_zero() -> None:
    g = torch.tensor([[[0.3, 0.4]], [[3.0, 4.0]], [[0.0, 0.0]]], dtype=torch.float64,
                     requires_grad=True)
    out = clip_per_sample(g, 1.0)
    assert torch.equal(out[0], g[0]) and torch.equal(out[2], g[2])
    torch.testing.assert_close(out[1], torch.tensor([[0.6, 0.8]], dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda t: clip_per_sample(t, 1.0), (g,))


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), "1"])
def test_bad_max_grad_norm(bad: object) -> None:
    with pytest.raises((ValueError, TypeError), match="max_grad_norm"):
        TitansMemoryCell(1, 2, generator=torch.Generator().manual_seed(0), max_grad_norm=bad)


def test_bad_depth() -> None:
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"depth must be an int in \[1, 2\], got 3"):
        TitansMemoryCell(1, 2, depth=3, generator=g)
    with pytest.raises(TypeError, match="depth must be an int, got True"):
        TitansMemoryCell(1, 2, depth=True, generator=g)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_max_grad_norm_in_the_model_config(bad: object) -> None:
    from qmem.models import parameter_formula

    with pytest.raises((ValueError, TypeError), match="max_grad_norm"):
        parameter_formula("titans_memory", input_size=1, hidden_size=2, max_grad_norm=bad)

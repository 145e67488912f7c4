"""S4D: initialisation, zero-order hold against a matrix exponential, the parallel path
against the explicit convolution kernel and against the recurrent step (1e-10, float64)."""

from __future__ import annotations

import math

import pytest
import torch

from qmem.classical import RecurrentModel, S4DCell
from qmem.classical.s4d import s4d_init_A, s4d_kernel, zoh


def _cell(activation: str = "identity", *, I: int = 2, H: int = 3, M: int = 4,
          init: str = "lin", seed: int = 0) -> S4DCell:
    g = torch.Generator().manual_seed(seed)
    return S4DCell(I, H, modes=M, init=init, dt_max=0.3, activation=activation,
                   generator=g).double()


def _random_state(cell: S4DCell, B: int, seed: int = 9) -> tuple[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(B, cell.hidden_size, cell.modes, 2, generator=gen,
                        dtype=torch.float64),)


def test_s4d_lin_and_inv_initialisation() -> None:
    lin = s4d_init_A(3, "lin")
    torch.testing.assert_close(lin.real, torch.full((3,), -0.5, dtype=torch.float64))
    torch.testing.assert_close(lin.imag, torch.tensor([0.0, math.pi, 2 * math.pi],
                                                       dtype=torch.float64))
    inv = s4d_init_A(2, "inv")  # N = 4: (4/π)(4/(2n+1) - 1)
    torch.testing.assert_close(inv.imag, torch.tensor([12 / math.pi, 4 / (3 * math.pi)],
                                                       dtype=torch.float64))
    cell = _cell(init="inv", M=2)
    torch.testing.assert_close(-torch.exp(cell.log_A_real), torch.full((3, 2), -0.5,
                                                                        dtype=torch.float64))
    dt = torch.exp(cell.log_dt)
    assert ((dt >= 1e-3 - 1e-12) & (dt <= 0.3 + 1e-12)).all()


def test_zoh_equals_the_matrix_exponential_of_the_augmented_system() -> None:
    """exp([[A, B], [0, 0]] Δ) = [[Ā, B̄], [0, 1]] (the held input as a constant state)."""
    A = torch.tensor([[-0.5 + 3.0j, -2.0 + 0.1j], [-0.1 - 7.0j, -1.0 + 0.0j]],
                     dtype=torch.complex128)
    dt = torch.tensor([0.3, 0.05], dtype=torch.float64)
    A_bar, B_bar = zoh(A, dt)
    for h in range(2):
        for n in range(2):
            aug = torch.zeros(2, 2, dtype=torch.complex128)
            aug[0, 0], aug[0, 1] = A[h, n] * dt[h], dt[h]
            e = torch.linalg.matrix_exp(aug)
            torch.testing.assert_close(A_bar[h, n], e[0, 0], rtol=1e-13, atol=1e-14)
            torch.testing.assert_close(B_bar[h, n], e[0, 1], rtol=1e-13, atol=1e-14)


def test_parallel_path_equals_the_explicit_convolution_kernel() -> None:
    cell = _cell("identity")
    B, T = 2, 60
    x = torch.randn(B, T, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    s0 = _random_state(cell, B)
    with torch.no_grad():
        A_bar, B_bar, C = cell.discrete()
        # the kernel by repeated multiplication: K_l = 2 Re Σ C B̄ Ā^l
        power = torch.ones_like(A_bar)
        K = []
        for _ in range(T):
            K.append(2 * (C * B_bar * power).sum(-1).real)
            power = power * A_bar
        K = torch.stack(K, dim=-1)  # (H, T)
        A, dt = cell.continuous()
        torch.testing.assert_close(s4d_kernel(dt[:, None] * A, B_bar, C, T), K,
                                   rtol=1e-12, atol=1e-13)
        u = cell.in_proj(x)  # (B, T, H)
        z = torch.view_as_complex(s0[0])  # (B, H, M)
        y = torch.empty(B, T, cell.hidden_size, dtype=torch.float64)
        for t in range(T):  # direct causal convolution + skip + initial-state response
            conv = sum(K[:, t - j] * u[:, j] for j in range(t + 1))
            free = 2 * (C * A_bar ** (t + 1) * z).sum(-1).real
            y[:, t] = conv + cell.D * u[:, t] + free
        feats, _ = cell.forward_sequence(x, s0)
    torch.testing.assert_close(feats, y, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("activation", "init"), [("gelu", "lin"), ("tanh", "inv")])
def test_parallel_path_equals_the_recurrent_step(activation: str, init: str) -> None:
    cell = _cell(activation, init=init, M=6)
    B, T = 3, 400
    x = torch.randn(B, T, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    s0 = _random_state(cell, B)
    feats, (s_par,) = cell.forward_sequence(x, s0)
    state, steps = s0, []
    for t in range(T):
        out, state = cell(x[:, t], state)
        steps.append(out)
    torch.testing.assert_close(feats, torch.stack(steps, dim=1), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s_par, state[0], rtol=1e-10, atol=1e-10)
    # the gradients of the two paths agree too
    params = list(cell.parameters())
    ga = torch.autograd.grad((feats**2).sum(), params)
    gb = torch.autograd.grad((torch.stack(steps, dim=1) ** 2).sum(), params)
    for a, b in zip(ga, gb, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


def test_model_uses_the_parallel_path_and_float32_agrees() -> None:
    g = torch.Generator().manual_seed(3)
    model = RecurrentModel(S4DCell(1, 4, generator=g), 1, generator=g)
    x = torch.randn(2, 50, 1, generator=torch.Generator().manual_seed(4))
    y, (s,) = model(x)
    model.sequence_engine = False  # the stepped reference loop
    y_ref, (s_ref,) = model(x)
    assert y.dtype == torch.float32 and s.shape == (2, 4, 4, 2)
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(s, s_ref, rtol=1e-5, atol=1e-6)


def test_bad_arguments() -> None:
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="modes must be a positive int, got 0"):
        S4DCell(1, 2, modes=0, generator=g)
    with pytest.raises(ValueError, match="init must be one of 'lin', 'inv', got 'legs'"):
        S4DCell(1, 2, init="legs", generator=g)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"dt_max must be a finite float >= 0.5, got 0.1"):
        S4DCell(1, 2, dt_min=0.5, dt_max=0.1, generator=g)
    with pytest.raises(ValueError, match="activation must be one of"):
        S4DCell(1, 2, activation="relu", generator=g)  # type: ignore[arg-type]

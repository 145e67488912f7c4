"""The sequence engine and the fused kernels equal the stepped reference loop.

Every recurrent model with a fast ``forward_sequence`` is run twice in float64 — engine on
and off (``RecurrentModel.sequence_engine``) — and outputs, final states and the gradients
of every parameter, the input and the initial state must agree to 1e-12.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from qmem.circuits import QKANLayer
from qmem.circuits.daruan.fourier import harmonics
from qmem.circuits.daruan.layer import FourierBasis
from qmem.classical import LSTMCell, RecurrentModel
from qmem.classical.kan import BSplineKAN, SplineBasis
from qmem.classical.lstm_engine import LSTMSequence, lstm_plan
from qmem.edge_form import edge_form_of
from qmem.models import build

CASES: list[tuple[str, dict[str, Any]]] = [
    ("lstm", {}),
    ("lstm", {"fused": False}),
    ("gru", {}),
    ("qkan_lstm", {"reps": 2}),
    ("qkan_lstm", {"reps": 1, "base_activation": "none"}),
    ("qkan_lstm", {"reps": 3, "ansatz": "rpz"}),
    ("kan_lstm", {"grid_size": 4}),
    ("hqkan_lstm", {"reps": 2}),
    ("hqkan_lstm", {"reps": 1, "shared": True, "latent_size": 3}),
    ("slstm", {}),
    ("slstm", {"forget": "exp"}),
    ("lstm_variant", {"variant": "v"}),
    ("lstm_variant", {"variant": "cifg", "gate_map": "qkan", "reps": 2}),
    ("lstm_variant", {"variant": "nfg", "gate_map": "kan"}),
    ("lstm_variant", {"variant": "noaf"}),
    ("lstm_variant", {"variant": "niaf", "gate_map": "hqkan", "reps": 1}),
    ("lstm_variant", {"variant": "nig"}),
    ("lstm_variant", {"variant": "nog"}),
    ("lstm_variant", {"variant": "np", "gate_map": "qkan", "reps": 1}),
    ("qlstm_2024", {"n_layers": 2}),
    ("qlstm", {"n_layers": 1}),
]


def _grads(model: RecurrentModel, x: torch.Tensor, state: tuple) -> tuple[torch.Tensor, ...]:
    x = x.clone().requires_grad_(True)
    st = tuple(s.clone().requires_grad_(True) for s in state)
    y, out_state = model(x, st)
    w = torch.linspace(-1, 1, y.numel(), dtype=y.dtype).reshape(y.shape)
    loss = (w * y).sum() + sum((s**2).sum() for s in out_state)
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, [x, *st, *params])
    return (y.detach(), *(s.detach() for s in out_state), *grads)


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_engine_equals_reference_loop(name: str, options: dict) -> None:
    model = build(name, input_size=2, hidden_size=4, output_size=1, seed=3, **options).double()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 7, 2, generator=g, dtype=torch.float64) * 2 - 1
    state = tuple(
        0.3 * torch.rand(3, *s, generator=g, dtype=torch.float64) for s in model.cell.state_shapes
    )
    if name == "slstm":  # its state needs n >= 1 where non-empty
        state = (state[0], state[1], state[2] + 1, state[3])
        state[2][0, 0] = 0.0  # and one empty unit, the where(n == 0) branch
    fast = _grads(model, x, state)
    model.sequence_engine = False
    ref = _grads(model, x, state)
    assert len(fast) == len(ref)
    for a, b in zip(fast, ref, strict=True):
        assert (a - b).abs().max().item() <= 1e-12


@pytest.mark.parametrize(
    "name",
    ["lstm", "gru", "qkan_lstm", "kan_lstm", "hqkan_lstm", "qlstm_2024", "qlstm", "slstm",
     "lstm_variant"],
)
def test_models_take_the_fast_path(name: str) -> None:
    model = build(name, input_size=1, hidden_size=3, output_size=1, seed=0)
    x = torch.zeros(2, 4, 1)
    assert model.cell.forward_sequence(x, model.init_state(2)) is not None


def test_simulator_executors_and_trainable_preactivations_step_the_reference_loop() -> None:
    for options in ({"executor": "bloch"}, {"preact_trainable": True}):
        model = build("qkan_lstm", input_size=1, hidden_size=2, output_size=1, seed=0, **options)
        assert model.cell.forward_sequence(torch.zeros(1, 3, 1), model.init_state(1)) is None
        y, _ = model(torch.zeros(1, 3, 1))  # and the model still runs
        assert y.shape == (1, 3, 1)


def test_lstm_sequence_passes_gradcheck() -> None:
    g = torch.Generator().manual_seed(0)
    cell = LSTMCell(1, 2, lambda i, o: QKANLayer(i, o, reps=2, seed=g)).double()
    plan = lstm_plan([cell.gates], 1)
    T, B, H = 3, 2, 2
    P = torch.randn(T, B, 4 * H, dtype=torch.float64, generator=g, requires_grad=True)
    C = plan.C.detach().clone().requires_grad_(True)
    h0 = torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True)
    c0 = torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True)
    Q = torch.randn(T, B, 3, dtype=torch.float64, generator=g, requires_grad=True)
    A = torch.randn(3, H, dtype=torch.float64, generator=g, requires_grad=True)
    C3 = torch.randn(4 * H, 3 * plan.basis.width, dtype=torch.float64, generator=g)
    C3.requires_grad_(True)

    def edge(P, C, h0, c0):
        return LSTMSequence.apply(P, None, None, C, h0, c0, plan.basis)

    def neck(P, Q, A, C, h0, c0):
        return LSTMSequence.apply(P, Q, A, C, h0, c0, plan.basis)

    assert torch.autograd.gradcheck(edge, (P, C, h0, c0))
    assert torch.autograd.gradcheck(neck, (P, Q, A, C3, h0, c0))


def _basis_cases() -> list:
    k, p = harmonics(3, dtype=torch.float64, device=torch.device("cpu"))
    knots = torch.linspace(-1.6, 1.6, 12, dtype=torch.float64).expand(4, 12)
    return [FourierBasis(k, p, silu=True), FourierBasis(k, p, silu=False), SplineBasis(knots, 3)]


@pytest.mark.parametrize("basis", _basis_cases(), ids=["fourier+silu", "fourier", "spline"])
def test_basis_derivative_equals_autograd(basis: Any) -> None:
    z = (torch.rand(5, 4, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    phi = basis(z)  # (5, 4, F)
    assert phi.shape == (5, 4, basis.width)
    cols = [
        torch.autograd.grad(phi[..., f].sum(), z, retain_graph=True)[0] for f in range(basis.width)
    ]
    want = torch.stack(cols, dim=-1)  # (5, 4, F)
    assert (basis.derivative(z.detach()) - want).abs().max().item() < 1e-12


@pytest.mark.parametrize(
    "layer",
    [
        torch.nn.Linear(3, 2, dtype=torch.float64),
        BSplineKAN(3, 2, generator=torch.Generator().manual_seed(0)).double(),
        QKANLayer(3, 2, reps=2, seed=0, dtype=torch.float64),
        QKANLayer(3, 2, reps=1, ansatz="real", base_activation="none", seed=1, dtype=torch.float64),
    ],
    ids=["linear", "kan", "qkan", "qkan-real"],
)
def test_edge_form_equals_the_layer(layer: torch.nn.Module) -> None:
    x = torch.rand(6, 3, dtype=torch.float64) * 2 - 1
    form = edge_form_of(layer)
    assert (form.apply(x) - layer(x)).abs().max().item() < 1e-12
    part = form.columns(1, 3)  # the map restricted to inputs 1..2 plus the bias
    pad = form.columns(0, 1).apply(x[:, :1]) - (0 if form.bias is None else form.bias)
    assert (part.apply(x[:, 1:]) + pad - layer(x)).abs().max().item() < 1e-12


def test_batch_zero_gives_an_empty_result() -> None:
    for name in ("lstm", "gru", "qkan_lstm"):
        model = build(name, input_size=1, hidden_size=2, output_size=1, seed=0)
        y, state = model(torch.zeros(0, 3, 1))
        assert y.shape == (0, 3, 1) and all(s.shape[0] == 0 for s in state)


def test_elementwise_sequence_passes_gradcheck() -> None:
    from qmem.classical.elementwise_engine import ElementwiseSequence
    from qmem.classical.lstm_variants import LSTMVariantCell
    from qmem.edge_form import IdentityBasis

    g = torch.Generator().manual_seed(0)
    cell = LSTMVariantCell(1, 2, lambda i, o: torch.nn.Linear(i, o), variant="v", generator=g)
    update, _ = cell.elementwise_update()
    T, B, H, G = 3, 2, 2, 4
    args = [
        torch.randn(T, B, G * H, dtype=torch.float64, generator=g),  # P
        torch.randn(G * H, H, dtype=torch.float64, generator=g),  # C (identity basis: D = H)
        torch.randn(B, H, dtype=torch.float64, generator=g),  # h0
        torch.randn(B, 1, H, dtype=torch.float64, generator=g),  # s0 = (c0,)
        torch.randn(3, H, dtype=torch.float64, generator=g),  # peepholes
    ]
    args = [a.requires_grad_(True) for a in args]

    def run(P, C, h0, s0, p):
        return ElementwiseSequence.apply(P, None, None, C, h0, s0, p, IdentityBasis(), update)

    assert torch.autograd.gradcheck(run, tuple(args))


@pytest.mark.parametrize("name", ["qkan_lstm", "hqkan_lstm", "slstm", "lstm_variant"])
def test_inference_loop_equals_the_training_path(name: str) -> None:
    model = build(name, input_size=2, hidden_size=3, output_size=1, seed=1).double()
    x = torch.rand(2, 6, 2, dtype=torch.float64)
    y_grad, s_grad = model(x)
    with torch.no_grad():
        y, s = model(x)
    assert (y - y_grad).abs().max().item() < 1e-13
    assert all((a - b).abs().max().item() < 1e-13 for a, b in zip(s, s_grad, strict=True))


def test_engine_trains_after_a_first_call_under_inference_mode() -> None:
    model = build("qkan_lstm", input_size=1, hidden_size=2, output_size=1, seed=0)
    x = torch.rand(2, 4, 1)
    with torch.inference_mode():
        model(x)
    y, _ = model(x)  # no inference tensor from any cache reaches the backward
    y.sum().backward()
    assert model.cell.gates.theta.grad is not None


def test_joint_edge_forms_equal_each_layers_own() -> None:
    layers = [QKANLayer(3, 2, reps=2, seed=k, dtype=torch.float64) for k in range(3)]
    joint = QKANLayer.edge_forms(layers)
    for layer, form in zip(layers, joint, strict=True):
        own = layer.edge_form()
        assert (form.weight - own.weight).abs().max().item() < 1e-14
        assert (form.bias - own.bias).abs().max().item() < 1e-14

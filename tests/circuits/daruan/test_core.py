"""DARUAN: every executor against an independent simulator, gradients, errors."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qmem.circuits import daruan, daruan_circuit
from qmem.circuits.daruan import daruan_angles, theta_shape
from qmem.circuits.daruan.fourier import fourier_coefficients

from .. import daruan_reference as ref

ANSATZE = ["pz", "rpz", "real"]
F64 = torch.float64


def _params(ansatz, reps, lead, gen, preact):
    theta = torch.randn(*lead, *theta_shape(ansatz, reps), generator=gen, dtype=F64)
    if not preact:
        return theta, None, None
    w = torch.randn(*lead, reps, generator=gen, dtype=F64)
    b = torch.randn(*lead, reps, generator=gen, dtype=F64)
    return theta, w, b


def _reference(x, theta, w, b, ansatz, readout="z"):
    reps = theta.shape[-2] - 1 if ansatz == "pz" else theta.shape[-1] - (ansatz == "rpz")
    z = x.unsqueeze(-1) * (1.0 if w is None else w) + (0.0 if b is None else b)
    z = z.expand(*z.shape[:-1], reps)
    angles = daruan_angles(z, theta, ansatz).numpy()
    fn = ref.expval_z if readout == "z" else ref.abs_readout
    return torch.from_numpy(fn(daruan_circuit(ansatz, reps), angles))


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("reps", [1, 2, 5])
@pytest.mark.parametrize("preact", [False, True])
def test_torch_executors_match_reference(ansatz, reps, preact, gen):
    theta, w, b = _params(ansatz, reps, (3, 2), gen, preact)
    x = 3 * torch.randn(4, 3, 2, generator=gen, dtype=F64)
    want = _reference(x, theta, w, b, ansatz)
    executors = ["bloch"] if preact else ["fourier", "bloch", "auto"]
    for executor in executors:
        got = daruan(x, theta, ansatz=ansatz, w=w, b=b, executor=executor)
        assert got.shape == (4, 3, 2) and got.dtype == F64
        torch.testing.assert_close(got, want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_abs_readout_is_qkan_fast_measure(ansatz, gen):
    theta, w, b = _params(ansatz, 3, (5,), gen, True)
    x = torch.randn(5, generator=gen, dtype=F64)
    got = daruan(x, theta, ansatz=ansatz, w=w, b=b, readout="abs", executor="bloch")
    torch.testing.assert_close(got, _reference(x, theta, w, b, ansatz, "abs"), atol=1e-10, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("preact", [False, True])
@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_pennylane_matches_reference(ansatz, preact, device, gen):
    theta, w, b = _params(ansatz, 2, (3,), gen, preact)
    x = torch.randn(2, 3, generator=gen, dtype=F64)
    got = daruan(x, theta, ansatz=ansatz, w=w, b=b, executor="pennylane", device=device)
    assert got.shape == (2, 3) and got.dtype == F64
    tol = 1e-6  # lightning returns float32 through the torch interface (~1e-8 off)
    torch.testing.assert_close(got, _reference(x, theta, w, b, ansatz), atol=tol, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("preact", [False, True])
def test_qiskit_exact_matches_reference(ansatz, preact, gen):
    theta, w, b = _params(ansatz, 2, (3,), gen, preact)
    x = torch.randn(2, 3, generator=gen, dtype=F64)
    got = daruan(x, theta, ansatz=ansatz, w=w, b=b, executor="qiskit")
    torch.testing.assert_close(got, _reference(x, theta, w, b, ansatz), atol=1e-6, rtol=0)


def test_qiskit_shots_within_statistical_error_and_reproducible(gen):
    theta, w, b = _params("pz", 2, (6,), gen, True)
    x = torch.randn(6, generator=gen, dtype=F64)
    shots = 4000
    a = daruan(x, theta, w=w, b=b, executor="qiskit", shots=shots, seed=7)
    again = daruan(x, theta, w=w, b=b, executor="qiskit", shots=shots, seed=7)
    exact = _reference(x, theta, w, b, "pz")
    sigma = torch.sqrt((1 - exact**2).clamp_min(1e-12) / shots)
    assert torch.equal(a, again)
    assert bool(((a - exact).abs() <= 5 * sigma + 1e-9).all()), (a - exact) / sigma
    assert not torch.allclose(a, exact, atol=1e-9)  # it really sampled


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_gradients_match_finite_differences(ansatz, gen):
    theta, w, b = _params(ansatz, 2, (2,), gen, True)
    x = torch.randn(3, 2, generator=gen, dtype=F64)
    for t in (theta, w, b, x):
        t.requires_grad_(True)

    def sv(x, theta, w, b):
        return daruan(x, theta, ansatz=ansatz, w=w, b=b, executor="bloch")

    assert torch.autograd.gradcheck(sv, (x, theta, w, b))

    def fourier(x, theta):
        return daruan(x, theta, ansatz=ansatz, executor="fourier")

    assert torch.autograd.gradcheck(fourier, (x, theta))


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_theta_gradient_equals_parameter_shift(ansatz, gen):
    theta, _, _ = _params(ansatz, 3, (), gen, False)
    x = torch.tensor(0.37, dtype=F64)
    theta.requires_grad_(True)
    (grad,) = torch.autograd.grad(daruan(x, theta, ansatz=ansatz), theta)
    flat = theta.detach().reshape(-1)  # (n_theta,)
    shifted = []
    for k in range(flat.numel()):
        e = torch.zeros_like(flat)
        e[k] = math.pi / 2
        plus = daruan(x, (flat + e).reshape(theta.shape), ansatz=ansatz)
        minus = daruan(x, (flat - e).reshape(theta.shape), ansatz=ansatz)
        shifted.append((plus - minus) / 2)
    torch.testing.assert_close(grad.reshape(-1), torch.stack(shifted), atol=1e-12, rtol=0)


@pytest.mark.parametrize("executor", ["pennylane", "qiskit"])
def test_sdk_gradients_match_statevector(executor, gen):
    theta, w, b = _params("pz", 2, (2,), gen, True)
    x = torch.randn(2, generator=gen, dtype=F64)
    grads = {}
    for name in ("bloch", executor):
        params = [t.clone().requires_grad_(True) for t in (x, theta, w, b)]
        out = daruan(*params[:2], w=params[2], b=params[3], executor=name)
        grads[name] = torch.autograd.grad(out.sum(), params)
    for got, want in zip(grads[executor], grads["bloch"], strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("reps", [1, 3])
def test_output_is_trigonometric_polynomial_of_degree_reps(ansatz, reps, gen):
    theta, _, _ = _params(ansatz, reps, (), gen, False)
    n = 64
    x = torch.arange(n, dtype=F64) * (2 * math.pi / n)
    spectrum = np.fft.rfft(daruan(x, theta, ansatz=ansatz, executor="bloch").numpy())
    assert np.abs(spectrum[reps + 1 :]).max() < 1e-10
    assert np.abs(spectrum[reps]) > 1e-6


def test_real_ansatz_collapses_to_one_sinusoid(gen):
    theta, w, b = _params("real", 4, (), gen, True)
    coeffs = fourier_coefficients(theta, "real")  # w = 1: φ = A sin(4x + c)
    assert coeffs[[0, 1, 2, 3, 5, 6, 7]].abs().max() < 1e-12
    torch.testing.assert_close(coeffs[[4, 8]].norm(), torch.tensor(1.0, dtype=F64))
    # trainable pre-activations: one sinusoid of frequency Σ w_l
    x = torch.linspace(-3, 3, 50, dtype=F64)
    phi = daruan(x, theta, ansatz="real", w=w, b=b)
    freq = w.sum()
    basis = torch.stack([torch.sin(freq * x), torch.cos(freq * x)], dim=1)  # (50, 2)
    fit = torch.linalg.lstsq(basis, phi.unsqueeze(1)).solution
    torch.testing.assert_close(basis @ fit, phi.unsqueeze(1), atol=1e-10, rtol=0)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(ANSATZE),
    st.integers(1, 4),
    st.lists(st.integers(1, 3), min_size=0, max_size=2),
    st.lists(st.integers(1, 3), min_size=0, max_size=2),
)
def test_broadcasting_and_float32(ansatz, reps, x_shape, p_shape):
    gen = torch.Generator().manual_seed(0)
    theta = torch.randn((*p_shape, *theta_shape(ansatz, reps)), generator=gen)
    x = torch.randn((*x_shape, *p_shape), generator=gen)
    want = daruan(x.double(), theta.double(), ansatz=ansatz, executor="bloch")
    for executor in ("fourier", "bloch"):
        got = daruan(x, theta, ansatz=ansatz, executor=executor)
        assert got.dtype == torch.float32 and got.shape == want.shape
        torch.testing.assert_close(got.double(), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ansatz": "px"}, ValueError, "unknown ansatz 'px'"),
        ({"executor": "cuda"}, ValueError, "unknown executor 'cuda'"),
        ({"readout": "x"}, ValueError, "readout must be one of .*got 'x'"),
        ({"theta": torch.zeros(1, 2)}, ValueError, "reps must be >= 1"),
        ({"theta": torch.zeros(3, 3)}, ValueError, r"shape \(\.\.\., r\+1, 2\)"),
        ({"w": torch.ones(5)}, ValueError, "w must have shape"),
        ({"w": torch.ones(2), "executor": "fourier"}, ValueError, "use 'bloch'"),
        ({"readout": "abs", "executor": "fourier"}, ValueError, "readout 'z'"),
        ({"x": torch.tensor([0.0, math.nan])}, ValueError, "non-finite"),
        ({"x": torch.tensor([math.inf])}, ValueError, "non-finite"),
        ({"x": torch.tensor([1, 2])}, TypeError, "floating-point"),
        ({"x": [0.1]}, TypeError, "torch.Tensor"),
        ({"executor": "bloch", "shots": 10}, ValueError, "takes no options"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, error, match):
    args = {"x": torch.zeros(2), "theta": torch.zeros(3, 2), **kwargs}
    x, theta = args.pop("x"), args.pop("theta")
    with pytest.raises(error, match=match):
        daruan(x, theta, **args)


def test_circuit_exports_to_qiskit_and_draws():
    from qmem.circuits.export import draw, to_qasm3, to_qiskit

    circuit = daruan_circuit("pz", 2)
    qc = to_qiskit(circuit)
    assert qc.num_qubits == 1 and len(qc.parameters) == circuit.n_slots
    assert "OPENQASM 3" in to_qasm3(circuit)
    assert "Rz" in draw(circuit) or "RZ" in draw(circuit).upper()


@pytest.mark.gpu
@pytest.mark.parametrize("ansatz", ANSATZE)
def test_torch_executors_on_cuda(ansatz, gen):
    theta, w, b = _params(ansatz, 3, (4,), gen, True)
    x = torch.randn(5, 4, generator=gen, dtype=F64)
    for executor, ww, bb in (("fourier", None, None), ("bloch", w, b)):
        want = daruan(x, theta, ansatz=ansatz, w=ww, b=bb, executor=executor)
        cuda = [None if t is None else t.cuda() for t in (x, theta, ww, bb)]
        got = daruan(cuda[0], cuda[1], ansatz=ansatz, w=cuda[2], b=cuda[3], executor=executor)
        assert got.device.type == "cuda"
        torch.testing.assert_close(got.cpu(), want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
def test_exported_circuit_computes_the_activation(ansatz, gen):
    from qiskit.quantum_info import Pauli, Statevector

    from qmem.circuits import daruan_draw, daruan_qasm3, daruan_qiskit

    theta, w, b = _params(ansatz, 2, (), gen, True)
    x = 0.7
    qc = daruan_qiskit(x, theta, ansatz=ansatz, w=w, b=b)
    z = Statevector(qc).expectation_value(Pauli("Z")).real
    want = daruan(torch.tensor(x, dtype=F64), theta, ansatz=ansatz, w=w, b=b)
    assert abs(z - want.item()) < 1e-12
    assert "OPENQASM 3" in daruan_qasm3(x, theta, ansatz=ansatz, w=w, b=b)
    assert "H" in daruan_draw(x, theta, ansatz=ansatz)
    with pytest.raises(ValueError, match="one activation"):
        daruan_qiskit(x, theta.expand(2, *theta.shape), ansatz=ansatz)


@pytest.mark.parametrize("keep_states", [True, False])
def test_bloch_engine_gradients_both_backward_modes(keep_states):
    from qmem.circuits.emulation.bloch import bloch_run

    gen = torch.Generator().manual_seed(4)
    gates = (("rz", "f", 0), ("ry", "f", 1), ("rz", "d", 0), ("x", None, 0), ("ry", "f", 2),
             ("z", None, 0), ("ry", "d", 1), ("rz", "d", 2), ("ry", "f", 3))
    fixed = torch.randn(4, 3, 1, generator=gen, dtype=F64, requires_grad=True)
    data = torch.randn(3, 3, 5, generator=gen, dtype=F64, requires_grad=True)
    shared = torch.randn(5, generator=gen, dtype=F64, requires_grad=True)

    def run(f, d, x):
        return bloch_run(gates, f, d, x, keep_states=keep_states)

    assert torch.autograd.gradcheck(run, (fixed, data, shared))
    # the same numbers as the gate-by-gate numpy reference
    circuit_ops = []
    from qmem.circuits.ir import Circuit, Op

    angles = []
    for kind, src, idx in gates:
        if kind in ("x", "z"):
            circuit_ops.append(Op(kind.upper(), (0,)))
            continue
        circuit_ops.append(Op(kind.upper(), (0,), len(angles)))
        angles.append(fixed[idx].expand(3, 5) if src == "f" else data[idx] + shared)
    circuit = Circuit(1, (Op("H", (0,)), *circuit_ops), tuple(f"a{k}" for k in range(len(angles))),
                      (0,))
    stacked = torch.stack(angles, dim=-1).detach().numpy()  # (3, 5, n_slots)
    want = torch.from_numpy(ref.expval_z(circuit, stacked))
    torch.testing.assert_close(run(fixed, data, shared), want, atol=1e-12, rtol=0)

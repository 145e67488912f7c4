"""The PennyLane and qiskit-aer executors against an independent numpy statevector simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from qmem.circuits.backends import pennylane as pennylane_backend
from qmem.circuits.backends import qiskit as qiskit_backend
from qmem.circuits.ir import Circuit, Op

# ---------------------------------------------------------------- independent reference
_I2 = np.eye(2, dtype=complex)
_FIXED_1Q = {
    "H": np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_FIXED_2Q = {  # basis |control target>, control is the first (more significant) index
    "CNOT": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex),
    "CZ": np.diag([1, 1, 1, -1]).astype(complex),
}


def _rotation(gate: str, phi: float) -> np.ndarray:
    pauli = {"RX": _FIXED_1Q["X"], "RY": _FIXED_1Q["Y"], "RZ": _FIXED_1Q["Z"]}[gate]
    return math.cos(phi / 2) * _I2 - 1j * math.sin(phi / 2) * pauli  # exp(-i phi P / 2)


def ref_state(circuit: Circuit, theta: np.ndarray) -> np.ndarray:
    """State as an (2,)*n array, axis w = wire w (wire 0 most significant)."""
    n = circuit.n_qubits
    psi = np.zeros((2,) * n, dtype=complex)
    psi[(0,) * n] = 1.0
    for op in circuit.ops:
        if op.slot is not None:
            u = _rotation(op.gate, float(theta[op.slot]))
        elif op.gate in _FIXED_1Q:
            u = _FIXED_1Q[op.gate]
        else:
            u = _FIXED_2Q[op.gate].reshape(2, 2, 2, 2)  # (out_c, out_t, in_c, in_t)
        k = len(op.wires)
        psi = np.tensordot(u, psi, axes=(list(range(k, 2 * k)), list(op.wires)))
        psi = np.moveaxis(psi, list(range(k)), list(op.wires))  # gate axes back in place
    return psi


def ref_expval(circuit: Circuit, theta: np.ndarray) -> np.ndarray:
    """<Z_w> for w in readout, for angles of shape (..., n_slots) -> (..., R)."""
    lead = theta.shape[:-1]
    flat = theta.reshape(-1, circuit.n_slots)  # (..., S) -> (B, S)
    out = np.empty((flat.shape[0], len(circuit.readout)))
    for b, t in enumerate(flat):
        prob = np.abs(ref_state(circuit, t)) ** 2
        for k, w in enumerate(circuit.readout):
            p = np.moveaxis(prob, w, 0).reshape(2, -1).sum(axis=1)  # (2,) marginal of wire w
            out[b, k] = p[0] - p[1]
    return out.reshape(*lead, len(circuit.readout))  # (B, R) -> (..., R)


def ref_vjp_fd(circuit: Circuit, theta: np.ndarray, w: np.ndarray, h: float = 1e-6):
    """Central finite differences of sum(w * f(theta)) w.r.t. theta."""
    grad = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        tp, tm = theta.copy(), theta.copy()
        tp[idx] += h
        tm[idx] -= h
        grad[idx] = np.sum(w * (ref_expval(circuit, tp) - ref_expval(circuit, tm))) / (2 * h)
    return grad


def random_circuit(rng: np.random.Generator) -> Circuit:
    """1..4 qubits, ~10 random gates, slots in a random permutation, random readout."""
    n = int(rng.integers(1, 5))
    names = ["H", "X", "Y", "Z", "RX", "RY", "RZ"] + (["CNOT", "CZ"] * 2 if n > 1 else [])
    gates = [str(rng.choice(["RX", "RY"]))]  # at least one slot, not diagonal at the start
    gates += [str(g) for g in rng.choice(names, size=int(rng.integers(6, 12)))]
    n_rot = sum(g in ("RX", "RY", "RZ") for g in gates)
    perm = iter(rng.permutation(n_rot).tolist())
    ops = []
    for g in gates:
        if g in ("CNOT", "CZ"):
            ops.append(Op(g, tuple(int(x) for x in rng.choice(n, size=2, replace=False))))
        elif g in ("RX", "RY", "RZ"):
            ops.append(Op(g, (int(rng.integers(n)),), next(perm)))
        else:
            ops.append(Op(g, (int(rng.integers(n)),)))
    readout = tuple(int(x) for x in rng.permutation(n)[: int(rng.integers(1, n + 1))])
    return Circuit(n, tuple(ops), tuple(f"s{k}" for k in range(n_rot)), readout)


def run(executor: str, circuit: Circuit, angles: torch.Tensor, **kw) -> torch.Tensor:
    if executor == "default.qubit":
        return pennylane_backend.expval_z(circuit, angles, device="default.qubit", **kw)
    if executor == "lightning.qubit":
        return pennylane_backend.expval_z(circuit, angles, device="lightning.qubit", **kw)
    return qiskit_backend.expval_z(circuit, angles, **kw)


EXECUTORS = ["default.qubit", "lightning.qubit", "qiskit"]
CASES = [np.random.default_rng(seed) for seed in (11, 12, 13, 14, 15)]


# ---------------------------------------------------------------- the reference itself
def test_reference_on_known_states() -> None:
    # H then CNOT: Bell state; RY(t) on wire 1: <Z1> = cos t; X on wire 0 only flips wire 0
    bell = Circuit(2, (Op("H", (0,)), Op("CNOT", (0, 1))), (), (0, 1))
    psi = ref_state(bell, np.zeros(0)).reshape(4)  # (2, 2) -> (4,), wire 0 most significant
    np.testing.assert_allclose(psi, np.array([1, 0, 0, 1]) / np.sqrt(2), atol=1e-12)
    c = Circuit(2, (Op("X", (0,)), Op("RY", (1,), 0)), ("t",), (0, 1))
    np.testing.assert_allclose(ref_expval(c, np.array([0.7])), [-1.0, math.cos(0.7)], atol=1e-12)
    assert np.argmax(np.abs(ref_state(c, np.array([0.0])).reshape(4))) == 2  # |10>


# ---------------------------------------------------------------- values
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_executors_match_reference(case: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(100 + case)
    circuit = random_circuit(np.random.default_rng(11 + case))
    theta = rng.uniform(-np.pi, np.pi, size=(*shape, circuit.n_slots))
    expected = ref_expval(circuit, theta)
    angles = torch.tensor(theta, dtype=torch.float64)
    for name in EXECUTORS:
        got = run(name, circuit, angles)
        assert got.shape == (*shape, len(circuit.readout)), name
        assert got.dtype == torch.float64, name
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6, rtol=0, err_msg=name)


@pytest.mark.parametrize("name", EXECUTORS)
def test_qubit_order_known_circuit(name: str) -> None:
    c = Circuit(2, (Op("X", (0,)), Op("RZ", (1,), 0)), ("t",), (0, 1))
    got = run(name, c, torch.zeros(1, dtype=torch.float64))
    torch.testing.assert_close(got, torch.tensor([-1.0, 1.0], dtype=torch.float64))
    # three wires, readout reversed and repeated: X on wire 0, RY(pi) on wire 2 -> |101>
    c3 = Circuit(3, (Op("X", (0,)), Op("RY", (2,), 0)), ("t",), (2, 1, 0, 2))
    got = run(name, c3, torch.tensor([math.pi], dtype=torch.float64))
    torch.testing.assert_close(got, torch.tensor([-1.0, 1.0, -1.0, -1.0], dtype=torch.float64))


@pytest.mark.parametrize("name", EXECUTORS)
def test_float32_in_float32_out(name: str) -> None:
    circuit = random_circuit(np.random.default_rng(21))
    theta = np.random.default_rng(22).uniform(-3, 3, size=(4, circuit.n_slots))
    angles = torch.tensor(theta, dtype=torch.float32, requires_grad=True)
    got = run(name, circuit, angles)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.detach().numpy(), ref_expval(circuit, theta), atol=1e-5)
    got.sum().backward()
    assert angles.grad is not None and angles.grad.dtype == torch.float32


@pytest.mark.parametrize("name", EXECUTORS)
def test_circuit_without_slots_and_empty_batch(name: str) -> None:
    c = Circuit(2, (Op("H", (0,)), Op("CNOT", (0, 1)), Op("X", (1,))), (), (1, 0))
    got = run(name, c, torch.zeros(3, 0, dtype=torch.float64))
    torch.testing.assert_close(got, torch.zeros(3, 2, dtype=torch.float64))
    c1 = Circuit(1, (Op("X", (0,)),), (), (0,))
    torch.testing.assert_close(
        run(name, c1, torch.zeros(2, 0, dtype=torch.float64)),
        -torch.ones(2, 1, dtype=torch.float64),
    )
    r = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    assert run(name, r, torch.zeros(0, 1, dtype=torch.float64)).shape == (0, 1)


def test_qiskit_chunking_does_not_change_exact_values() -> None:
    circuit = random_circuit(np.random.default_rng(31))
    theta = np.random.default_rng(32).uniform(-3, 3, size=(7, circuit.n_slots))
    angles = torch.tensor(theta, dtype=torch.float64)
    a = qiskit_backend.expval_z(circuit, angles, chunk_size=2)
    b = qiskit_backend.expval_z(circuit, angles, chunk_size=128)
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    np.testing.assert_allclose(a.numpy(), ref_expval(circuit, theta), atol=1e-6)


def test_pennylane_qnode_is_cached() -> None:
    circuit = random_circuit(np.random.default_rng(41))
    angles = torch.zeros(2, circuit.n_slots, dtype=torch.float64)
    pennylane_backend.expval_z(circuit, angles)
    hits = pennylane_backend._cached_qnode.cache_info().hits
    pennylane_backend.expval_z(circuit, angles + 0.1)
    assert pennylane_backend._cached_qnode.cache_info().hits == hits + 1


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("default.qubit", {"diff_method": "backprop"}),
        ("lightning.qubit", {"diff_method": "adjoint"}),
        ("default.qubit", {"diff_method": "parameter-shift"}),
        ("lightning.qubit", {"diff_method": "parameter-shift"}),
        ("qiskit", {}),
    ],
)
@pytest.mark.parametrize("case", [0, 1, 2])
def test_gradients_match_finite_differences(name: str, kw: dict, case: int) -> None:
    rng = np.random.default_rng(200 + case)
    circuit = random_circuit(np.random.default_rng(11 + case))
    theta = rng.uniform(-np.pi, np.pi, size=(2, 3, circuit.n_slots))
    weights = rng.normal(size=(2, 3, len(circuit.readout)))  # a random vector-Jacobian probe
    angles = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    out = run(name, circuit, angles, **kw)
    (out * torch.tensor(weights)).sum().backward()
    expected = ref_vjp_fd(circuit, theta, weights)
    np.testing.assert_allclose(angles.grad.numpy(), expected, atol=1e-6, rtol=0)


def test_qiskit_gradient_is_exact_parameter_shift() -> None:
    # <Z0> of RY(a) RX(b) on one wire = cos(a) cos(b): closed-form gradient
    c = Circuit(1, (Op("RY", (0,), 0), Op("RX", (0,), 1)), ("a", "b"), (0,))
    theta = torch.tensor([[0.4, -1.1], [2.0, 0.3]], dtype=torch.float64, requires_grad=True)
    qiskit_backend.expval_z(c, theta).sum().backward()
    a, b = theta.detach().unbind(-1)
    expected = torch.stack([-torch.sin(a) * torch.cos(b), -torch.cos(a) * torch.sin(b)], -1)
    torch.testing.assert_close(theta.grad, expected, atol=1e-10, rtol=0)


# ---------------------------------------------------------------- shots
def _close_within_se(est: np.ndarray, exact: np.ndarray, shots: int, k: float = 5.0) -> None:
    se = np.sqrt(np.clip(1 - exact**2, 0, None) / shots)
    assert np.all(np.abs(est - exact) <= k * se + 1e-12), (est, exact, se)


@pytest.mark.parametrize("name", EXECUTORS)
def test_shots_agree_and_are_reproducible(name: str) -> None:
    shots = 4000
    ops = (Op("RY", (0,), 0), Op("H", (1,)), Op("CNOT", (0, 2)), Op("RX", (2,), 1))
    ops += (Op("CZ", (2, 1)), Op("RZ", (1,), 2), Op("H", (1,)))
    circuit = Circuit(3, ops, ("a", "b", "c"), (0, 1, 2))
    theta = np.random.default_rng(51).uniform(0.5, 2.5, size=(6, circuit.n_slots))
    angles = torch.tensor(theta, dtype=torch.float64)
    a = run(name, circuit, angles, shots=shots, seed=7)
    b = run(name, circuit, angles, shots=shots, seed=7)
    c = run(name, circuit, angles, shots=shots, seed=8)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    _close_within_se(a.numpy(), ref_expval(circuit, theta), shots)
    # shot estimates are multiples of 2/shots
    n_zero = (a.numpy() + 1) * shots / 2
    np.testing.assert_allclose(n_zero, np.round(n_zero), atol=1e-6)


def test_qiskit_shots_across_chunks_are_independent() -> None:
    c = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    angles = torch.full((6, 1), math.pi / 2, dtype=torch.float64)  # <Z> = 0, max variance
    z = qiskit_backend.expval_z(c, angles, shots=1000, seed=3, chunk_size=2)
    assert len(set(z[:, 0].tolist())) > 1  # chunks do not repeat the same seed


@pytest.mark.parametrize("name", EXECUTORS)
def test_shot_gradient_estimates_parameter_shift(name: str) -> None:
    shots = 4000
    c = Circuit(1, (Op("RY", (0,), 0), Op("RX", (0,), 1)), ("a", "b"), (0,))
    theta = torch.tensor([[0.4, -1.1], [2.0, 0.3]], dtype=torch.float64, requires_grad=True)
    run(name, c, theta, shots=shots, seed=5).sum().backward()
    g1 = theta.grad.clone()
    theta.grad = None
    run(name, c, theta, shots=shots, seed=5).sum().backward()
    assert torch.equal(theta.grad, g1)
    a, b = theta.detach().unbind(-1)
    exact = torch.stack([-torch.sin(a) * torch.cos(b), -torch.cos(a) * torch.sin(b)], -1)
    # (f+ - f-)/2 with independent shots: SE = sqrt(var+ + var-) / 2 <= 1/sqrt(2*shots)
    assert torch.all((g1 - exact).abs() <= 5 / math.sqrt(2 * shots))


# ---------------------------------------------------------------- noise
def test_depolarising_noise_matches_closed_form_and_shrinks_z() -> None:
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    p = 0.1
    noise = NoiseModel()
    noise.add_all_qubit_quantum_error(depolarizing_error(p, 1), ["ry"])
    noise.add_all_qubit_quantum_error(depolarizing_error(p, 2), ["cx"])
    # single wire: rho -> (1-p) rho + p I/2 after RY(t), so <Z> = (1-p) cos t
    c1 = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    t = torch.tensor([[0.1], [0.3]], dtype=torch.float64)
    got = qiskit_backend.expval_z(c1, t, noise_model=noise)
    torch.testing.assert_close(got, (1 - p) * torch.cos(t), atol=1e-10, rtol=0)
    # two wires near |00>: noise shrinks |<Z>| on both wires; shots agree with exact noisy
    c2 = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1))), ("t",), (0, 1))
    clean = qiskit_backend.expval_z(c2, t)
    noisy = qiskit_backend.expval_z(c2, t, noise_model=noise)
    assert torch.all(noisy.abs() < clean.abs() - 0.05)
    shots = 4000
    sampled = qiskit_backend.expval_z(c2, t, noise_model=noise, shots=shots, seed=9)
    _close_within_se(sampled.numpy(), noisy.numpy(), shots)
    again = qiskit_backend.expval_z(c2, t, noise_model=noise, shots=shots, seed=9)
    assert torch.equal(sampled, again)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("name", EXECUTORS)
def test_clear_errors(name: str) -> None:
    c = Circuit(1, (Op("RY", (0,), 0), Op("RZ", (0,), 1)), ("a", "b"), (0,))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        run(name, c, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="n_slots"):
        run(name, c, torch.tensor(0.0))
    with pytest.raises(TypeError, match="floating"):
        run(name, c, torch.zeros(4, 2, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        run(name, c, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="shots"):
        run(name, c, torch.zeros(2), shots=0)
    with pytest.raises(TypeError, match="Circuit"):
        run(name, "not a circuit", torch.zeros(2))


def test_pennylane_specific_errors() -> None:
    c = Circuit(1, (Op("RY", (0,), 0),), ("a",), (0,))
    with pytest.raises(ValueError, match=r"'no\.such\.device'.*default\.qubit"):
        pennylane_backend.expval_z(c, torch.zeros(1), device="no.such.device")
    with pytest.raises(ValueError, match="diff_method"):
        pennylane_backend.expval_z(c, torch.zeros(1), diff_method="magic")
    with pytest.raises(ValueError, match="backprop"):
        pennylane_backend.expval_z(c, torch.zeros(1), diff_method="backprop", shots=10)


def test_qiskit_specific_errors() -> None:
    c = Circuit(1, (Op("RY", (0,), 0),), ("a",), (0,))
    with pytest.raises(TypeError, match="NoiseModel"):
        qiskit_backend.expval_z(c, torch.zeros(1), noise_model="depolarizing")
    with pytest.raises(ValueError, match="chunk_size"):
        qiskit_backend.expval_z(c, torch.zeros(1), chunk_size=0)
    with pytest.raises(ValueError, match="seed"):
        qiskit_backend.expval_z(c, torch.zeros(1), shots=10, seed=-1)


# ---------------------------------------------------------------- CUDA tensors in, CUDA out
@pytest.mark.gpu
@pytest.mark.parametrize("name", EXECUTORS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_angles_stay_on_cuda(name: str, dtype: torch.dtype) -> None:
    circuit = random_circuit(np.random.default_rng(61))
    theta = np.random.default_rng(62).uniform(-3, 3, size=(2, 3, circuit.n_slots))
    angles = torch.tensor(theta, dtype=dtype, device="cuda", requires_grad=True)
    got = run(name, circuit, angles)
    assert got.device == angles.device and got.dtype == dtype
    np.testing.assert_allclose(got.detach().cpu().numpy(), ref_expval(circuit, theta), atol=1e-5)
    weights = np.random.default_rng(63).normal(size=got.shape)
    (got * torch.tensor(weights, dtype=dtype, device="cuda")).sum().backward()
    assert angles.grad.device == angles.device and angles.grad.dtype == dtype
    np.testing.assert_allclose(
        angles.grad.cpu().numpy(), ref_vjp_fd(circuit, theta, weights), atol=1e-4
    )

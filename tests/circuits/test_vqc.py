"""VQCs for QLSTM: circuits, torch emulation, simulator executors, layer, export.

References are independent of the code under test: a dense numpy simulator that builds every
gate as a full 2^n x 2^n Kronecker matrix, the circuits written out again from the papers'
description, parameter shift computed on that simulator, PennyLane, qiskit-aer and Qiskit's
own ``Statevector``.
"""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
import torch

import qmem.circuits.torch_statevector as tsv
from qmem.circuits.ir import Circuit, Op
from qmem.circuits.torch_statevector import DENSE_MAX_QUBITS, block_unitary, prefix_and_block
from qmem.circuits.vqc import VQCLayer, resolve_spec, vqc
from qmem.circuits.vqc_builder import (
    VQCSpec,
    build_circuit,
    chen2020_spec,
    chen2024_spec,
    vqc_angles,
)

# ----------------------------------------------------------------------------- reference

_I = np.eye(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]])
_Z = np.diag([1.0, -1.0]).astype(complex)
_H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
_P0 = np.diag([1.0, 0.0])
_P1 = np.diag([0.0, 1.0])


def _rot(pauli: np.ndarray, theta: float) -> np.ndarray:
    return math.cos(theta / 2) * _I - 1j * math.sin(theta / 2) * pauli


def _on(n: int, mats: dict[int, np.ndarray]) -> np.ndarray:
    """Kronecker product with ``mats[w]`` on wire ``w`` (wire 0 = most significant)."""
    out = np.eye(1)
    for w in range(n):
        out = np.kron(out, mats.get(w, _I))
    return out


def _gate(n: int, gate: str, wires: tuple[int, ...], theta: float) -> np.ndarray:
    single = {"H": _H, "X": _X, "Y": _Y, "Z": _Z}
    paulis = {"RX": _X, "RY": _Y, "RZ": _Z}
    if gate in single:
        return _on(n, {wires[0]: single[gate]})
    if gate in paulis:
        return _on(n, {wires[0]: _rot(paulis[gate], theta)})
    a, b = wires
    if gate == "CNOT":
        return _on(n, {a: _P0}) + _on(n, {a: _P1, b: _X})
    return np.eye(2**n) - 2 * _on(n, {a: _P1, b: _P1})  # CZ


def ref_state(n: int, gates: list[tuple[str, tuple[int, ...], float]]) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    for gate, wires, theta in gates:
        psi = _gate(n, gate, wires, theta) @ psi
    return psi


def ref_z(n: int, psi: np.ndarray, readout: tuple[int, ...]) -> np.ndarray:
    probs = np.abs(psi) ** 2
    return np.array([probs @ np.diag(_on(n, {w: _Z})).real for w in readout])


def ref_circuit(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """``⟨Z⟩`` of an IR circuit, angles ``(B, n_slots)`` -> ``(B, R)``, by full matrices."""
    rows = []
    for a in np.atleast_2d(angles):
        gates = [(op.gate, op.wires, 0.0 if op.slot is None else a[op.slot]) for op in circuit.ops]
        rows.append(ref_z(circuit.n_qubits, ref_state(circuit.n_qubits, gates), circuit.readout))
    return np.array(rows)


def paper_chen2020(x: np.ndarray, w: np.ndarray, n_out: int) -> np.ndarray:
    """The QLSTM paper's VQC written out from its description (not from the builder)."""
    n = x.shape[-1]
    gates: list[tuple[str, tuple[int, ...], float]] = []
    for i in range(n):
        gates += [("H", (i,), 0), ("RY", (i,), math.atan(x[i])), ("RZ", (i,), math.atan(x[i] ** 2))]
    for layer in w:
        gates += [("CNOT", (i, (i + 1) % n), 0) for i in range(n)]
        gates += [("CNOT", (i, (i + 2) % n), 0) for i in range(n)]
        for i in range(n):  # Rot(α, β, γ) = RZ(γ) RY(β) RZ(α)
            alpha, beta, gamma = layer[i]
            gates += [("RZ", (i,), alpha), ("RY", (i,), beta), ("RZ", (i,), gamma)]
    return ref_z(n, ref_state(n, gates), tuple(range(n_out)))


def paper_chen2024(x: np.ndarray, w: np.ndarray, n_out: int) -> np.ndarray:
    n = x.shape[-1]
    gates: list[tuple[str, tuple[int, ...], float]] = []
    for i in range(n):
        gates += [("H", (i,), 0), ("RY", (i,), x[i])]
    for layer in w:
        gates += [("CNOT", (i, i + 1), 0) for i in range(0, n - 1, 2)]
        gates += [("CNOT", (i, i + 1), 0) for i in range(1, n - 1, 2)]
        gates += [("RY", (i,), layer[i]) for i in range(n)]
    return ref_z(n, ref_state(n, gates), tuple(range(n_out)))


GENERIC = VQCSpec(
    n_qubits=4,
    n_layers=3,
    encoding="plain",
    hadamard=False,
    entangler="all_to_all",
    entangler_gate="CZ",
    rotations=("RX", "RY"),
    readout=(3, 1),
)
SPECS = {
    "chen2020": chen2020_spec(4, 2),
    "chen2024": chen2024_spec(5, 2, n_outputs=3),
    "generic": GENERIC,
}


def _data(spec: VQCSpec, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, spec.n_qubits, generator=g, dtype=torch.float64)
    w = torch.randn(spec.weight_shape, generator=g, dtype=torch.float64)
    return x, w


# ----------------------------------------------------------------------------- circuits


def test_parameter_counts_by_hand() -> None:
    c20 = chen2020_spec(4, 2)
    assert c20.weight_shape == (2, 4, 3) and c20.n_parameters == 24
    circ = build_circuit(c20)
    gates = [op.gate for op in circ.ops]
    # 4 H; RY: 4 encoding + 2 layers x 4; RZ: 4 encoding + 2 x 4 x 2; CNOT: 2 x (4 + 4)
    assert (gates.count("H"), gates.count("RY"), gates.count("RZ"), gates.count("CNOT")) == (
        4,
        12,
        20,
        16,
    )
    assert circ.n_slots == 8 + 24
    c24 = chen2024_spec(5, 3, n_outputs=2)
    assert c24.weight_shape == (3, 5) and c24.n_parameters == 15
    circ = build_circuit(c24)
    cnots = [op.wires for op in circ.ops if op.gate == "CNOT"]
    assert cnots[:4] == [(0, 1), (2, 3), (1, 2), (3, 4)] and len(cnots) == 12
    assert circ.n_slots == 5 + 15 and circ.readout == (0, 1)
    a2a = build_circuit(VQCSpec(n_qubits=4, n_layers=1, entangler="all_to_all"))
    assert sum(op.gate == "CNOT" for op in a2a.ops) == 6
    assert sum(p.numel() for p in VQCLayer(4, 2, seed=0).parameters()) == 24
    assert sum(p.numel() for p in VQCLayer(5, 3, family="chen2024", seed=0).parameters()) == 15


def test_ring_distance_multiple_of_n_adds_no_gate() -> None:
    c = build_circuit(chen2020_spec(2, 1))  # CNOT(i, i+2 mod 2) would be CNOT(i, i)
    assert [op.wires for op in c.ops if op.gate == "CNOT"] == [(0, 1), (1, 0)]


def test_chen2020_is_a_configuration_of_the_generic_builder() -> None:
    generic = VQCSpec.from_dict(
        {
            "n_qubits": 4,
            "n_layers": 2,
            "encoding": "arctan",
            "entangler": "ring",
            "ring_distances": [1, 2],
            "rotations": "rot",
        }
    )
    assert generic == chen2020_spec(4, 2)
    assert build_circuit(generic) == build_circuit(chen2020_spec(4, 2))
    d = chen2024_spec(6, 2, 3).to_dict()
    assert VQCSpec.from_dict(d) == chen2024_spec(6, 2, 3)
    assert VQCSpec.from_dict(
        {"family": "chen2024", "n_qubits": 6, "n_layers": 2, "readout": [0, 1, 2]}
    ) == chen2024_spec(6, 2, 3)


@pytest.mark.parametrize("method", ["dense", "gates"])
def test_chen2020_matches_the_paper(method: str) -> None:
    x, w = _data(chen2020_spec(4, 2), 5, seed=1)
    got = vqc(x, w, n_outputs=3, method=method)
    want = np.stack([paper_chen2020(xi, w.numpy(), 3) for xi in x.numpy()])
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


@pytest.mark.parametrize("method", ["dense", "gates"])
def test_chen2024_matches_the_paper(method: str) -> None:
    x, w = _data(chen2024_spec(5, 3), 4, seed=2)
    got = vqc(x, w, family="chen2024", n_outputs=2, method=method)
    want = np.stack([paper_chen2024(xi, w.numpy(), 2) for xi in x.numpy()])
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_closed_form_without_entanglers() -> None:
    # H, RY(arctan x), RZ(arctan x²), no weights: ⟨Z⟩ = -sin(arctan x) = -x / sqrt(1 + x²)
    spec = VQCSpec(n_qubits=3, n_layers=0, entangler="none")
    x = torch.linspace(-3, 3, 7, dtype=torch.float64).reshape(-1, 1).repeat(1, 3)
    got = vqc(x, torch.zeros(0, 3, 3, dtype=torch.float64), family=spec)
    np.testing.assert_allclose(got.numpy(), (-x / torch.sqrt(1 + x * x)).numpy(), atol=1e-14)


# ----------------------------------------------------------------------------- emulator


def _random_circuit(rng: np.random.Generator, n: int, n_ops: int) -> Circuit:
    ops, n_slots = [], 0
    gates = ["H", "X", "Y", "Z", "RX", "RY", "RZ", "RX", "RY", "RZ"]
    if n > 1:
        gates += ["CNOT", "CNOT", "CZ"]
    for _ in range(n_ops):
        gate = gates[rng.integers(len(gates))]
        if gate in ("CNOT", "CZ"):
            a, b = rng.choice(n, size=2, replace=False)
            ops.append(Op(gate, (int(a), int(b))))
        elif gate.startswith("R"):
            ops.append(Op(gate, (int(rng.integers(n)),), n_slots))
            n_slots += 1
        else:
            ops.append(Op(gate, (int(rng.integers(n)),)))
    readout = tuple(int(w) for w in rng.permutation(n)[: rng.integers(1, n + 1)])
    return Circuit(n, tuple(ops), tuple(f"t{i}" for i in range(n_slots)), readout)


@pytest.mark.parametrize("seed", range(12))
def test_torch_emulation_matches_full_matrices_on_random_circuits(seed: int) -> None:
    rng = np.random.default_rng(seed)
    circuit = _random_circuit(rng, n=int(rng.integers(1, 6)), n_ops=int(rng.integers(1, 40)))
    angles = torch.as_tensor(rng.uniform(-4, 4, (3, circuit.n_slots)))
    want = ref_circuit(circuit, angles.numpy())
    for method in ("dense", "gates"):
        np.testing.assert_allclose(tsv.expval_z(circuit, angles, method=method), want, atol=1e-12)
    # block slots shared by the batch: one unitary for all samples
    prefix, block = prefix_and_block(circuit)
    k = circuit.n_slots - len(block)
    if sorted(prefix) == list(range(k)) and sorted(block) == list(range(k, circuit.n_slots)):
        shared = angles[0, k:]
        angles_b = torch.cat((angles[:, :k], shared.expand(3, -1)), -1)
        got = tsv.expval_z(circuit, angles[:, :k], shared_angles=shared, method="dense")
        np.testing.assert_allclose(got, ref_circuit(circuit, angles_b.numpy()), atol=1e-12)


def test_block_unitary_is_the_full_matrix_product() -> None:
    c = Circuit(
        3,
        (
            Op("CNOT", (0, 2)),
            Op("CNOT", (1, 0)),
            Op("RY", (1,), 0),
            Op("H", (1,)),
            Op("CZ", (1, 2)),
            Op("RX", (0,), 1),
        ),
        ("a", "b"),
        (0,),
    )
    theta = [0.3, -1.1]
    want = np.eye(8, dtype=complex)
    for op in c.ops:
        want = _gate(3, op.gate, op.wires, 0.0 if op.slot is None else theta[op.slot]) @ want
    got = block_unitary(c, torch.tensor(theta, dtype=torch.float64))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-14)
    eye = got @ got.conj().T
    np.testing.assert_allclose(eye.numpy(), np.eye(8), atol=1e-14)


@pytest.mark.parametrize("n", [7, 8])
def test_dense_wire_by_wire_path_matches_gates(n: int) -> None:
    # past the gather limit (6 qubits) the dense path builds U wire by wire
    spec = chen2020_spec(n, 2)
    x, w = _data(spec, 3, seed=n)
    dense = vqc(x, w, method="dense")
    gates = vqc(x, w, method="gates")
    np.testing.assert_allclose(dense.numpy(), gates.numpy(), atol=1e-12)


def test_past_the_dense_limit() -> None:
    n = DENSE_MAX_QUBITS + 1
    spec = chen2024_spec(n, 1, n_outputs=2)
    x, w = _data(spec, 2, seed=3)
    with pytest.raises(ValueError, match=f"DENSE_MAX_QUBITS={DENSE_MAX_QUBITS}.*n_qubits={n}"):
        vqc(x, w, family="chen2024", method="dense")
    auto = vqc(x, w, family="chen2024", n_outputs=2)  # auto: gate by gate
    pl = vqc(x, w, family="chen2024", n_outputs=2, executor="pennylane")
    np.testing.assert_allclose(auto.numpy(), pl.numpy(), atol=1e-10)


def test_batch_shapes_dtypes_and_no_batch() -> None:
    spec = chen2020_spec(3, 1)
    x, w = _data(spec, 6, seed=4)
    out = vqc(x.reshape(2, 3, 3), w)
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out.reshape(6, 3).numpy(), vqc(x, w).numpy(), atol=1e-14)
    single = vqc(x[0], w)
    assert single.shape == (3,)
    np.testing.assert_allclose(single.numpy(), vqc(x, w)[0].numpy(), atol=1e-14)
    for method in ("dense", "gates"):
        out32 = vqc(x.float(), w.float(), method=method)
        assert out32.dtype == torch.float32
        np.testing.assert_allclose(out32.numpy(), vqc(x, w).numpy(), atol=1e-5)
    assert vqc(x, w.float()).dtype == torch.float64  # weights follow x


# ----------------------------------------------------------------------------- gradients


def _parameter_shift(spec: VQCSpec, x: torch.Tensor, w: torch.Tensor, g: np.ndarray):
    """``d(Σ g·⟨Z⟩)/d(x, w)`` by the parameter-shift rule on the numpy simulator."""
    circuit = build_circuit(spec)
    angles = vqc_angles(spec, x, w).numpy()
    d_slots = np.zeros_like(angles)
    for s in range(circuit.n_slots):
        plus, minus = angles.copy(), angles.copy()
        plus[:, s] += math.pi / 2
        minus[:, s] -= math.pi / 2
        diff = (ref_circuit(circuit, plus) - ref_circuit(circuit, minus)) / 2  # (B, R)
        d_slots[:, s] = (diff * g).sum(-1)
    k = spec.n_encoding_slots
    xs = x.numpy()
    if spec.encoding == "arctan":  # slots (atan x, atan x²) per qubit
        d_x = d_slots[:, 0:k:2] / (1 + xs**2) + d_slots[:, 1:k:2] * 2 * xs / (1 + xs**4)
    else:
        d_x = d_slots[:, :k]
    d_w = d_slots[:, k:].sum(0).reshape(spec.weight_shape)
    return d_x, d_w


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("method", ["dense", "gates"])
def test_gradients_match_parameter_shift(name: str, method: str) -> None:
    spec = SPECS[name]
    x, w = _data(spec, 3, seed=5)
    g = np.random.default_rng(0).normal(size=(3, spec.n_outputs))
    x.requires_grad_(True)
    w.requires_grad_(True)
    out = vqc(x, w, family=spec, method=method)
    gx, gw = torch.autograd.grad((out * torch.as_tensor(g)).sum(), (x, w))
    want_x, want_w = _parameter_shift(spec, x.detach(), w.detach(), g)
    np.testing.assert_allclose(gx.numpy(), want_x, atol=1e-10)
    np.testing.assert_allclose(gw.numpy(), want_w, atol=1e-10)


@pytest.mark.parametrize("method", ["dense", "gates"])
def test_gradcheck(method: str) -> None:
    spec = chen2020_spec(3, 2, n_outputs=2)
    x, w = _data(spec, 2, seed=6)
    x.requires_grad_(True)
    w.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: vqc(a, b, n_outputs=2, method=method), (x, w))
    assert torch.autograd.gradgradcheck(lambda a, b: vqc(a, b, n_outputs=2, method=method), (x, w))


# Specs for the one-node dense path (hand-written backward): the three above, a 6-qubit
# chen2020 (largest gathered Kronecker size), CNOT+CZ ring with a trailing-free block, and a
# run of 4 rotations per wire (more than one fused chunk: the autograd dense path instead).
FAST_SPECS = {
    **SPECS,
    "chen2020_6q": chen2020_spec(6, 2, n_outputs=3),
    "ring_cz": VQCSpec(
        n_qubits=3, n_layers=2, entangler="ring", entangler_gate="CZ", rotations=("RY", "RX")
    ),
    "four_rotations": VQCSpec(
        n_qubits=3, n_layers=1, entangler="brick", rotations=("RX", "RY", "RZ", "RX")
    ),
}


def _grads(
    spec: VQCSpec, x: torch.Tensor, w: torch.Tensor, which: str, run: object
) -> list[torch.Tensor]:
    """Output and gradients (of a fixed random projection) w.r.t. the chosen inputs;
    ``run(x, w)`` returns the output, or ``(output, weight leaf)``."""
    xr = x.clone().requires_grad_(which in ("x", "both"))
    wr = w.clone().requires_grad_(which in ("w", "both"))
    out = run(xr, wr)  # type: ignore[operator]
    if isinstance(out, tuple):
        out, wr = out
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    g = g.to(out.dtype)
    leaves = [t for t in (xr, wr) if t.requires_grad]
    return [out.detach(), *torch.autograd.grad((out * g).sum(), leaves)]


@pytest.mark.parametrize("name", list(FAST_SPECS))
@pytest.mark.parametrize("which", ["x", "w", "both"])
@pytest.mark.parametrize("shape", [(5,), (), (2, 3), (0,)])
def test_one_node_dense_path_matches_gate_by_gate(name: str, which: str, shape: tuple) -> None:
    spec = FAST_SPECS[name]
    g = torch.Generator().manual_seed(13)
    x = torch.randn(*shape, spec.n_qubits, generator=g, dtype=torch.float64)
    w = torch.randn(spec.weight_shape, generator=g, dtype=torch.float64)
    circuit = build_circuit(spec)

    def gates(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # independent: one op a gate
        return tsv.expval_z(circuit, vqc_angles(spec, a, b), method="gates")

    def prepared(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        layer = VQCLayer(family=spec, dtype=torch.float64)
        with torch.no_grad():
            layer.weights.copy_(b)
        layer.weights.requires_grad_(b.requires_grad)
        layer.prepare()  # one unitary, reused by the layer's forward
        out = layer(a)
        layer.release()
        return out, layer.weights

    want = _grads(spec, x, w, which, gates)
    for run in (lambda a, b: vqc(a, b, family=spec, method="dense"), prepared):
        got = _grads(spec, x, w, which, run)
        assert got[0].shape == (*shape, spec.n_outputs)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def test_one_node_dense_path_higher_derivatives() -> None:
    # create_graph=True recomputes with autograd: second derivatives of the prepared unitary
    # path, of expval_z with shared angles and with a given unitary, against finite differences
    spec = chen2020_spec(2, 2)
    circuit = build_circuit(spec)
    x, w = _data(spec, 2, seed=14)
    x.requires_grad_(True)
    w.requires_grad_(True)
    k = spec.n_encoding_slots

    def with_unitary(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        shared = b.reshape(-1)
        u = tsv.shared_unitary(circuit, shared)
        return tsv.expval_z(circuit, a, shared_angles=shared, unitary=u)

    def shared_only(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return tsv.expval_z(circuit, a, shared_angles=b.reshape(-1))

    enc = vqc_angles(spec, x, w)[:, :k].detach().requires_grad_(True)
    for fn in (with_unitary, shared_only):
        assert torch.autograd.gradcheck(fn, (enc, w))
        assert torch.autograd.gradgradcheck(fn, (enc, w))
    shared = w.reshape(-1).detach().requires_grad_(True)
    assert torch.autograd.gradgradcheck(lambda s: tsv.shared_unitary(circuit, s).real, (shared,))


@pytest.mark.parametrize("name", ["chen2020", "generic", "ring_cz"])
def test_one_node_dense_path_float32(name: str) -> None:
    spec = FAST_SPECS[name]
    x, w = _data(spec, 4, seed=15)
    want = _grads(spec, x, w, "both", lambda a, b: vqc(a, b, family=spec, method="gates"))
    got = _grads(spec, x.float(), w.float(), "both", lambda a, b: vqc(a, b, family=spec))
    for a, b in zip(got, want, strict=True):
        assert a.dtype == torch.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=2e-5)
    angles = torch.zeros(len(prefix_and_block(build_circuit(spec))[1]), dtype=torch.float32)
    assert block_unitary(build_circuit(spec), angles).dtype == torch.complex64


def test_encoding_map_jacobian_matches_autograd() -> None:
    from qmem.circuits.vqc_builder import encoding_angles, encoding_map

    for spec in (chen2020_spec(3, 1), chen2024_spec(3, 1)):
        x = torch.randn(4, 3, generator=torch.Generator().manual_seed(16), dtype=torch.float64)
        angles, jac = encoding_map(spec).with_jacobian(x)
        torch.testing.assert_close(angles, encoding_angles(spec, x), rtol=0, atol=0)
        jacobian = torch.autograd.functional.jacobian(encoding_map(spec), x[0])
        if jac is None:  # identity
            torch.testing.assert_close(jacobian, torch.eye(3, dtype=torch.float64))
        else:  # (n, 2n): slot 2i + j depends on x_i alone
            want = torch.zeros(3, 2, 3, dtype=torch.float64)
            for i in range(3):
                want[i, :, i] = jac[0, i]
            torch.testing.assert_close(jacobian, want.reshape(6, 3), rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_one_node_dense_path_gradients_on_random_circuits(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    while True:  # a circuit whose slots split into a per-sample prefix and a shared block
        circuit = _random_circuit(rng, n=int(rng.integers(2, 5)), n_ops=int(rng.integers(8, 30)))
        prefix, block = prefix_and_block(circuit)
        k = circuit.n_slots - len(block)
        if sorted(prefix) == list(range(k)) and sorted(block) == list(range(k, circuit.n_slots)):
            break
    angles = torch.as_tensor(rng.uniform(-4, 4, (3, k))).requires_grad_(True)
    shared = torch.as_tensor(rng.uniform(-4, 4, len(block))).requires_grad_(True)
    fast = tsv.expval_z(circuit, angles, shared_angles=shared, method="dense")
    ref = tsv.expval_z(circuit, angles, shared_angles=shared, method="gates")
    g = torch.as_tensor(rng.normal(size=fast.shape))
    got = torch.autograd.grad((fast * g).sum(), (angles, shared))
    want = torch.autograd.grad((ref * g).sum(), (angles, shared))
    np.testing.assert_allclose(fast.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-11)


# ----------------------------------------------------------------------------- executors


@pytest.mark.parametrize("name", list(SPECS))
def test_all_executors_agree(name: str) -> None:
    spec = SPECS[name]
    x, w = _data(spec, 4, seed=7)
    ref = vqc(x, w, family=spec)
    runs = {
        "gates": vqc(x, w, family=spec, method="gates"),
        "default.qubit": vqc(x, w, family=spec, executor="pennylane"),
        "lightning.qubit": vqc(x, w, family=spec, executor="pennylane", device="lightning.qubit"),
        "qiskit": vqc(x, w, family=spec, executor="qiskit"),
    }
    for label, out in runs.items():
        assert out.shape == ref.shape, label
        np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6, err_msg=label)


@pytest.mark.parametrize("executor", ["pennylane", "qiskit"])
def test_simulator_gradients_agree_with_emulation(executor: str) -> None:
    spec = chen2020_spec(3, 1, n_outputs=2)
    x, w = _data(spec, 2, seed=8)
    grads = []
    for ex in ("statevector", executor):
        xr, wr = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        out = vqc(xr, wr, n_outputs=2, executor=ex)
        grads.append(torch.autograd.grad(out.sum(), (xr, wr)))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_qiskit_shots_within_statistical_error_and_reproducible() -> None:
    spec = chen2020_spec(4, 2)
    x, w = _data(spec, 3, seed=9)
    exact = vqc(x, w)
    shots = 4000
    a = vqc(x, w, executor="qiskit", shots=shots, seed=11)
    b = vqc(x, w, executor="qiskit", shots=shots, seed=11)
    c = vqc(x, w, executor="qiskit", shots=shots, seed=12)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    sigma = torch.sqrt((1 - exact**2) / shots)
    assert bool(((a - exact).abs() <= 5 * sigma + 1e-12).all())


def test_depolarising_noise_shrinks_expectations() -> None:
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    def model(p: float) -> NoiseModel:
        nm = NoiseModel()
        nm.add_all_qubit_quantum_error(depolarizing_error(p, 1), ["h", "rx", "ry", "rz"])
        nm.add_all_qubit_quantum_error(depolarizing_error(p, 2), ["cx"])
        return nm

    spec = chen2020_spec(4, 1)
    g = torch.Generator().manual_seed(10)
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    w = 0.1 * torch.randn(1, 4, 3, generator=g, dtype=torch.float64)
    exact = vqc(x, w, family=spec).abs().mean()
    weak = vqc(x, w, executor="qiskit", noise_model=model(0.02)).abs().mean()
    strong = vqc(x, w, executor="qiskit", noise_model=model(0.1)).abs().mean()
    assert exact > weak > strong > 0


# ----------------------------------------------------------------------------- layer


def test_layer_init_is_seeded_and_small() -> None:
    a = VQCLayer(8, 50, seed=3, dtype=torch.float64)
    b = VQCLayer(8, 50, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    c = VQCLayer(8, 50, seed=4, dtype=torch.float64)
    assert torch.equal(a.weights, b.weights) and not torch.equal(a.weights, c.weights)
    assert abs(a.weights.std().item() - 0.01) < 0.001  # 1200 draws of 0.01·N(0, 1)
    assert abs(a.weights.mean().item()) < 0.001
    assert VQCLayer(4, 2, seed=3).weights.dtype == torch.get_default_dtype()
    with pytest.raises(ValueError, match="generator or seed"):
        VQCLayer(seed=1, generator=torch.Generator())


def test_layer_parameter_accounting_and_training_step() -> None:
    layer = VQCLayer(4, 2, seed=0, dtype=torch.float64)
    assert layer.quantum_parameter_names() == ["weights"]
    assert [n for n, _ in layer.named_parameters()] == ["weights"]
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    loss = layer(x).square().sum()
    loss.backward()
    assert layer.weights.grad is not None and layer.weights.grad.abs().sum() > 0


def test_layer_switches_executor() -> None:
    layer = VQCLayer(4, 2, seed=0, dtype=torch.float64)
    with torch.no_grad():
        layer.weights.mul_(100)  # "trained" weights, far from zero
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    ref = layer(x)
    layer.executor = "qiskit"
    assert layer.executor == "qiskit" and layer.executor_options == {}
    np.testing.assert_allclose(layer(x).detach().numpy(), ref.detach().numpy(), atol=1e-6)
    layer.set_executor("qiskit", shots=2000, seed=5)
    assert torch.equal(layer(x), layer(x))
    layer.set_executor("pennylane", device="lightning.qubit")
    np.testing.assert_allclose(layer(x).detach().numpy(), ref.detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="unknown executor 'cirq'"):
        layer.executor = "cirq"
    with pytest.raises(TypeError, match="unknown statevector option"):
        layer.set_executor("statevector", shots=10)
    assert "executor='pennylane'" in repr(layer)


def test_prepare_reuses_one_unitary_across_calls() -> None:
    layer = VQCLayer(4, 2, seed=0, dtype=torch.float64)
    with torch.no_grad():
        layer.weights.normal_(generator=torch.Generator().manual_seed(3))
    xs = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(4), dtype=torch.float64)

    def steps() -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.zeros(5, 4, dtype=torch.float64)
        for x in xs:  # a toy recurrence: every step calls the layer
            h = layer(x + h)
        (grad,) = torch.autograd.grad(h.square().sum(), layer.weights)
        return h.detach(), grad

    plain = steps()
    layer.prepare()
    u = layer._unitary
    assert u is not None and u.shape == (16, 16)
    prepared = steps()
    assert layer._unitary is u  # built once, reused by every step
    layer.release()
    assert layer._unitary is None
    for a, b in zip(plain, prepared, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)
    layer.set_executor("statevector", method="gates")
    layer.prepare()  # nothing to cache off the dense path
    assert layer._unitary is None
    layer.release()


def test_export_to_qiskit_reproduces_the_readout() -> None:
    from qiskit.quantum_info import Pauli, Statevector

    layer = VQCLayer(4, 2, n_outputs=3, seed=1, dtype=torch.float64)
    with torch.no_grad():
        layer.weights.normal_(generator=torch.Generator().manual_seed(2))
    x = torch.tensor([0.3, -1.2, 0.7, 2.0], dtype=torch.float64)
    sv = Statevector(layer.to_qiskit(x))
    for w, value in enumerate(layer(x).tolist()):
        label = "".join("Z" if q == w else "I" for q in reversed(range(4)))  # qubit 0 rightmost
        assert abs(sv.expectation_value(Pauli(label)).real - value) < 1e-12
    symbolic = layer.to_qiskit()
    assert len(symbolic.parameters) == layer.circuit.n_slots == 32
    qasm = layer.to_qasm3(x)
    assert qasm.startswith("OPENQASM 3.0;") and qasm.count("cx ") == 16
    assert "x0_ry" in layer.draw() and "q_3" in layer.draw(x)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        layer.to_qiskit(x[None])


# ----------------------------------------------------------------------------- bad input


def test_bad_input_raises_clear_errors() -> None:
    x, w = _data(chen2020_spec(4, 2), 2, seed=0)
    with pytest.raises(ValueError, match=r"weights must have shape \(2, 3, 3\)"):
        vqc(x[:, :3], w)  # wrong input width for these weights
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 4\)"):
        vqc(x[:, :3], w, family=chen2020_spec(4, 2))
    with pytest.raises(ValueError, match="unknown entangler 'star'"):
        VQCSpec(entangler="star")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown entangler 'star'"):
        VQCLayer(family={"entangler": "star"})
    with pytest.raises(ValueError, match="unknown VQC family 'chen2021'"):
        vqc(x, w, family="chen2021")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown executor 'cirq'"):
        vqc(x, w, executor="cirq")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown statevector option"):
        vqc(x, w, shots=100)
    with pytest.raises(ValueError, match="unknown method 'fast'"):
        vqc(x, w, method="fast")
    with pytest.raises(TypeError, match="floating-point"):
        vqc(x.long(), w)
    with pytest.raises(ValueError, match="unknown VQC option"):
        VQCSpec.from_dict({"n_qbits": 3})
    with pytest.raises(ValueError, match="unknown rotations entry 'RW'"):
        VQCSpec(rotations=("RW",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="readout wire 4"):
        VQCSpec(n_qubits=4, readout=(4,))
    with pytest.raises(ValueError, match=r"n_outputs must be in 1\.\.4"):
        vqc(x, w, n_outputs=5)
    with pytest.raises(ValueError, match="n_qubits=5 contradicts"):
        resolve_spec(chen2020_spec(4, 2), n_qubits=5)
    circuit = build_circuit(chen2020_spec(4, 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        tsv.expval_z(circuit, torch.zeros(32, dtype=torch.float16))
    enc, flat = vqc_angles(chen2020_spec(4, 2), x, w)[:, :8], w.reshape(-1)
    u = tsv.shared_unitary(circuit, flat)
    with pytest.raises(ValueError, match="unitary needs shared_angles"):
        tsv.expval_z(circuit, vqc_angles(chen2020_spec(4, 2), x, w), unitary=u)
    with pytest.raises(ValueError, match=r"unitary must be a \(16, 16\)"):
        tsv.expval_z(circuit, enc, shared_angles=flat, unitary=u[:8])
    with pytest.raises(ValueError, match="must hold every block slot"):
        tsv.shared_unitary(circuit, flat[1:])


# ----------------------------------------------------------------------------- misc


@pytest.mark.parametrize("name", ["torch_statevector", "vqc_builder", "vqc"])
def test_docstring_examples(name: str) -> None:
    # import_module, not attribute access: qmem.circuits may re-export the function `vqc`
    module = importlib.import_module(f"qmem.circuits.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.gpu
def test_cuda_matches_cpu() -> None:
    spec = chen2020_spec(4, 2)
    x, w = _data(spec, 16, seed=12)
    xc = x.cuda().requires_grad_(True)
    wc = w.cuda().requires_grad_(True)
    out = vqc(xc, wc)
    assert out.device.type == "cuda"
    gx, gw = torch.autograd.grad(out.sum(), (xc, wc))
    xr, wr = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    ref = vqc(xr, wr)
    rx, rw = torch.autograd.grad(ref.sum(), (xr, wr))
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gx.cpu().numpy(), rx.numpy(), atol=1e-12)
    np.testing.assert_allclose(gw.cpu().numpy(), rw.numpy(), atol=1e-12)

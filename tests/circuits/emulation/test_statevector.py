"""The torch state-vector emulator against full matrices and the gate-by-gate path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import qmem.circuits.emulation.statevector as tsv
from qmem.circuits.emulation.statevector import DENSE_MAX_QUBITS, block_unitary, prefix_and_block
from qmem.circuits.ir import Circuit, Op
from qmem.circuits.vqc import (
    chen2020_spec,
    chen2024_spec,
    vqc,
)

from ..vqc_reference import data as _data
from ..vqc_reference import (
    gate_matrix,
    random_circuit,
    ref_circuit,
)

# ----------------------------------------------------------------------------- emulator


@pytest.mark.parametrize("seed", range(12))
def test_torch_emulation_matches_full_matrices_on_random_circuits(seed: int) -> None:
    rng = np.random.default_rng(seed)
    circuit = random_circuit(rng, n=int(rng.integers(1, 6)), n_ops=int(rng.integers(1, 40)))
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
        want = gate_matrix(3, op.gate, op.wires, 0.0 if op.slot is None else theta[op.slot]) @ want
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


# ----------------------------------------------------------------------------- misc


def test_expval_z_mapped_takes_any_differentiable_map() -> None:
    # a plain callable (no with_jacobian) with x needing a gradient runs angle_map(x) then
    # expval_z (it raised AttributeError on the fused path); gradients as autograd's
    c = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1)), ("x", "w"), (1,))
    x = torch.tensor([[0.3], [0.6], [-1.2]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[0.4]], dtype=torch.float64, requires_grad=True)
    out = tsv.expval_z_mapped(c, x, torch.atan, w)
    gx, gw = torch.autograd.grad(out.sum(), (x, w))
    # reference: cos(atan x) * cos(w) for <Z_1> after RY(a), CNOT, RY(w) on |00>
    a = torch.atan(x.detach())
    np.testing.assert_allclose(out.detach(), torch.cos(a) * torch.cos(w.detach()), atol=1e-12)
    np.testing.assert_allclose(gx, -torch.sin(a) / (1 + x.detach() ** 2) * torch.cos(w.detach()),
                               atol=1e-12)
    np.testing.assert_allclose(gw, (-torch.cos(a) * torch.sin(w.detach())).sum().reshape(1, 1),
                               atol=1e-12)
    with torch.no_grad():  # no input gradient: the fused path, same values
        np.testing.assert_allclose(tsv.expval_z_mapped(c, x, torch.atan, w), out.detach(),
                                   atol=1e-12)

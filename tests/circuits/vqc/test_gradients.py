"""VQC gradients: parameter shift, gradcheck, the one-node dense path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import qmem.circuits.emulation.statevector as tsv
from qmem.circuits.emulation.statevector import block_unitary, prefix_and_block
from qmem.circuits.vqc import (
    VQCLayer,
    VQCSpec,
    build_circuit,
    chen2020_spec,
    chen2024_spec,
    vqc,
    vqc_angles,
)

from ..vqc_reference import (
    SPECS,
    random_circuit,
    ref_circuit,
)
from ..vqc_reference import data as _data

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


def test_seven_and_eight_qubits_match_the_reference_simulator() -> None:
    # the dense path past the gathered Kronecker size, against the independent numpy
    # simulator; both sides of its switch (states < amplitudes: the block applied to the
    # states; else U built), and gradcheck of the first
    for spec, batch in ((chen2020_spec(7, 1, n_outputs=3), 3), (chen2024_spec(8, 2), 300)):
        x, w = _data(spec, batch, seed=21)
        want = ref_circuit(build_circuit(spec), vqc_angles(spec, x[:3], w).numpy())
        got = vqc(x, w, family=spec)[:3]  # a batch of 300 > 2^8 builds U: check 3 of its rows
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    spec = chen2020_spec(7, 1, n_outputs=2)
    x, w = _data(spec, 2, seed=22)
    x.requires_grad_(True)
    w.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: vqc(a, b, family=spec), (x, w))


@pytest.mark.parametrize("method", ["dense", "gates"])
def test_gradcheck(method: str) -> None:
    spec = chen2020_spec(3, 2, n_outputs=2)
    x, w = _data(spec, 2, seed=6)
    x.requires_grad_(True)
    w.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: vqc(a, b, n_outputs=2, method=method), (x, w))
    assert torch.autograd.gradgradcheck(lambda a, b: vqc(a, b, n_outputs=2, method=method), (x, w))


# Specs for the one-node dense path (hand-written backward, the input gradient by the adjoint
# method): the three above, a 6-qubit chen2020 (largest gathered Kronecker size), CNOT+CZ ring
# with a trailing-free block, and a run of 4 rotations per wire (more than one fused chunk:
# the autograd dense path instead); 7 and 8 qubits: the dense path applying the block to the
# states wire by wire (fewer samples than amplitudes) or building U (more).
FAST_SPECS = {
    **SPECS,
    "chen2020_6q": chen2020_spec(6, 2, n_outputs=3),
    "chen2020_7q": chen2020_spec(7, 2, n_outputs=2),
    "chen2024_8q": chen2024_spec(8, 2),
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
@pytest.mark.parametrize("shape", [(5,), (), (2, 3), (0,), (70,)])
def test_one_node_dense_path_matches_gate_by_gate(name: str, which: str, shape: tuple) -> None:
    # small batches take the input gradient in forward mode, (70,) by the adjoint method
    # (FORWARD_MODE_MAX: n·dc·2^n·B <= 2^12 amplitudes)
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
    from qmem.circuits.vqc.builder import encoding_angles, encoding_map

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
        circuit = random_circuit(rng, n=int(rng.integers(2, 5)), n_ops=int(rng.integers(8, 30)))
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

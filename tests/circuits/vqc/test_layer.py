"""VQCLayer: initialisation, accounting, executor switching, prepare, export."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmem.circuits.vqc import (
    VQCLayer,
)

# ----------------------------------------------------------------------------- layer


def test_layer_init_is_seeded_and_small() -> None:
    a = VQCLayer(8, 50, seed=3, dtype=torch.float64)
    b = VQCLayer(8, 50, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    c = VQCLayer(8, 50, seed=4, dtype=torch.float64)
    assert torch.equal(a.weights, b.weights) and not torch.equal(a.weights, c.weights)
    assert abs(a.weights.std().item() - 0.01) < 0.001  # 1200 draws of 0.01·N(0, 1)
    assert abs(a.weights.mean().item()) < 0.001
    assert VQCLayer(4, 2, seed=3).weights.dtype == torch.get_default_dtype()
    with pytest.raises(ValueError, match="seed or generator"):
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
    with pytest.raises(ValueError, match=r"unknown option .shots. for executor .statevector."):
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

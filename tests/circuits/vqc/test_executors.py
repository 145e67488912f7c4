"""Every VQC executor against the emulation: values, gradients, shots, noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmem.circuits.vqc import (
    chen2020_spec,
    vqc,
)

from ..vqc_reference import (
    SPECS,
)
from ..vqc_reference import data as _data

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

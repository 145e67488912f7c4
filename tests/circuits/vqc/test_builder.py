"""VQC specs and the circuits built from them (gate lists, the papers' circuits)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmem.circuits.vqc import (
    VQCLayer,
    VQCSpec,
    build_circuit,
    chen2020_spec,
    chen2024_spec,
    vqc,
)

from ..vqc_reference import data as _data
from ..vqc_reference import (
    paper_chen2020,
    paper_chen2024,
)

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

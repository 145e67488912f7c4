"""Bad calls to the VQC API raise clear errors."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch

import qmem.circuits.emulation.statevector as tsv
from qmem.circuits.vqc import (
    VQCLayer,
    VQCSpec,
    build_circuit,
    chen2020_spec,
    resolve_spec,
    run_spec,
    vqc,
    vqc_angles,
)

from ..vqc_reference import data as _data

# ----------------------------------------------------------------------------- bad input


def test_bad_input_raises_clear_errors() -> None:
    x, w = _data(chen2020_spec(4, 2), 2, seed=0)
    with pytest.raises(ValueError, match=r"weights must have shape \(2, 3, 3\)"):
        vqc(x[:, :3], w)  # wrong input width for these weights
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 4\)"):
        vqc(x[:, :3], w, family=chen2020_spec(4, 2))
    with pytest.raises(ValueError, match=r"option 'entangler' must be .* got 'star'"):
        VQCSpec(entangler="star")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"option 'entangler' must be .* got 'star'"):
        VQCLayer(family={"entangler": "star"})
    with pytest.raises(ValueError, match="unknown VQC family 'chen2021'"):
        vqc(x, w, family="chen2021")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown executor 'cirq'"):
        vqc(x, w, executor="cirq")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown option 'shots' for executor 'statevector'"):
        vqc(x, w, shots=100)
    with pytest.raises(ValueError, match=r"method must be one of .*got 'fast'"):
        vqc(x, w, method="fast")
    with pytest.raises(TypeError, match="floating-point"):
        vqc(x.long(), w)
    with pytest.raises(ValueError, match="unknown option 'n_qbits'"):
        VQCSpec.from_dict({"n_qbits": 3})
    with pytest.raises(ValueError, match=r"option 'rotations'.*got .*'RW'"):
        VQCSpec(rotations=("RW",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="readout wire 4"):
        VQCSpec(n_qubits=4, readout=(4,))
    with pytest.raises(ValueError, match=r"n_outputs must be in 1\.\.4"):
        vqc(x, w, n_outputs=5)
    with pytest.raises(ValueError, match="n_qubits=5 contradicts"):
        resolve_spec(chen2020_spec(4, 2), n_qubits=5)
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor, got list"):
        run_spec(chen2020_spec(4, 2), x.tolist(), w, "statevector", {})  # AttributeError before
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


@pytest.mark.parametrize("name", ["emulation.statevector", "vqc.builder", "vqc.core"])
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

"""DARUAN (data re-uploading activation): ansatz table, functional core, Fourier form,
Bloch executor, the QKAN layer and export.

``qmem.circuits.daruan`` is this package; ``qmem.circuits.daruan`` *as an attribute* of
``qmem.circuits`` is the function :func:`daruan` (``from qmem.circuits import daruan``).

>>> import torch
>>> from qmem.circuits.daruan import daruan, theta_shape
>>> daruan(torch.zeros(3), torch.zeros(theta_shape("pz", 1))).shape
torch.Size([3])
"""

from . import auto as _auto  # noqa: F401  (installs the "auto" shape rule)
from .ansatz import (
    Ansatz,
    AnsatzDef,
    ansatz_names,
    daruan_angles,
    daruan_circuit,
    get_ansatz,
    register_ansatz,
    theta_shape,
)
from .bloch import Readout
from .core import DaruanJob, daruan
from .export import daruan_draw, daruan_qasm3, daruan_qiskit
from .fourier import fourier_coefficients
from .layer import BaseActivation, QKANLayer

__all__ = [
    "Ansatz",
    "AnsatzDef",
    "BaseActivation",
    "DaruanJob",
    "QKANLayer",
    "Readout",
    "ansatz_names",
    "daruan",
    "daruan_angles",
    "daruan_circuit",
    "daruan_draw",
    "daruan_qasm3",
    "daruan_qiskit",
    "fourier_coefficients",
    "get_ansatz",
    "register_ansatz",
    "theta_shape",
]

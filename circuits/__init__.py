"""Circuit definitions and their executors (installed as ``qmem.circuits``).

Import through ``qmem.circuits``. Heavy SDKs (PennyLane, Qiskit) are imported only when
their executor runs. ``daruan`` and ``vqc`` here are the functional cores (the modules of the
same names stay importable as ``qmem.circuits.daruan`` / ``.vqc`` through ``importlib`` and
``from qmem.circuits.vqc import ...``).

>>> import torch
>>> from qmem.circuits import QKANLayer, daruan, vqc
>>> daruan(torch.zeros(3), torch.zeros(2, 2)).shape
torch.Size([3])
>>> vqc(torch.zeros(5, 4), torch.zeros(2, 4, 3)).shape
torch.Size([5, 4])
"""

from .daruan import daruan
from .daruan_def import daruan_circuit
from .daruan_export import daruan_draw, daruan_qasm3, daruan_qiskit
from .ir import Circuit, Op
from .qkan_layer import QKANLayer
from .vqc import EXECUTORS, VQCLayer, vqc
from .vqc_builder import VQCSpec, build_circuit, chen2020_spec, chen2024_spec, vqc_angles

__all__ = [
    "EXECUTORS",
    "Circuit",
    "Op",
    "QKANLayer",
    "VQCLayer",
    "VQCSpec",
    "build_circuit",
    "chen2020_spec",
    "chen2024_spec",
    "daruan",
    "daruan_circuit",
    "daruan_draw",
    "daruan_qasm3",
    "daruan_qiskit",
    "vqc",
    "vqc_angles",
]

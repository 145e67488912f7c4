"""Variational quantum circuits (VQCs) for QLSTM: spec, builder, functional core and layer.

``qmem.circuits.vqc`` is this package; as an attribute of ``qmem.circuits`` it is the
function :func:`vqc` (``from qmem.circuits import vqc``).

>>> import torch
>>> from qmem.circuits.vqc import chen2024_spec, vqc
>>> vqc(torch.zeros(2, 3), torch.zeros(1, 3), family=chen2024_spec(3, 1)).shape
torch.Size([2, 3])
"""

from .builder import build_circuit, encoding_angles, encoding_map, vqc_angles
from .core import VQCJob, resolve_spec, run_spec, vqc
from .layer import VQCLayer
from .spec import FAMILIES, Family, VQCSpec, chen2020_spec, chen2024_spec, family_spec

__all__ = [
    "FAMILIES",
    "Family",
    "VQCJob",
    "VQCLayer",
    "VQCSpec",
    "build_circuit",
    "chen2020_spec",
    "chen2024_spec",
    "encoding_angles",
    "encoding_map",
    "family_spec",
    "resolve_spec",
    "run_spec",
    "vqc",
    "vqc_angles",
]

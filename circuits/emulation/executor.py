"""The ``"statevector"`` executor: any IR circuit on the torch state-vector emulator.

A VQC job runs encoding and emulation as one autograd node where the fast dense path
applies (:func:`~qmem.circuits.emulation.statevector.expval_z_mapped`); any other job
(e.g. a DARUAN, as its 1-qubit IR circuit) runs ``expval_z(job.circuit, job.angles())``.
Option ``method``: ``"auto"``, ``"dense"`` or ``"gates"``.

>>> import torch
>>> from qmem.circuits import daruan
>>> x, theta = torch.tensor([0.3], dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64)
>>> float(daruan(x, theta, executor="statevector")[0]) == float(daruan(x, theta)[0])
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from qmem.validation import check_literal

from ..executors import CircuitKind, register_executor
from .statevector import Method, expval_z, expval_z_mapped

_METHODS = ("auto", "dense", "gates")

__all__ = ["StatevectorExecutor"]


class StatevectorExecutor:
    """``"statevector"``: exact torch emulation of any IR circuit (option ``method``)."""

    name = "statevector"
    kinds: tuple[CircuitKind, ...] = ("daruan", "vqc")
    options: tuple[str, ...] = ("method",)

    def unsupported(self, job: Any) -> str | None:
        return None

    def check_options(self, options: Mapping[str, Any]) -> None:
        method = options.get("method", "auto")
        if not (isinstance(method, str) and method in _METHODS):  # the message on failure
            check_literal("method", method, Method)

    def run(self, job: Any, options: Mapping[str, Any]) -> Tensor:
        if job.kind == "vqc":
            # encoding and emulation as one autograd node where the fast dense path applies
            return expval_z_mapped(job.circuit, job.x, job.encoding, job.weights, **options)
        return expval_z(job.circuit, job.angles(), **options)


register_executor(StatevectorExecutor())

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
    """``"statevector"``: exact torch emulation of any IR circuit (option ``method``).

    The registered instance is ``get_executor("statevector")``; layers reach it through
    ``executor="statevector"``.

    Attributes:
        name: ``"statevector"``.
        kinds: it runs DARUAN and VQC jobs.
        options: ``("method",)``, a :data:`~qmem.circuits.emulation.statevector.Method`.

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> ex = StatevectorExecutor()
    >>> x = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(3, 2)
    >>> job = VQCJob(chen2024_spec(2, 1), x, torch.full((1, 2), 0.3, dtype=torch.float64))
    >>> out = ex.run(job, {"method": "dense"})
    >>> out.shape, torch.allclose(out, ex.run(job, {"method": "gates"}))
    (torch.Size([3, 2]), True)
    >>> ex.check_options({"method": "exact"})
    Traceback (most recent call last):
    ...
    ValueError: method must be one of 'auto', 'dense', 'gates', got 'exact'
    """

    name = "statevector"
    kinds: tuple[CircuitKind, ...] = ("daruan", "vqc")
    options: tuple[str, ...] = ("method",)

    def unsupported(self, job: Any) -> str | None:
        """Why it cannot run ``job``: never (``None``), any IR circuit runs."""
        return None

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` unless ``options["method"]`` (if given) is a ``Method``."""
        method = options.get("method", "auto")
        if not (isinstance(method, str) and method in _METHODS):  # the message on failure
            check_literal("method", method, Method)

    def run(self, job: Any, options: Mapping[str, Any]) -> Tensor:
        """``⟨Z⟩`` of ``job``, shape ``(..., len(job.circuit.readout))``, differentiable."""
        if job.kind == "vqc":
            # encoding and emulation as one autograd node where the fast dense path applies
            return expval_z_mapped(job.circuit, job.x, job.encoding, job.weights, **options)
        return expval_z(job.circuit, job.angles(), **options)


register_executor(StatevectorExecutor())

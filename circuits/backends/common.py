"""What the SDK executors (PennyLane, qiskit-aer) share: the executor around a backend module.

Each backend module provides ``check_options(**options)`` and
``expval_z(circuit, angles, **options)``; :class:`ModuleExecutor` turns that pair into a
registered executor, and :func:`run_flat` is the batch handling of both ``expval_z``: the
angles ``(..., S)`` flattened to ``(B, S)`` for the backend, its ``(B, R)`` result given
their batch shape back, an empty batch answered without running anything. Importing this
module imports no SDK.

>>> import torch
>>> from qmem.circuits.ir import Circuit, Op
>>> c = Circuit(1, (Op("RX", (0,), 0),), ("a",), (0,))
>>> run_flat(c, torch.zeros(0, 1), lambda flat: flat).shape  # nothing to run
torch.Size([0, 1])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from ..executors import CircuitKind
from ..ir import Circuit

__all__ = ["ModuleExecutor", "run_flat"]


def run_flat(
    circuit: Circuit, angles: torch.Tensor, run: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """``run`` on the angles flattened to one batch axis, the result given their batch shape.

    Args:
        circuit: the circuit run (its ``n_slots`` and ``readout``).
        angles: slot angles, shape ``(..., n_slots)``.
        run: ``(B, n_slots) -> (B, len(circuit.readout))``, the backend's evaluation; not
            called for an empty batch.

    Returns:
        ``(..., len(circuit.readout))``; for an empty batch, zeros in the graph of ``angles``
        (a backward gives zero gradients).

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(2, (Op("RY", (0,), 0),), ("t",), (0, 1))
    >>> run_flat(c, torch.zeros(4, 3, 1), lambda flat: flat.expand(-1, 2)).shape
    torch.Size([4, 3, 2])
    >>> out = run_flat(c, torch.zeros(3, 0, 1, requires_grad=True), lambda flat: flat.expand(-1, 2))
    >>> out.shape, out.requires_grad
    (torch.Size([3, 0, 2]), True)
    """
    lead = tuple(angles.shape[:-1])
    n_read = len(circuit.readout)
    batch = math.prod(lead)
    if batch == 0:
        # empty, in the graph of the angles (a backward gives zero gradients)
        return (angles.sum(-1, keepdim=True) * 0).expand(*lead, n_read)
    flat = angles.reshape(batch, circuit.n_slots)  # (..., S) -> (B, S)
    return run(flat).reshape(*lead, n_read)  # (B, R) -> (..., R)


class ModuleExecutor:
    """An executor made of a backend module's ``check_options`` and ``expval_z``.

    It runs any IR circuit (DARUAN and VQC jobs): ``run(job, options)`` returns
    ``expval(job.circuit, job.angles(), **options)``, ``⟨Z⟩`` on the job circuit's readout
    wires, shape ``(..., len(readout))``; ``check_options(options)`` calls
    ``check(**options)``. A subclass sets ``name``, ``options`` (the keywords of its
    ``expval``) and the two functions as static methods, and is registered under its
    ``name``; ``daruan(..., executor=name)`` and the layers run it.

    Attributes:
        name: the registry name.
        kinds: ``("daruan", "vqc")``.
        options: the option keys ``run`` accepts.
        check: raises ``TypeError``/``ValueError`` for bad option values.
        expval: ``(circuit, angles, **options) -> ⟨Z⟩``.

    Both SDK executors against the closed-form Bloch engine:

    >>> from qmem.circuits.daruan import DaruanJob
    >>> from qmem.circuits.executors import get_executor
    >>> x = torch.tensor([0.0, 0.5], dtype=torch.float64)
    >>> theta = torch.tensor([[0.1, 1.0], [0.2, 0.5]], dtype=torch.float64)   # pz, r = 1
    >>> job = DaruanJob(x, theta, "pz", None, None, "z", 1)
    >>> exact = get_executor("bloch").run(job, {})
    >>> for name in ("pennylane", "qiskit"):
    ...     ex = get_executor(name)
    ...     out = ex.run(job, {})
    ...     print(name, isinstance(ex, ModuleExecutor), out.shape,
    ...           torch.allclose(out, exact, atol=1e-12))
    pennylane True torch.Size([2, 1]) True
    qiskit True torch.Size([2, 1]) True
    """

    name: str
    kinds: tuple[CircuitKind, ...] = ("daruan", "vqc")
    options: tuple[str, ...]
    check: Callable[..., None]
    expval: Callable[..., torch.Tensor]

    def unsupported(self, job: Any) -> str | None:
        """Why it cannot run ``job``: never (``None``), any IR circuit runs."""
        return None

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Raise ``TypeError``/``ValueError`` for a bad option value (``check(**options)``)."""
        self.check(**options)

    def run(self, job: Any, options: Mapping[str, Any]) -> torch.Tensor:
        """``⟨Z⟩`` of ``job``, shape ``(..., len(job.circuit.readout))``, differentiable."""
        return self.expval(job.circuit, job.angles(), **options)

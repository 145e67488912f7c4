"""What ``executor="auto"`` runs a DARUAN call on: a shape rule, measured, not assumed.

Both exact DARUAN emulators do the same arithmetic per circuit, a few multiply-adds per gate
on Bloch vectors (:mod:`qmem.circuits.emulation.bloch`); they differ in how many circuits
they run. ``"bloch"`` runs one per edge and sample: ``N·E`` circuits for ``N`` samples of
``E`` edges. ``"fourier"`` runs ``P = 2r+1`` per edge, whatever the batch (the coefficient
map), then a cos/sin basis of the inputs and one matmul, cheap per sample. So Bloch wins at
small batches and Fourier at large ones, and the crossover batch grows with ``P``:

    use "bloch" iff  N <= KAPPA·P + LAMBDA / (E·(r+1))

``KAPPA·P`` is where the circuit work of the two is equal (``KAPPA`` about 1, less where the
matmul is dearer than a circuit, i.e. at large ``E``); ``LAMBDA / (E·(r+1))`` is the extra fixed
overhead of the Fourier path (its DFT, basis and matmul ops) expressed in circuits, which
matters only for small layers. The constants, per dtype and per "gradient needed or not",
were fitted to timings of both executors over widths 8-128, reps 1-8 and batches 1-4096
(``python bench/executors.py --fit``; table and regret in ``docs/benchmarks.md``). Other
candidates (``"statevector"``: the same circuits as dense 2x2 complex products) are never
faster and are chosen only when neither of the two applies.

A QKAN layer adds one rule of its own before this one: when its Fourier weights are already
built (a prepared sequence, or a no-grad call with unchanged parameters, see
:meth:`~qmem.circuits.QKANLayer.prepare`), the Fourier form costs no circuit at all and runs.

>>> prefer_bloch(1, 1024, 2, torch.float32, grad=True)
True
>>> prefer_bloch(256, 1024, 2, torch.float32, grad=True)
False
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..executors import Executor, set_auto_rule
from .ansatz import get_ansatz

__all__ = ["AUTO_CONSTANTS", "daruan_auto_rule", "prefer_bloch"]

AUTO_CONSTANTS: dict[tuple[bool, bool], tuple[float, float]] = {
    # (float64, gradient needed): (KAPPA, LAMBDA), fitted on 360 shapes each (widths 8-128,
    # reps 1-8, batches 1-256; past 256 Fourier always wins) on this project's CPU machine
    (False, True): (1.5, 5600.0),
    (True, True): (1.25, 5600.0),
    (False, False): (1.5, 1.0e4),
    (True, False): (1.5, 1.0e4),
}
"""``(KAPPA, LAMBDA)`` of the rule, per (float64?, gradient needed?), fitted by
``bench/executors.py --fit``."""


def prefer_bloch(n: int, edges: int, reps: int, dtype: torch.dtype, *, grad: bool) -> bool:
    """Whether ``"bloch"`` beats ``"fourier"`` for ``n`` samples of ``edges`` DARUANs with
    ``reps`` re-uploadings (the rule of the module docstring).

    Args:
        n: samples per edge (the batch of a layer call).
        edges: DARUANs evaluated per sample (``in·out`` for a layer).
        reps: re-uploadings r.
        dtype: the parameters' dtype (float64 uses its own constants, others float32's).
        grad: whether a gradient will be taken.
    """
    kappa, lam = AUTO_CONSTANTS[(dtype == torch.float64, grad)]
    return n <= kappa * (2 * reps + 1) + lam / (max(edges, 1) * (reps + 1))


def _needs_grad(job: Any) -> bool:
    if not torch.is_grad_enabled():
        return False
    return any(t is not None and t.requires_grad for t in (job.x, job.theta, job.w, job.b))


def daruan_auto_rule(job: Any, candidates: tuple[Executor, ...]) -> Executor:
    """The :data:`~qmem.circuits.executors.AutoRule` of DARUAN: between ``"fourier"`` and
    ``"bloch"`` by :func:`prefer_bloch` on the job's shape; ``"bloch"`` over any other;
    otherwise the first candidate.

    Args:
        job: a :class:`~qmem.circuits.daruan.DaruanJob`.
        candidates: the executors that can run ``job`` (at least one).

    Returns:
        The executor to run ``job`` on.

    >>> from qmem.circuits.daruan.core import DaruanJob
    >>> from qmem.circuits.executors import get_executor
    >>> pair = (get_executor("fourier"), get_executor("bloch"))
    >>> theta = torch.zeros(4, 3, 2)                      # 4 edges, pz, r = 2
    >>> small = DaruanJob(torch.zeros(1, 4), theta, "pz", None, None, "z", 2)
    >>> large = DaruanJob(torch.zeros(4096, 4), theta, "pz", None, None, "z", 2)
    >>> daruan_auto_rule(small, pair).name, daruan_auto_rule(large, pair).name
    ('bloch', 'fourier')
    """
    by_name = {ex.name: ex for ex in candidates}
    if "bloch" not in by_name:
        return candidates[0]
    if "fourier" not in by_name:
        return by_name["bloch"]
    lead = job.theta.shape[: job.theta.dim() - get_ansatz(job.ansatz).theta_ndim]
    edges = math.prod(lead)
    total = math.prod(torch.broadcast_shapes(job.x.shape, lead))
    n = total // max(edges, 1)
    if prefer_bloch(n, edges, job.reps, job.theta.dtype, grad=_needs_grad(job)):
        return by_name["bloch"]
    return by_name["fourier"]


set_auto_rule("daruan", daruan_auto_rule)

"""The public functional core of DARUAN: ``qmem.circuits.daruan``.

One function evaluates the activation φ(x) = ⟨ψ(x)|Z|ψ(x)⟩ of every DARUAN in a tensor of
parameters, on any executor of the registry (:mod:`qmem.circuits.executors`) that runs
``"daruan"`` circuits:

- ``"fourier"``: exact trigonometric-polynomial form (needs w = b = None and readout ``"z"``);
- ``"bloch"``: exact closed-form SU(2) (Bloch) products in torch;
- ``"statevector"``: the generic n-qubit torch emulator, on the 1-qubit IR circuit;
- ``"pennylane"``: a PennyLane QNode on any device by name (``device="lightning.qubit"``);
- ``"qiskit"``: qiskit-aer directly; ``shots``, ``seed`` and ``noise_model`` options;
- ``"auto"`` (default): ``"fourier"`` where it applies, else ``"bloch"``.

>>> x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
>>> theta = torch.full((3, 2), 0.4, dtype=torch.float64)           # pz, r = 2
>>> a = daruan(x, theta, executor="fourier")
>>> b = daruan(x, theta, executor="bloch")
>>> a.shape, bool(torch.allclose(a, b, atol=1e-12))
(torch.Size([5]), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch

from qmem.validation import check_literal, check_size_budget

from ..checks import all_finite, non_finite
from ..executors import check_executor_options, resolve_executor
from ..ir import Circuit
from .ansatz import MAX_REPS, daruan_angles, daruan_circuit, get_ansatz
from .bloch import Readout, apply_readout

if TYPE_CHECKING:
    from ..executors import Executor

__all__ = [
    "DaruanJob",
    "all_finite",
    "daruan",
    "encode",
    "run_daruan",
    "validate_daruan_inputs",
]

@dataclass(frozen=True, eq=False)
class DaruanJob:
    """One batched DARUAN evaluation, as executors read it (see :class:`~qmem.circuits.
    executors.Job`): ``x`` (...), ``theta`` (..., *theta_shape), ``w``/``b`` (..., r) or None.

    Attributes:
        x: inputs, shape (...).
        theta: angles, shape (..., *theta_shape(ansatz, reps)).
        ansatz: a registered ansatz name.
        w: pre-activation weights (..., r), or None (w = 1).
        b: pre-activation biases (..., r), or None (b = 0).
        readout: ``"z"`` or ``"abs"`` (applied by :func:`run_daruan`, not the executor).
        reps: re-uploadings r (what :func:`validate_daruan_inputs` returns).
        kind: always ``"daruan"``.

    >>> x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> job = DaruanJob(x, torch.zeros(2, 2, dtype=torch.float64), "pz", None, None, "z", 1)
    >>> job.circuit.slot_names
    ('theta[0,0]', 'theta[0,1]', 'z[0]', 'theta[1,0]', 'theta[1,1]')
    >>> job.angles().tolist()                               # z_0 = x in slot 2
    [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]]
    """

    x: torch.Tensor
    theta: torch.Tensor
    ansatz: str
    w: torch.Tensor | None
    b: torch.Tensor | None
    readout: Readout
    reps: int
    kind: Literal["daruan"] = "daruan"

    @property
    def circuit(self) -> Circuit:
        """The 1-qubit IR circuit."""
        return daruan_circuit(self.ansatz, self.reps)

    def angles(self) -> torch.Tensor:
        """Slot angles, shape (..., n_slots)."""
        return daruan_angles(encode(self.x, self.reps, self.w, self.b), self.theta, self.ansatz)


def validate_daruan_inputs(
    x: torch.Tensor,
    theta: torch.Tensor,
    ansatz: str,
    w: torch.Tensor | None,
    b: torch.Tensor | None,
    readout: object,
) -> int:
    """Check types, shapes and finiteness; return the number of re-uploadings r.

    The shape rule: θ ends in ``theta_shape(ansatz, r)`` with 1 <= r <= ``MAX_REPS``; w and b
    end in r; ``x.shape`` and the leading dims of θ, w and b broadcast together (any of them
    may have fewer dims than another, torch's broadcasting rule) and the result stays within
    the size budget.

    Args:
        x: inputs, shape (...).
        theta: angles, shape (..., *theta_shape(ansatz, r)).
        ansatz: a registered ansatz name.
        w: pre-activation weights (..., r), or None.
        b: pre-activation biases (..., r), or None.
        readout: ``"z"`` or ``"abs"``.

    Returns:
        The re-uploading count r.

    Raises:
        TypeError: a non-tensor or non-floating input, a dtype other than θ's.
        ValueError: an unknown ansatz or readout, a wrong shape, shapes that do not
            broadcast, another device than θ's, a batch past the size budget, NaN or inf.

    >>> theta = torch.zeros(4, 3, 2, dtype=torch.float64)            # 4 edges, pz, r = 2
    >>> x = torch.zeros(5, 1, dtype=torch.float64)
    >>> validate_daruan_inputs(x, theta, "pz", torch.ones(2, dtype=torch.float64), None, "z")
    2
    >>> validate_daruan_inputs(torch.zeros(3), theta.float(), "pz", None, None, "z")
    Traceback (most recent call last):
    ...
    ValueError: x (3,) does not broadcast with the parameters' leading dims (theta (4,)): ...
    """
    spec = get_ansatz(ansatz)
    check_literal("readout", readout, Readout)
    for name, t in (("x", x), ("theta", theta), ("w", w), ("b", b)):
        if t is None:
            continue
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    nd = spec.theta_ndim
    if theta.dim() < nd or (nd == 2 and theta.shape[-1] != spec.width):
        raise ValueError(
            f"theta for ansatz {ansatz!r} must have shape {spec.theta_pattern()}, "
            f"got {tuple(theta.shape)}"
        )
    reps = spec.reps_of(theta.shape)
    if not 1 <= reps <= MAX_REPS:
        raise ValueError(
            f"theta of shape {tuple(theta.shape)} gives reps = {reps} for ansatz {ansatz!r}; "
            f"reps must be >= 1 and <= MAX_REPS = {MAX_REPS}"
        )
    for name, t in (("w", w), ("b", b)):
        if t is not None and (t.dim() < 1 or t.shape[-1] != reps):
            raise ValueError(
                f"{name} must have shape (..., r) with r = {reps}, got {tuple(t.shape)}"
            )
    for name, t in (("x", x), ("w", w), ("b", b)):  # qmem never casts silently
        if t is not None and t.dtype != theta.dtype:
            raise TypeError(f"{name} has dtype {t.dtype} but theta {theta.dtype}; they must match")
        if t is not None and t.device != theta.device:
            raise ValueError(
                f"{name} is on device {t.device} but theta on {theta.device}; they must match"
            )
    named = [("theta", theta.shape[: theta.dim() - nd])]
    named += [(name, t.shape[:-1]) for name, t in (("w", w), ("b", b)) if t is not None]
    try:
        total = math.prod(torch.broadcast_shapes(x.shape, *(s for _, s in named)))
    except RuntimeError:
        dims = ", ".join(f"{name} {tuple(s)}" for name, s in named)
        raise ValueError(
            f"x {tuple(x.shape)} does not broadcast with the parameters' leading dims "
            f"({dims}): x's shape and every parameter's leading dims must broadcast together "
            "(right-aligned, each dim equal or 1)"
        ) from None
    check_size_budget(  # before allocating: a Fourier basis / Bloch state per evaluation
        "daruan (the broadcast of x and the parameters' leading dims, x (2r+1))",
        total * (2 * reps + 1),
    )
    bad = non_finite((("x", x), ("theta", theta), ("w", w), ("b", b)))
    if bad is not None:
        raise ValueError(f"{bad} holds non-finite values (NaN or inf)")
    return reps


def encode(
    x: torch.Tensor, reps: int, w: torch.Tensor | None, b: torch.Tensor | None
) -> torch.Tensor:
    """Encoded inputs ``z_l = w_l·x + b_l``, shape (*broadcast, r); w = 1, b = 0 when None.

    Args:
        x: inputs, shape (...).
        reps: re-uploadings r.
        w: weights (..., r), or None.
        b: biases (..., r), or None.

    Returns:
        z, shape: the broadcast of ``x.shape`` and w's / b's leading dims, then r.

    >>> x = torch.tensor([1.0, 2.0])
    >>> encode(x, 2, None, None).tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    >>> encode(x, 2, torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.5])).tolist()
    [[1.0, 3.5], [2.0, 6.5]]
    """
    z = x.unsqueeze(-1)  # (..., 1)
    if w is not None:
        z = z * w
    if b is not None:
        z = z + b
    return z.expand(*z.shape[:-1], reps) if z.shape[-1] == 1 else z


def run_daruan(executor: Executor, job: DaruanJob, options: Mapping[str, Any]) -> torch.Tensor:
    """φ of a checked ``job`` on a resolved ``executor`` with checked ``options`` (the shared
    body of :func:`daruan` and ``QKANLayer``).

    Args:
        executor: an executor that runs ``job`` (e.g. from ``resolve_executor``).
        job: a :class:`DaruanJob` whose inputs passed :func:`validate_daruan_inputs`.
        options: the executor's options, checked.

    Returns:
        φ with the job's readout applied, shape: the broadcast of x and the leading dims.

    >>> from qmem.circuits.executors import get_executor
    >>> x = torch.tensor([0.3], dtype=torch.float64)
    >>> theta = torch.zeros(2, 2, dtype=torch.float64)
    >>> theta[0, 1] = 1.0                                      # pz, r = 1: ⟨Z⟩ = -sin 1
    >>> job = DaruanJob(x, theta, "pz", None, None, "abs", 1)
    >>> phi = run_daruan(get_executor("bloch"), job, {})
    >>> round(float(phi), 4), round(float(apply_readout(-torch.sin(theta[0, 1]), "abs")), 4)
    (-0.678, -0.678)
    """
    out = executor.run(job, options)  # (..., 1)
    return apply_readout(out[..., 0], job.readout)


def daruan(
    x: torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: str = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
    readout: Readout = "z",
    executor: str = "auto",
    **executor_options: Any,
) -> torch.Tensor:
    """Evaluate DARUAN activations φ(x).

    Args:
        x: inputs, shape (...), broadcast against the parameters' leading dims.
        theta: angles, shape (..., r+1, 2) for ``pz``, (..., r+1) for ``rpz``, (..., r) for
            ``real`` (in general ``theta_shape(ansatz, r)``).
        ansatz: a registered ansatz: ``"pz"``, ``"rpz"``, ``"real"`` (``qkan``'s gate orders)
            or one added with ``register_ansatz``.
        w: pre-activation weights, shape (..., r), or None for w = 1.
        b: pre-activation biases, shape (..., r), or None for b = 0.
        readout: ``"z"`` exact expectation ⟨Z⟩; ``"abs"`` qkan's |α| - |β| (not an expectation).
        executor: a name of ``executor_names("daruan")``: ``"auto"``, ``"fourier"``,
            ``"bloch"``, ``"statevector"``, ``"pennylane"``, ``"qiskit"`` or a registered one.
        **executor_options: the executor's options (``device``, ``diff_method`` for
            PennyLane; ``shots``, ``seed``, ``noise_model`` for Qiskit, ``shots``/``seed`` for
            both; ``method`` for statevector).

    Returns:
        φ, shape: broadcast of ``x.shape``, theta's leading dims and w/b's leading dims.

    Raises:
        ValueError: unknown ansatz/readout/executor, an executor that cannot run this
            setting, wrong shapes, r < 1, non-finite x, options the executor does not take.
        TypeError: non-tensor or non-floating inputs, a non-str executor.
    """
    reps = validate_daruan_inputs(x, theta, ansatz, w, b, readout)
    options = check_executor_options("daruan", executor, executor_options)
    job = DaruanJob(x, theta, ansatz, w, b, readout, reps)
    return run_daruan(resolve_executor("daruan", executor, job), job, options)

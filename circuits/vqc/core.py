"""Variational quantum circuits (VQCs) for QLSTM: the functional core and a torch layer.

:func:`vqc` maps inputs ``x`` ``(..., n_qubits)`` and circuit weights to the ``⟨Z⟩``
readouts of a VQC (see :mod:`qmem.circuits.vqc.spec` and :mod:`qmem.circuits.vqc.builder`
for the circuits), on any executor of the registry (:mod:`qmem.circuits.executors`) that runs
``"vqc"`` circuits; the built-in ones all read the same :class:`~qmem.circuits.ir.Circuit`:

- ``"statevector"`` (default; also what ``"auto"`` means): exact torch emulation
  (:mod:`qmem.circuits.emulation.statevector`). The encoding is a product state and the
  variational block one ``2^n x 2^n`` unitary built once per call from the weights, so a
  batch costs one complex matmul; encoding, weights and circuit are one autograd node with
  a hand-written backward (small batches cost per-op overhead). Option ``method``:
  ``"auto"`` (dense up to
  :data:`~qmem.circuits.emulation.statevector.DENSE_MAX_QUBITS` qubits, gate by gate beyond),
  ``"dense"`` or ``"gates"``.
- ``"pennylane"``: any PennyLane device (options ``device``, ``diff_method``, ``shots``,
  ``seed``; see :func:`qmem.circuits.backends.pennylane.expval_z`).
- ``"qiskit"``: qiskit-aer (options ``shots``, ``seed``, ``noise_model``, ``chunk_size``,
  ``max_parallel_threads``; see :func:`qmem.circuits.backends.qiskit.expval_z`).

All three are differentiable w.r.t. ``x`` and the weights: the family maps ``(x, weights)``
to the circuit's angle vector in torch, and each executor is differentiable in the angles.

>>> x = torch.zeros(3, 4, dtype=torch.float64)
>>> vqc(x, torch.zeros(2, 4, 3, dtype=torch.float64)).shape
torch.Size([3, 4])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import torch  # noqa: F401  (doctests)
from torch import Tensor

from qmem.validation import check_int

from ..checks import non_finite
from ..executors import check_executor_options, resolve_executor
from ..ir import Circuit
from .builder import EncodingMap, build_circuit, check_weights, encoding_map, vqc_angles
from .spec import FAMILIES, Family, VQCSpec, chen2024_spec, family_spec  # noqa: F401 (doctests)

__all__ = ["VQCJob", "resolve_spec", "run_spec", "vqc"]


@dataclass(frozen=True, eq=False)
class VQCJob:
    """One batched VQC evaluation as executors read it (see
    :class:`~qmem.circuits.executors.Job`): ``x`` (..., n_qubits), ``weights``
    ``spec.weight_shape``.

    It checks nothing itself (:func:`run_spec` checks before building one).

    Attributes:
        spec: the VQC.
        x: inputs, shape ``(..., n_qubits)``.
        weights: circuit angles, shape ``spec.weight_shape``.
        kind: always ``"vqc"``.

    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(5, 2), torch.ones(1, 2))
    >>> job.circuit.n_slots, job.angles().shape
    (4, torch.Size([5, 4]))
    >>> job.angles()[0]  # encoding slots (x), then weight slots
    tensor([0., 0., 1., 1.])
    """

    spec: VQCSpec
    x: Tensor
    weights: Tensor
    kind: Literal["vqc"] = "vqc"

    @property
    def circuit(self) -> Circuit:
        """The IR circuit (cached per spec)."""
        return build_circuit(self.spec)

    @property
    def encoding(self) -> EncodingMap:
        """The data encoding with its closed-form derivative (for fused emulation)."""
        return encoding_map(self.spec)

    def angles(self) -> Tensor:
        """Slot angles, shape (..., n_slots)."""
        return vqc_angles(self.spec, self.x, self.weights)


def resolve_spec(
    family: Family | VQCSpec | Mapping[str, Any],
    n_qubits: int | None = None,
    n_layers: int | None = None,
    n_outputs: int | None = None,
) -> VQCSpec:
    """The :class:`VQCSpec` meant by a family name, a spec or a plain dict of spec options.

    Args:
        family: ``"chen2020"``, ``"chen2024"``, a :class:`VQCSpec`, or a dict accepted by
            :meth:`VQCSpec.from_dict`.
        n_qubits: qubit count; for a name, defaults to 4; for a spec/dict, if given, it
            must match the spec.
        n_layers: layer count; same rules (default 2).
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (overrides the spec's
            readout); ``None`` keeps the family's/spec's readout (all qubits by default).

    Raises:
        ValueError: unknown family, or sizes that contradict the spec.
        TypeError: ``family`` of another type.

    >>> resolve_spec("chen2024", 5, 1, n_outputs=2).readout
    (0, 1)
    >>> resolve_spec({"n_qubits": 3, "entangler": "brick"}).entangler
    'brick'
    """
    for name, value in (("n_qubits", n_qubits), ("n_layers", n_layers), ("n_outputs", n_outputs)):
        if value is not None:
            check_int(name, value)
    if isinstance(family, str):
        if family not in FAMILIES:
            raise ValueError(f"unknown VQC family {family!r}; allowed: {FAMILIES}")
        return _named_spec(
            family,
            4 if n_qubits is None else n_qubits,
            2 if n_layers is None else n_layers,
            n_outputs,
        )
    if isinstance(family, Mapping):
        family = VQCSpec.from_dict(family)
    if not isinstance(family, VQCSpec):
        raise TypeError(
            f"family must be one of {FAMILIES}, a VQCSpec or a dict, got {type(family).__name__}"
        )
    for name, value in (("n_qubits", n_qubits), ("n_layers", n_layers)):
        if value is not None and value != getattr(family, name):
            raise ValueError(
                f"{name}={value} contradicts the spec's {name}={getattr(family, name)}"
            )
    if n_outputs is not None:
        if not 1 <= n_outputs <= family.n_qubits:
            raise ValueError(
                f"n_outputs must be in 1..{family.n_qubits} (n_qubits), got {n_outputs}"
            )
        family = family.replace(readout=tuple(range(n_outputs)))
    return family


@lru_cache(maxsize=256)
def _named_spec(family: str, n_qubits: int, n_layers: int, n_outputs: int | None) -> VQCSpec:
    return family_spec(family, n_qubits, n_layers, n_outputs)


def run_spec(
    spec: VQCSpec, x: Tensor, weights: Tensor, executor: str, options: Mapping[str, Any]
) -> Tensor:
    """Evaluate a resolved spec on an executor (the body of :func:`vqc`).

    Args:
        spec: the VQC (see :func:`resolve_spec`).
        x: inputs, shape ``(..., spec.n_qubits)``, float32 or float64.
        weights: circuit angles, shape ``spec.weight_shape``.
        executor: a name of ``executor_names("vqc")``.
        options: the executor's options (checked against the keys it takes).

    Returns:
        ``⟨Z⟩`` on ``spec.readout_wires``, shape ``(..., spec.n_outputs)``.

    Raises:
        ValueError: unknown executor or option, wrong input width or weight shape, NaN/inf
            in ``x`` or ``weights``, or a circuit the executor cannot run.
        TypeError: ``x`` is no tensor, non-float tensors, options that are not a mapping.

    On one qubit ``chen2024`` is ``RY(w) RY(x) H|0⟩ = RY(π/2 + x + w)|0⟩``, so
    ``⟨Z⟩ = -sin(x + w)``:

    >>> x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64).unsqueeze(-1)  # (5, 1)
    >>> w = torch.full((1, 1), 0.3, dtype=torch.float64)
    >>> z = run_spec(chen2024_spec(1, 1), x, w, "statevector", {})
    >>> z.shape, torch.allclose(z, -torch.sin(x + 0.3))
    (torch.Size([5, 1]), True)
    >>> run_spec(chen2024_spec(1, 1), x, w, "statevector", {"shots": 100})
    Traceback (most recent call last):
    ...
    ValueError: unknown option 'shots' for executor 'statevector'; allowed: 'method'
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    options = check_executor_options("vqc", executor, options)
    check_weights(spec, weights)
    bad = non_finite((n, t) for n, t in (("x", x), ("weights", weights)) if t.is_floating_point())
    if bad is not None:
        raise ValueError(f"{bad} holds non-finite values (NaN or inf)")
    job = VQCJob(spec, x, weights)
    return resolve_executor("vqc", executor, job).run(job, options)


def vqc(
    x: Tensor,
    weights: Tensor,
    *,
    family: Family | VQCSpec | Mapping[str, Any] = "chen2020",
    n_outputs: int | None = None,
    executor: str = "statevector",
    **executor_options: Any,
) -> Tensor:
    """``⟨Z⟩`` readouts of a VQC for a batch of inputs.

    Args:
        x: inputs, shape ``(..., n_qubits)``, float32 or float64.
        weights: circuit angles, ``(n_layers, n_qubits, 3)`` for ``chen2020``,
            ``(n_layers, n_qubits)`` for ``chen2024`` (in general ``spec.weight_shape``);
            cast to ``x``'s dtype.
        family: ``"chen2020"``, ``"chen2024"``, a :class:`VQCSpec` or a dict of its
            options. For a name, ``n_qubits = x.shape[-1]`` and ``n_layers = len(weights)``.
        n_outputs: read the first ``n_outputs`` qubits (default: the family's readout, all
            qubits for the two named families).
        executor: a name of ``executor_names("vqc")``: ``"statevector"``, ``"auto"`` (the
            same), ``"pennylane"``, ``"qiskit"`` or a registered one.
        **executor_options: passed to the executor (see the module docstring).

    Returns:
        ``⟨Z⟩`` on the readout qubits, shape ``(..., n_outputs)``, in ``x``'s dtype and
        device, differentiable w.r.t. ``x`` and ``weights``.

    Raises:
        ValueError: unknown family/executor/executor option, wrong input width or weight
            shape, NaN/inf in ``x`` or ``weights``, or too many qubits for
            ``method="dense"``.
        TypeError: non-float tensors.

    >>> x = torch.tensor([[0.1, 0.2, 0.3, 0.4]], dtype=torch.float64)
    >>> w = torch.zeros(2, 4, 3, dtype=torch.float64)
    >>> vqc(x, w, n_outputs=2).shape
    torch.Size([1, 2])
    >>> torch.allclose(vqc(x, w), vqc(x, w, executor="pennylane"))
    True
    """
    if not isinstance(x, Tensor) or not isinstance(weights, Tensor):
        raise TypeError(
            f"x and weights must be torch.Tensors, got {type(x).__name__} and "
            f"{type(weights).__name__}"
        )
    if x.dim() == 0 or weights.dim() == 0:
        raise ValueError(
            f"x must be (..., n_qubits) and weights (n_layers, n_qubits, ...), got shapes "
            f"{tuple(x.shape)} and {tuple(weights.shape)}"
        )
    if isinstance(family, str):
        spec = resolve_spec(family, x.shape[-1], weights.shape[0], n_outputs)
    else:
        spec = resolve_spec(family, n_outputs=n_outputs)
    return run_spec(spec, x, weights, executor, executor_options)



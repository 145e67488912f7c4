"""The public functional core of DARUAN: ``qmem.circuits.daruan``.

One function evaluates the activation φ(x) = ⟨ψ(x)|Z|ψ(x)⟩ of every DARUAN in a tensor of
parameters, on any executor:

- ``"fourier"``: exact trigonometric-polynomial form (needs w = b = None and readout ``"z"``);
- ``"statevector"``: exact closed-form SU(2) (Bloch) products in torch;
- ``"pennylane"``: a PennyLane QNode on any device by name (``device="lightning.qubit"``);
- ``"qiskit"``: qiskit-aer directly; ``shots``, ``seed`` and ``noise_model`` options;
- ``"auto"`` (default): ``"fourier"`` where it applies, else ``"statevector"``.

>>> x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
>>> theta = torch.full((3, 2), 0.4, dtype=torch.float64)           # pz, r = 2
>>> a = daruan(x, theta, executor="fourier")
>>> b = daruan(x, theta, executor="statevector")
>>> a.shape, bool(torch.allclose(a, b, atol=1e-12))
(torch.Size([5]), True)
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import torch

from .daruan_bloch import Readout, apply_readout, bloch_expval
from .daruan_def import Ansatz, check_ansatz, daruan_angles, daruan_circuit
from .daruan_fourier import fourier_coefficients, fourier_eval

__all__ = [
    "Executor",
    "all_finite",
    "daruan",
    "encode",
    "resolve_executor",
    "validate_daruan_inputs",
]

Executor = Literal["auto", "fourier", "statevector", "pennylane", "qiskit"]


def resolve_executor(
    executor: object, *, fourier_ok: bool, readout: Readout
) -> Literal["fourier", "statevector", "pennylane", "qiskit"]:
    """Resolve ``"auto"`` and reject executors that do not apply to the given setting."""
    allowed = get_args(Executor)
    if executor not in allowed:
        raise ValueError(f"unknown executor {executor!r}; allowed: {', '.join(allowed)}")
    if executor == "auto":
        return "fourier" if fourier_ok and readout == "z" else "statevector"
    if executor == "fourier" and not fourier_ok:
        raise ValueError(
            "executor 'fourier' needs fixed integer-frequency encoding (w=None, b=None): with "
            "pre-activation weights the output is no finite Fourier series; use 'statevector'"
        )
    if executor == "fourier" and readout != "z":
        raise ValueError(
            "executor 'fourier' needs readout 'z': the |α|-|β| readout is no Fourier series; "
            "use 'statevector'"
        )
    return executor  # type: ignore[return-value]


def all_finite(x: torch.Tensor) -> bool:
    """Whether ``x`` holds no NaN or inf: one reduction, the elementwise check only if the sum
    is not finite (a NaN/inf makes it so; a finite overflow is then told apart).

    >>> all_finite(torch.tensor([1.0, 2.0])), all_finite(torch.tensor([1.0, float("nan")]))
    (True, False)
    """
    if bool(torch.isfinite(x.sum())):
        return True
    return bool(torch.isfinite(x).all())


def validate_daruan_inputs(
    x: torch.Tensor,
    theta: torch.Tensor,
    ansatz: Ansatz,
    w: torch.Tensor | None,
    b: torch.Tensor | None,
    readout: object,
) -> int:
    """Check types, shapes and finiteness; return the number of re-uploadings r."""
    check_ansatz(ansatz)
    if readout not in get_args(Readout):
        raise ValueError(f"unknown readout {readout!r}; allowed: {', '.join(get_args(Readout))}")
    for name, t in (("x", x), ("theta", theta), ("w", w), ("b", b)):
        if t is None:
            continue
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    tail = 2 if ansatz == "pz" else 1
    if theta.dim() < tail or (ansatz == "pz" and theta.shape[-1] != 2):
        want = (
            "(..., r+1, 2)" if ansatz == "pz" else "(..., r+1)" if ansatz == "rpz" else "(..., r)"
        )
        raise ValueError(
            f"theta for ansatz {ansatz!r} must have shape {want}, got {tuple(theta.shape)}"
        )
    n = theta.shape[-tail]
    reps = n - 1 if ansatz in ("pz", "rpz") else n
    if reps < 1:
        raise ValueError(
            f"theta of shape {tuple(theta.shape)} gives reps = {reps} for ansatz {ansatz!r}; "
            "reps must be >= 1"
        )
    for name, t in (("w", w), ("b", b)):
        if t is not None and (t.dim() < 1 or t.shape[-1] != reps):
            raise ValueError(
                f"{name} must have shape (..., r) with r = {reps}, got {tuple(t.shape)}"
            )
    if not all_finite(x):
        raise ValueError("x holds non-finite values (NaN or inf)")
    return reps


def encode(
    x: torch.Tensor, reps: int, w: torch.Tensor | None, b: torch.Tensor | None
) -> torch.Tensor:
    """Encoded inputs ``z_l = w_l·x + b_l``, shape (*broadcast, r); w = 1, b = 0 when None."""
    z = x.unsqueeze(-1)  # (..., 1)
    if w is not None:
        z = z * w
    if b is not None:
        z = z + b
    return z.expand(*z.shape[:-1], reps) if z.shape[-1] == 1 else z


def daruan(
    x: torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: Ansatz = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
    readout: Readout = "z",
    executor: Executor = "auto",
    **executor_options: Any,
) -> torch.Tensor:
    """Evaluate DARUAN activations φ(x).

    Args:
        x: inputs, shape (...), broadcast against the parameters' leading dims.
        theta: angles, shape (..., r+1, 2) for ``pz``, (..., r+1) for ``rpz``, (..., r) for
            ``real``.
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"`` (gate orders of the ``qkan`` library).
        w: pre-activation weights, shape (..., r), or None for w = 1.
        b: pre-activation biases, shape (..., r), or None for b = 0.
        readout: ``"z"`` exact expectation ⟨Z⟩; ``"abs"`` qkan's |α| - |β| (not an expectation).
        executor: ``"auto"``, ``"fourier"``, ``"statevector"``, ``"pennylane"`` or ``"qiskit"``.
        **executor_options: passed to the SDK executor (``device``, ``diff_method`` for
            PennyLane; ``shots``, ``seed``, ``noise_model`` for Qiskit, ``shots``/``seed`` for
            both).

    Returns:
        φ, shape: broadcast of ``x.shape``, theta's leading dims and w/b's leading dims.

    Raises:
        ValueError: unknown ansatz/readout/executor, wrong shapes, r < 1, non-finite x,
            executor options for a torch executor.
        TypeError: non-tensor or non-floating inputs.
    """
    reps = validate_daruan_inputs(x, theta, ansatz, w, b, readout)
    kind = resolve_executor(executor, fourier_ok=w is None and b is None, readout=readout)
    if kind in ("fourier", "statevector") and executor_options:
        raise ValueError(
            f"executor {kind!r} takes no options, got {sorted(executor_options)}; options are "
            "for 'pennylane' and 'qiskit'"
        )
    if kind == "fourier":
        return fourier_eval(x, fourier_coefficients(theta, ansatz))
    if kind == "statevector":
        return bloch_expval(x, theta, ansatz, w=w, b=b, readout=readout)
    z = encode(x, reps, w, b)  # (..., r)
    angles = daruan_angles(z, theta, ansatz)  # (..., n_slots)
    circuit = daruan_circuit(ansatz, reps)
    if kind == "pennylane":
        from .pennylane_backend import expval_z
    else:
        from .qiskit_backend import expval_z
    return apply_readout(expval_z(circuit, angles, **executor_options)[..., 0], readout)

"""The executor registry: every circuit executor, found by name.

An *executor* runs one circuit family's *job* (a DARUAN or a VQC with its inputs, see
:class:`Job`) and returns ``⟨Z⟩`` on the circuit's readout wires. It implements the small
:class:`Executor` protocol: a ``name``, the circuit ``kinds`` it supports (``"daruan"``,
``"vqc"``), the ``options`` it takes, ``unsupported(job)`` (why it cannot run a job, or
None) and ``run(job, options)``. Executors are registered by name with
:func:`register_executor` — from inside the package or from user code — and ``daruan``,
``vqc``, ``QKANLayer`` and ``VQCLayer`` look them up here instead of branching.

Names mean one thing: ``"bloch"`` (DARUAN's closed-form SU(2) engine), ``"fourier"``
(DARUAN's exact Fourier form), ``"statevector"`` (the n-qubit torch emulator of any IR
circuit), ``"pennylane"`` and ``"qiskit"`` (any IR circuit on those SDKs). ``"auto"`` is no
executor: it resolves per job among the executors of :data:`AUTO` that support it — the
first of them, or, where a circuit family registers an :data:`AutoRule` for its kind
(:func:`set_auto_rule`; DARUAN does, see :mod:`qmem.circuits.daruan.auto`), the one that
rule picks for the job's shape.

>>> executor_names("vqc")[:4]
('auto', 'statevector', 'pennylane', 'qiskit')
>>> check_executor("daruan", "blosh")
Traceback (most recent call last):
...
ValueError: unknown executor 'blosh' (did you mean 'bloch'?); allowed for daruan: 'auto', ...
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from qmem.config import suggest
from qmem.validation import check_literal, literal_values

if TYPE_CHECKING:
    from torch import Tensor

    from .ir import Circuit

__all__ = [
    "AUTO",
    "AutoRule",
    "CircuitKind",
    "Executor",
    "Job",
    "auto_candidates",
    "check_executor",
    "check_executor_options",
    "executor_names",
    "get_executor",
    "option_names",
    "pick_auto",
    "register_executor",
    "resolve_executor",
    "set_auto_rule",
    "unregister_executor",
]

CircuitKind = Literal["daruan", "vqc"]
"""The circuit families an executor can run: ``"daruan"`` (:mod:`qmem.circuits.daruan`) and
``"vqc"`` (:mod:`qmem.circuits.vqc`)."""
_KINDS: tuple[str, ...] = literal_values(CircuitKind)

AUTO: dict[str, tuple[str, ...]] = {
    "daruan": ("fourier", "bloch", "statevector"),
    "vqc": ("statevector",),
}
"""What ``"auto"`` chooses from per circuit kind: those of these that support the job (the
first, unless the kind has an :data:`AutoRule`)."""

AutoRule = Callable[[Any, tuple["Executor", ...]], "Executor"]
"""``rule(job, candidates) -> one of candidates``: picks among two or more executors that all
support ``job`` (in :data:`AUTO` order), from the job's shape only (no timing at run time)."""

_AUTO_RULES: dict[str, AutoRule] = {}


class Job(Protocol):
    """One circuit evaluation: what every executor can read.

    ``kind`` names the family; ``circuit`` is its IR gate list and ``angles()`` the slot
    angles ``(..., n_slots)`` (autograd reaches the family's parameters through them).
    Family-specific executors read the family's own fields as well (a DARUAN job has
    ``x, theta, ansatz, w, b, readout``; a VQC job ``spec, x, weights``).

    Attributes:
        kind: the circuit family, a :data:`CircuitKind`.
        circuit: the job's :class:`~qmem.circuits.ir.Circuit`.

    A VQC job (:class:`qmem.circuits.vqc.VQCJob`) is one: 3 samples of a 2-qubit circuit
    with 2 encoding and 2 weight slots.

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(3, 2), torch.zeros(1, 2))
    >>> job.kind, job.circuit.n_qubits, job.angles().shape
    ('vqc', 2, torch.Size([3, 4]))
    """

    kind: CircuitKind

    @property
    def circuit(self) -> Circuit: ...

    def angles(self) -> Tensor: ...


@runtime_checkable
class Executor(Protocol):
    """What a registered executor provides.

    An executor may also define ``check_options(options) -> None``, raising
    ``TypeError``/``ValueError`` for bad option *values*; :func:`check_executor_options`
    then calls it, so a layer refuses ``shots=-1`` when the option is set, not at its first
    call.

    Attributes:
        name: the registry name (not ``"auto"``).
        kinds: the circuit kinds it runs.
        options: the option keys ``run`` accepts (others are refused before it is called).

    The protocol is checked at run time (attributes only, not their types):

    >>> ex = get_executor("statevector")
    >>> isinstance(ex, Executor), ex.name, ex.kinds, ex.options
    (True, 'statevector', ('daruan', 'vqc'), ('method',))
    >>> isinstance(object(), Executor)
    False
    """

    name: str
    kinds: tuple[CircuitKind, ...]
    options: tuple[str, ...]

    def unsupported(self, job: Any) -> str | None:
        """Why this executor cannot run ``job`` (a sentence), or None when it can."""
        ...

    def run(self, job: Any, options: Mapping[str, Any]) -> Tensor:
        """``⟨Z⟩`` on the readout wires, shape ``(..., len(job.circuit.readout))``."""
        ...


_REGISTRY: dict[str, Executor] = {}

# listing order of the built-in executors (import order decides nothing); others follow in
# registration order
_LISTED_FIRST = ("fourier", "bloch", "statevector", "pennylane", "qiskit")


def register_executor(executor: Executor, *, replace: bool = False) -> Executor:
    """Register ``executor`` under its ``name`` (returns it, so it can decorate an instance).

    Args:
        executor: an object implementing :class:`Executor`.
        replace: allow replacing an executor of the same name.

    Returns:
        ``executor`` itself.

    Raises:
        TypeError: ``executor`` lacks the protocol's attributes.
        ValueError: the name is ``"auto"`` or taken, or a kind/option is invalid.

    A toy executor that returns ``⟨Z⟩ = 0`` on every readout wire of a VQC:

    >>> import torch
    >>> class Zeros:
    ...     name, kinds, options = "zeros", ("vqc",), ()
    ...     def unsupported(self, job):
    ...         return None
    ...     def run(self, job, options):
    ...         return torch.zeros(*job.x.shape[:-1], len(job.circuit.readout))
    >>> ex = register_executor(Zeros())
    >>> "zeros" in executor_names("vqc"), "zeros" in executor_names("daruan")
    (True, False)
    >>> register_executor(Zeros())
    Traceback (most recent call last):
    ...
    ValueError: an executor named 'zeros' is already registered (pass replace=True)
    >>> unregister_executor("zeros")
    >>> register_executor(object())
    Traceback (most recent call last):
    ...
    TypeError: executor must implement qmem.circuits.executors.Executor (name, kinds, ...
    """
    if not isinstance(executor, Executor):
        raise TypeError(
            f"executor must implement qmem.circuits.executors.Executor (name, kinds, options, "
            f"unsupported, run), got {type(executor).__name__}"
        )
    name = executor.name
    if not isinstance(name, str) or not name or name == "auto":
        raise ValueError(f"executor name must be a non-empty str other than 'auto', got {name!r}")
    if name in _REGISTRY and not replace:
        raise ValueError(f"an executor named {name!r} is already registered (pass replace=True)")
    kinds = tuple(executor.kinds)
    if not kinds:
        raise ValueError(f"executor {name!r} must support at least one circuit kind")
    for kind in kinds:
        check_literal("executor kind", kind, CircuitKind)
    for key in executor.options:
        if not isinstance(key, str):
            raise TypeError(f"executor {name!r}: option names must be str, got {key!r}")
    _REGISTRY[name] = executor
    return executor


def unregister_executor(name: str) -> None:
    """Remove a registered executor (e.g. a test's toy one).

    Args:
        name: the registry name.

    Raises:
        ValueError: no executor of that name is registered.

    >>> class Toy:
    ...     name, kinds, options = "toy_once", ("vqc",), ()
    ...     def unsupported(self, job):
    ...         return None
    ...     def run(self, job, options):
    ...         raise NotImplementedError
    >>> _ = register_executor(Toy())
    >>> unregister_executor("toy_once")
    >>> "toy_once" in executor_names("vqc")
    False
    >>> unregister_executor("toy_once")
    Traceback (most recent call last):
    ...
    ValueError: no executor named 'toy_once' is registered
    """
    if name not in _REGISTRY:
        raise ValueError(f"no executor named {name!r} is registered")
    del _REGISTRY[name]


def executor_names(kind: CircuitKind) -> tuple[str, ...]:
    """``"auto"`` and the registered executors that run ``kind``, in registration order.

    >>> executor_names("daruan")[:6]
    ('auto', 'fourier', 'bloch', 'statevector', 'pennylane', 'qiskit')
    """
    check_literal("kind", kind, CircuitKind)
    names = sorted(_REGISTRY, key=lambda n: _LISTED_FIRST.index(n) if n in _LISTED_FIRST else 99)
    return ("auto", *(n for n in names if kind in _REGISTRY[n].kinds))


def check_executor(kind: CircuitKind, name: object) -> str:
    """Return ``name`` if it names an executor of ``kind`` (or ``"auto"``).

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: unknown for this kind (the message lists the allowed names).

    >>> check_executor("vqc", "statevector")
    'statevector'
    """
    if type(kind) is str and kind in _KINDS and isinstance(name, str):  # the common case
        executor = _REGISTRY.get(name)
        if name == "auto" or (executor is not None and kind in executor.kinds):
            return name
    allowed = executor_names(kind)  # raises for an unknown kind; else only for the message
    if not isinstance(name, str):
        raise TypeError(f"executor must be a str, got {name!r} ({type(name).__name__})")
    listed = ", ".join(repr(a) for a in allowed)
    raise ValueError(
        f"unknown executor {name!r}{suggest(name, allowed)}; allowed for {kind}: {listed}"
    )


def get_executor(name: str) -> Executor:
    """The registered executor called ``name`` (``"auto"`` is no executor).

    Args:
        name: a registry name, of any kind (see :func:`executor_names`).

    Returns:
        The :class:`Executor` registered under ``name``.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: no executor of that name (the message lists the registered ones).

    >>> get_executor("bloch").kinds
    ('daruan',)
    >>> get_executor("auto")
    Traceback (most recent call last):
    ...
    ValueError: unknown executor 'auto'; allowed: ...
    """
    executor = _REGISTRY.get(name) if isinstance(name, str) else None
    if executor is not None:
        return executor
    if not isinstance(name, str):
        raise TypeError(f"executor name must be a str, got {name!r} ({type(name).__name__})")
    listed = ", ".join(repr(a) for a in _REGISTRY)
    raise ValueError(f"unknown executor {name!r}{suggest(name, _REGISTRY)}; allowed: {listed}")


def option_names(kind: CircuitKind, name: str) -> tuple[str, ...]:
    """The option keys executor ``name`` takes (for ``"auto"``: those all of
    :data:`AUTO` [kind] take, i.e. none unless every candidate takes them).

    Args:
        kind: the circuit kind (decides what ``"auto"`` means).
        name: ``"auto"`` or a registry name.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: unknown ``kind``, or ``name`` is not registered.

    >>> option_names("vqc", "qiskit")[:2], option_names("vqc", "auto")
    (('shots', 'seed'), ('method',))
    >>> option_names("daruan", "auto")  # "fourier" and "bloch" take none
    ()
    """
    if kind not in _KINDS:
        check_literal("kind", kind, CircuitKind)
    if name == "auto":
        sets = [set(_REGISTRY[n].options) for n in AUTO[kind] if n in _REGISTRY]
        return tuple(sorted(set.intersection(*sets))) if sets else ()
    return tuple(get_executor(name).options)


def check_executor_options(kind: CircuitKind, name: str, options: Mapping[str, Any]) -> dict:
    """Return ``dict(options)`` if executor ``name`` takes every key, else raise.

    Raises:
        TypeError: ``options`` is not a mapping, or a key is not a str; a value of the wrong
            type (where the executor checks its values, see :class:`Executor`).
        ValueError: an unknown key (named, with a did-you-mean suggestion); a bad value.

    >>> check_executor_options("vqc", "qiskit", {"shotz": 10})
    Traceback (most recent call last):
    ...
    ValueError: unknown option 'shotz' for executor 'qiskit' (did you mean 'shots'?); allowed: ...
    """
    check_executor(kind, name)
    if not isinstance(options, Mapping):
        raise TypeError(f"executor options must be a mapping, got {type(options).__name__}")
    allowed = option_names(kind, name)
    for key in options:
        if not isinstance(key, str):
            raise TypeError(f"executor option names must be str, got {key!r}")
        if key in allowed:
            continue
        if not allowed:
            raise ValueError(
                f"executor {name!r} takes no options, got {sorted(options)}; unknown option "
                f"{key!r}{_elsewhere(kind, key)}"
            )
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"unknown option {key!r} for executor {name!r}{suggest(key, allowed)}; "
            f"allowed: {listed}"
        )
    out = dict(options)
    hook = getattr(_REGISTRY.get(name), "check_options", None) if out else None
    if callable(hook):
        hook(out)
    return out


def set_auto_rule(kind: CircuitKind, rule: AutoRule | None) -> None:
    """Install (or, with None, remove) the :data:`AutoRule` of circuit ``kind``.

    Args:
        kind: the circuit kind the rule decides for.
        rule: ``rule(job, candidates) -> one of candidates``, or None to remove the kind's
            rule (then ``"auto"`` runs the first candidate).

    Raises:
        TypeError: ``rule`` is neither callable nor None.
        ValueError: unknown ``kind``.

    ``"vqc"`` has no rule by default; one that picks the last candidate, shown on an
    explicit choice of two (:data:`AUTO` lists one executor for ``"vqc"``):

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(3, 2), torch.zeros(1, 2))
    >>> both = (get_executor("statevector"), get_executor("pennylane"))
    >>> set_auto_rule("vqc", lambda job, candidates: candidates[-1])
    >>> try:
    ...     pick_auto("vqc", job, both).name
    ... finally:
    ...     set_auto_rule("vqc", None)
    'pennylane'
    >>> pick_auto("vqc", job, both).name
    'statevector'
    >>> set_auto_rule("vqc", "last")
    Traceback (most recent call last):
    ...
    TypeError: rule must be callable or None, got str
    """
    check_literal("kind", kind, CircuitKind)
    if rule is None:
        _AUTO_RULES.pop(kind, None)
    elif not callable(rule):
        raise TypeError(f"rule must be callable or None, got {type(rule).__name__}")
    else:
        _AUTO_RULES[kind] = rule


def auto_candidates(kind: CircuitKind, job: Any) -> tuple[Executor, ...]:
    """The executors of :data:`AUTO` [kind] that are registered and support ``job``, in that
    order. Depends on the job's circuit and settings, not on its batch, so a layer finds
    them once per executor switch.

    Args:
        kind: the job's circuit kind.
        job: a :class:`Job` of that kind.

    Returns:
        A non-empty tuple of :class:`Executor`.

    Raises:
        ValueError: unknown ``kind``, or none of :data:`AUTO` [kind] supports ``job``.

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(3, 2), torch.zeros(1, 2))
    >>> [ex.name for ex in auto_candidates("vqc", job)]
    ['statevector']
    """
    if kind not in _KINDS:
        check_literal("kind", kind, CircuitKind)
    found = []
    for candidate in AUTO[kind]:
        ex = _REGISTRY.get(candidate)
        if ex is not None and kind in ex.kinds and ex.unsupported(job) is None:
            found.append(ex)
    if not found:
        raise ValueError(f"no executor of {AUTO[kind]} supports this {kind} circuit")
    return tuple(found)


def pick_auto(kind: CircuitKind, job: Any, candidates: tuple[Executor, ...]) -> Executor:
    """The executor ``"auto"`` runs ``job`` on, among ``candidates`` (from
    :func:`auto_candidates`): the kind's :data:`AutoRule` where it has one and there is a
    choice, else the first.

    Args:
        kind: the job's circuit kind.
        job: a :class:`Job` of that kind.
        candidates: one or more executors that all support ``job``.

    Returns:
        One of ``candidates``.

    Raises:
        ValueError: unknown ``kind``, or no candidates.

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(3, 2), torch.zeros(1, 2))
    >>> pick_auto("vqc", job, auto_candidates("vqc", job)).name
    'statevector'
    """
    if kind not in _KINDS:
        check_literal("kind", kind, CircuitKind)
    if not candidates:
        raise ValueError(f"pick_auto needs at least one candidate executor for {kind}, got none")
    rule = _AUTO_RULES.get(kind)
    if rule is None or len(candidates) == 1:
        return candidates[0]
    return rule(job, candidates)


def _elsewhere(kind: CircuitKind, key: str) -> str:
    """A hint naming the executors of ``kind`` that take ``key`` (or the option it is
    closest to), for an executor that takes no options."""
    takers: dict[str, list[str]] = {}
    for ex_name in executor_names(kind)[1:]:
        for option in _REGISTRY[ex_name].options:
            takers.setdefault(option, []).append(ex_name)
    if key in takers:
        option, lead = key, " ("
    else:
        close = difflib.get_close_matches(key, list(takers), n=1, cutoff=0.6)
        if not close:
            return ""
        option, lead = close[0], f" (did you mean {close[0]!r}? "
    names = ", ".join(repr(n) for n in takers[option])
    return f"{lead}an option of {names}: set that executor)"


def resolve_executor(kind: CircuitKind, name: str, job: Any) -> Executor:
    """The executor that runs ``job``: ``"auto"`` resolved by :func:`auto_candidates` and
    the kind's :data:`AutoRule`, an explicit name checked against the job.

    Args:
        kind: the job's circuit kind.
        name: ``"auto"`` or an executor of ``kind`` (see :func:`executor_names`).
        job: a :class:`Job` of that kind.

    Returns:
        The :class:`Executor` to call ``run(job, options)`` on.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: ``name`` is no executor of ``kind``, or it cannot run ``job`` (the
            message gives the executor's reason).

    >>> import torch
    >>> from qmem.circuits.vqc import VQCJob, chen2024_spec
    >>> job = VQCJob(chen2024_spec(2, 1), torch.zeros(3, 2), torch.zeros(1, 2))
    >>> ex = resolve_executor("vqc", "auto", job)
    >>> ex.name, ex.run(job, {}).shape
    ('statevector', torch.Size([3, 2]))
    >>> resolve_executor("vqc", "bloch", job)
    Traceback (most recent call last):
    ...
    ValueError: unknown executor 'bloch'; allowed for vqc: 'auto', 'statevector', ...
    """
    check_executor(kind, name)
    if name == "auto":
        return pick_auto(kind, job, auto_candidates(kind, job))
    ex = _REGISTRY[name]
    reason = ex.unsupported(job)
    if reason is not None:
        raise ValueError(f"executor {name!r} {reason}")
    return ex

"""Noise specs of ``qmem evaluate --noise``: text to a qiskit-aer ``NoiseModel``.

Grammar: one or more parts joined by ``+``, each kind at most once, in any order::

    depolarizing:P             a depolarizing channel of probability P after every one-qubit
                               gate, the two-qubit one of probability P after every CNOT/CZ
    readout:P                  every measured bit flips with probability P (0 -> 1 and
                               1 -> 0 alike); acts on measurements, so it needs shots
    thermal:T1,T2,TIME[,TIME2] thermal relaxation (amplitude damping towards |0> with T1,
                               dephasing with T2) for TIME after every one-qubit gate; a
                               two-qubit gate relaxes each of its qubits for TIME2 (default
                               TIME); one unit for all (e.g. microseconds)

with ``0 <= P <= 1``, ``T1, T2, TIME, TIME2 > 0`` and ``T2 <= 2·T1``, all finite decimal
numbers. ``depolarizing:0.001+readout:0.02+thermal:100,80,0.05`` is IBM-like: T1 = 100 µs,
T2 = 80 µs, 50 ns gates. On a gate with both, the depolarizing channel acts first, then the
thermal relaxation (the order of the parts in the text does not matter).

A parsed spec has one canonical text (``NoiseSpec.text``: kinds in the order above, numbers
in shortest positional form) and a file-name label (``NoiseSpec.label``: letters, digits,
``.``, ``-``, ``_``):

>>> spec = parse_noise_spec("thermal:100,80,0.05 + readout:2e-2")
>>> spec.text, spec.label, spec.needs_shots
('readout:0.02+thermal:100,80,0.05', 'readout0.02_thermal100-80-0.05', True)
>>> parse_noise_spec("readout:0.1+readout:0.2")
Traceback (most recent call last):
...
ValueError: unknown noise model 'readout:0.1+readout:0.2': kind 'readout' given twice; allowed: ...
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NoiseSpec", "build_noise_model", "parse_noise", "parse_noise_spec"]

ONE_QUBIT_GATES: tuple[str, ...] = (
    "h", "x", "y", "z", "rx", "ry", "rz", "s", "sdg", "sx", "u", "p",
)
"""Gate names that get the one-qubit errors (a superset of the gates qmem circuits use)."""
TWO_QUBIT_GATES: tuple[str, ...] = ("cx", "cz")
"""Gate names that get the two-qubit errors."""

ALLOWED = (
    "allowed: parts joined by '+', each kind once: depolarizing:P, readout:P "
    "(0 <= P <= 1), thermal:T1,T2,TIME[,TIME2] (finite, > 0, T2 <= 2*T1)"
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLUS = re.compile(r"(?<![0-9.][eE])\+")  # a '+' that joins parts, not one of 1e+3
_ARGS = {"depolarizing": ("P",), "readout": ("P",), "thermal": ("T1", "T2", "TIME", "TIME2")}


def _fmt(x: float) -> str:
    """Shortest round-trip positional decimal: no exponent, no sign (values are >= 0)."""
    return np.format_float_positional(x, trim="-")


def _range_problem(kind: str, values: tuple[float, ...]) -> str | None:
    """What is wrong with the (finite) values of one kind, or None."""
    if kind == "thermal":
        for name, v in zip(_ARGS[kind][: len(values)], values, strict=True):
            if not v > 0:
                return f"thermal {name} = {_fmt(v)} must be > 0"
        if values[1] > 2 * values[0]:
            return f"thermal T2 = {_fmt(values[1])} exceeds 2*T1 = {_fmt(2 * values[0])}"
    elif not 0.0 <= values[0] <= 1.0:
        return f"{kind} P = {values[0]!r} is outside [0, 1]"
    return None


@dataclass(frozen=True)
class NoiseSpec:
    """A parsed noise spec; None for a kind that is absent.

    Attributes:
        depolarizing: the depolarizing probability P.
        readout: the readout bit-flip probability P.
        thermal: ``(T1, T2, TIME, TIME2)``.

    Raises:
        TypeError: a value that is no float (ints are accepted, bools are not), a thermal
            value that is no 4-tuple.
        ValueError: a value out of the ranges of :func:`parse_noise_spec`, NaN or inf.

    >>> spec = NoiseSpec(depolarizing=0.001, thermal=(100.0, 80.0, 0.05, 0.3))
    >>> spec.text
    'depolarizing:0.001+thermal:100,80,0.05,0.3'
    >>> spec.label, spec.needs_shots
    ('depolarizing0.001_thermal100-80-0.05-0.3', False)
    >>> NoiseSpec(readout=1.5)
    Traceback (most recent call last):
    ...
    ValueError: NoiseSpec: readout P = 1.5 is outside [0, 1]
    """

    depolarizing: float | None = None
    readout: float | None = None
    thermal: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        for kind in _ARGS:
            value = getattr(self, kind)
            if value is None:
                continue
            values = value if kind == "thermal" else (value,)
            if kind == "thermal" and not (isinstance(value, tuple) and len(value) == 4):
                raise TypeError(f"NoiseSpec: thermal must be a tuple (T1, T2, TIME, TIME2), "
                                f"got {value!r}")
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise TypeError(f"NoiseSpec: {kind} values must be floats, got {v!r}")
                if not math.isfinite(v):
                    raise ValueError(f"NoiseSpec: {kind} values must be finite, got {v!r}")
            floats = tuple(float(v) for v in values)
            problem = _range_problem(kind, floats)
            if problem:
                raise ValueError(f"NoiseSpec: {problem}")
            object.__setattr__(self, kind, floats if kind == "thermal" else floats[0])

    def _parts(self) -> list[tuple[str, list[float]]]:
        parts: list[tuple[str, list[float]]] = []
        if self.depolarizing is not None:
            parts.append(("depolarizing", [self.depolarizing]))
        if self.readout is not None:
            parts.append(("readout", [self.readout]))
        if self.thermal is not None:
            t1, t2, time, time2 = self.thermal
            parts.append(("thermal", [t1, t2, time] + ([time2] if time2 != time else [])))
        return parts

    @property
    def text(self) -> str:
        """The canonical spec text, e.g. ``depolarizing:0.001+thermal:100,80,0.05``."""
        return "+".join(f"{k}:" + ",".join(_fmt(v) for v in vs) for k, vs in self._parts())

    @property
    def label(self) -> str:
        """A file-name part, e.g. ``depolarizing0.001_thermal100-80-0.05``."""
        return "_".join(k + "-".join(_fmt(v) for v in vs) for k, vs in self._parts())

    @property
    def needs_shots(self) -> bool:
        """Whether the spec acts on measurements (readout), which only shots sample."""
        return self.readout is not None


def parse_noise_spec(spec: str) -> NoiseSpec:
    """Parse a noise spec (the grammar is in the module docstring).

    A ``+`` right after a number's ``e`` belongs to the exponent (``thermal:1e+2,80,0.05``).

    Args:
        spec: e.g. ``"depolarizing:0.001+readout:0.02+thermal:100,80,0.05"``; spaces around
            ``+``, ``:`` and ``,`` are ignored.

    Returns:
        The parsed :class:`NoiseSpec`.

    Raises:
        TypeError: ``spec`` is not a str.
        ValueError: an unknown kind, an empty part, a kind given twice, the wrong number of
            values, a value that is no finite decimal number or out of its range; the message
            starts ``unknown noise model '<spec>':`` and lists what is allowed.

    >>> parse_noise_spec("depolarizing:0.01")
    NoiseSpec(depolarizing=0.01, readout=None, thermal=None)
    >>> parse_noise_spec("thermal:100,80,0.05,0.3").thermal
    (100.0, 80.0, 0.05, 0.3)
    >>> parse_noise_spec("thermal:10,30,0.05")
    Traceback (most recent call last):
    ...
    ValueError: unknown noise model 'thermal:10,30,0.05': thermal T2 = 30 exceeds 2*T1 = 20; ...
    """
    if not isinstance(spec, str):
        raise TypeError(f"noise must be a str such as 'depolarizing:0.01', got {spec!r}")

    def fail(reason: str) -> ValueError:
        return ValueError(f"unknown noise model {spec!r}: {reason}; {ALLOWED}")

    if not spec.strip():
        raise fail("the spec is empty")
    found: dict[str, list[float]] = {}
    for part in _PLUS.split(spec):
        kind, colon, rest = part.partition(":")
        kind = kind.strip()
        if not kind and not colon:
            raise fail("an empty part (a '+' too many)")
        if kind not in _ARGS:
            raise fail(f"unknown kind {kind!r}")
        if kind in found:
            raise fail(f"kind {kind!r} given twice")
        names = _ARGS[kind]
        texts = [t.strip() for t in rest.split(",")] if colon else []
        low = 3 if kind == "thermal" else 1
        if not low <= len(texts) <= len(names) or "" in texts:
            want = "3 or 4 values" if kind == "thermal" else "one value"
            raise fail(f"{kind} takes {want} ({kind}:{','.join(names[:low])}), got {rest!r}")
        values = []
        for name, text in zip(names[: len(texts)], texts, strict=True):
            if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
                raise fail(f"{kind} {name} = {text!r} is no finite decimal number")
            values.append(float(text))
        problem = _range_problem(kind, tuple(values))
        if problem:
            raise fail(problem)
        found[kind] = values
    thermal = found.get("thermal")
    return NoiseSpec(
        depolarizing=found["depolarizing"][0] if "depolarizing" in found else None,
        readout=found["readout"][0] if "readout" in found else None,
        thermal=None if thermal is None else (*thermal[:3], thermal[3 if len(thermal) == 4 else 2]),
    )


def build_noise_model(spec: NoiseSpec) -> Any:
    """The qiskit-aer ``NoiseModel`` of a parsed spec.

    One-qubit gates get ``depolarizing_error(P, 1)`` then ``thermal_relaxation_error(T1, T2,
    TIME)``; CNOT/CZ get ``depolarizing_error(P, 2)`` then the thermal relaxation for TIME2
    on each of the two qubits (a tensor product); measurements get the symmetric
    ``ReadoutError``.

    >>> model = build_noise_model(parse_noise_spec("readout:0.1+thermal:100,80,0.05"))
    >>> sorted(model.noise_instructions)[:3]
    ['cx', 'cz', 'h']
    """
    from qiskit_aer.noise import (
        NoiseModel,
        ReadoutError,
        depolarizing_error,
        thermal_relaxation_error,
    )

    one: Any = None
    two: Any = None
    if spec.depolarizing is not None:
        one = depolarizing_error(spec.depolarizing, 1)
        two = depolarizing_error(spec.depolarizing, 2)
    if spec.thermal is not None:
        t1, t2, time, time2 = spec.thermal
        relax1 = thermal_relaxation_error(t1, t2, time)
        relax2 = thermal_relaxation_error(t1, t2, time2)
        relax2 = relax2.expand(relax2)  # the same relaxation on each qubit of the gate
        one = relax1 if one is None else one.compose(relax1)  # depolarizing first
        two = relax2 if two is None else two.compose(relax2)
    noise = NoiseModel()
    if one is not None:
        noise.add_all_qubit_quantum_error(one, list(ONE_QUBIT_GATES))
        noise.add_all_qubit_quantum_error(two, list(TWO_QUBIT_GATES))
    if spec.readout is not None:
        p = spec.readout
        noise.add_all_qubit_readout_error(ReadoutError([[1 - p, p], [p, 1 - p]]))
    return noise


def parse_noise(spec: str | None) -> Any:
    """A qiskit-aer ``NoiseModel`` from a noise spec text (None stays None).

    >>> parse_noise(None) is None
    True
    >>> type(parse_noise("depolarizing:0.01+readout:0.02")).__name__
    'NoiseModel'
    """
    if spec is None:
        return None
    return build_noise_model(parse_noise_spec(spec))

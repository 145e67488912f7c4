"""Parameter accounting: trainable parameters split into quantum and classical.

A module whose parameters are circuit angles or DARUAN parameters lists them (local names)
in ``quantum_parameter_names() -> tuple[str, ...]``; every other trainable parameter is
classical. Only ``requires_grad`` parameters count, and a tensor shared by several modules
counts once (at its first owner in ``named_modules`` order).

>>> import torch
>>> counts = count_parameters(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)))
>>> counts["quantum"], counts["classical"], counts["total"]
(0, 13, 13)
>>> counts["by_module"]["0"]
{'quantum': 0, 'classical': 9, 'total': 9}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from torch import nn

from .validation import check_int, check_literal, check_positive_int

__all__ = [
    "MAX_BUDGET",
    "MAX_PARAMETERS",
    "MAX_SIZE",
    "ModuleCount",
    "ParameterCount",
    "count_parameters",
    "format_counts",
    "hidden_size_for_budget",
]

MAX_BUDGET = 10**9
"""Largest parameter budget :func:`hidden_size_for_budget` searches for."""

MAX_PARAMETERS = 10**9
"""Most trainable parameters of a model :func:`qmem.models.build` builds (4 GB of float32):
the parameter formula is checked before anything is allocated."""

MAX_SIZE = 1_000_000
"""Largest input, hidden or output size :func:`qmem.models.build`,
:func:`qmem.models.parameter_formula` and :func:`hidden_size_for_budget` accept."""


class ModuleCount(TypedDict):
    """Trainable parameters owned directly by one module.

    >>> count_parameters(nn.Linear(2, 1))["by_module"][""]
    {'quantum': 0, 'classical': 3, 'total': 3}
    """

    quantum: int
    classical: int
    total: int


class ParameterCount(TypedDict):
    """Result of :func:`count_parameters`; ``by_module`` is keyed by qualified module name
    (``""`` is the root) and lists only modules that own trainable parameters.

    >>> count = count_parameters(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    >>> count["total"], sorted(count["by_module"])
    (13, ['0', '2'])
    """

    quantum: int
    classical: int
    total: int
    by_module: dict[str, ModuleCount]


def count_parameters(model: nn.Module) -> ParameterCount:
    """Count trainable parameters, split quantum / classical, with a per-module breakdown.

    Args:
        model: any ``nn.Module``.

    Returns:
        ``{"quantum", "classical", "total", "by_module"}``.

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
        ValueError: a module's ``quantum_parameter_names()`` names a parameter it does not own.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    seen: set[int] = set()
    by_module: dict[str, ModuleCount] = {}
    quantum = classical = 0
    for mod_name, module in model.named_modules():
        local = dict(module.named_parameters(recurse=False))
        names_fn = getattr(module, "quantum_parameter_names", None)
        qnames = set(names_fn()) if callable(names_fn) else set()
        unknown = sorted(qnames - set(local) - _none_parameters(module))
        if unknown:
            raise ValueError(
                f"module {mod_name or '<root>'!r} ({type(module).__name__}) lists quantum "
                f"parameters {unknown} it does not own; its parameters: {sorted(local)}"
            )
        q = c = 0
        for p_name, p in local.items():
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            if p_name in qnames:
                q += p.numel()
            else:
                c += p.numel()
        if q or c:
            by_module[mod_name] = {"quantum": q, "classical": c, "total": q + c}
        quantum += q
        classical += c
    return {
        "quantum": quantum,
        "classical": classical,
        "total": quantum + classical,
        "by_module": by_module,
    }


def format_counts(counts: ParameterCount) -> str:
    """A plain-text table of :func:`count_parameters`' result (what ``qmem params`` prints).

    A model without trainable parameters gives the header and a zero total row.

    Raises:
        TypeError: ``counts`` is not a mapping.
        ValueError: ``counts`` (or a ``by_module`` entry) lacks a key of
            :class:`ParameterCount` (naming the missing keys).

    >>> import torch
    >>> print(format_counts(count_parameters(torch.nn.Sequential(torch.nn.Linear(2, 3)))))
    module  quantum  classical  total
    0             0          9      9
    total         0          9      9
    >>> format_counts({})
    Traceback (most recent call last):
    ...
    ValueError: counts must be the result of count_parameters; missing keys: by_module,
    classical, quantum, total
    """
    _check_counts(counts)
    rows = [("module", "quantum", "classical", "total")]
    for name, c in counts["by_module"].items():
        rows.append((name or "<root>", str(c["quantum"]), str(c["classical"]), str(c["total"])))
    rows.append(
        ("total", str(counts["quantum"]), str(counts["classical"]), str(counts["total"]))
    )
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = [
        "  ".join([r[0].ljust(widths[0])] + [r[k].rjust(widths[k]) for k in range(1, 4)])
        for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _check_counts(counts: object) -> None:
    """Refuse anything but a :class:`ParameterCount` (a raw ``KeyError`` otherwise)."""
    if not isinstance(counts, Mapping):
        raise TypeError(
            f"counts must be the result of count_parameters (a mapping), got "
            f"{type(counts).__name__}"
        )
    missing = sorted({"quantum", "classical", "total", "by_module"} - set(counts))
    if missing:
        raise ValueError(
            f"counts must be the result of count_parameters; missing keys: {', '.join(missing)}"
        )
    if not isinstance(counts["by_module"], Mapping):
        raise TypeError(
            f"counts['by_module'] must be a mapping, got {type(counts['by_module']).__name__}"
        )
    for name, entry in counts["by_module"].items():
        keys = set(entry) if isinstance(entry, Mapping) else set()
        lacking = sorted({"quantum", "classical", "total"} - keys)
        if lacking:
            raise ValueError(
                f"counts['by_module'][{name!r}] must hold quantum, classical and total; "
                f"missing: {', '.join(lacking)}"
            )


def _none_parameters(module: nn.Module) -> set[str]:
    """Names registered as ``None`` parameters (optional parameters switched off)."""
    return {k for k, v in module._parameters.items() if v is None}


def hidden_size_for_budget(
    model: str | Callable[[int], nn.Module],
    budget: int,
    *,
    input_size: int | None = None,
    output_size: int = 1,
    mode: Literal["nearest", "at_most"] = "nearest",
    max_hidden: int = 100_000,
    **options: Any,
) -> int:
    """The hidden size whose model has a trainable-parameter total matching ``budget``.

    Assumes the total grows with the hidden size (true of every registered model); searches
    by doubling, then bisection. A registered model's total is its parameter formula
    (:func:`qmem.models.parameter_formula`, equal to the built count: the model contract
    checks it), so no model is built; a callable's models are built, ``O(log h)`` of them.

    Args:
        model: a registered model name or a function ``hidden_size -> nn.Module``.
        budget: target number of trainable parameters (1 to :data:`MAX_BUDGET` = 10**9).
        input_size: required with a model name.
        output_size: output width, with a model name.
        mode: ``"nearest"``: the hidden size with the total closest to ``budget`` (the smaller
            one on a tie); ``"at_most"``: the largest hidden size whose total is ``<= budget``.
        max_hidden: upper end of the search (1 to :data:`MAX_SIZE`).
        **options: model options, with a model name.

    Returns:
        The hidden size (>= 1).

    Raises:
        TypeError: ``budget`` (or a size) is not an int, ``model`` neither name nor callable.
        ValueError: ``budget`` < 1 or > 10**9, other bad arguments, ``mode="at_most"``
            and even hidden size 1 exceeds it, or ``budget`` out of reach: even
            ``max_hidden`` gives fewer parameters.

    >>> hidden_size_for_budget("lstm", 166, input_size=1)  # 4H(H+2) + H + 1
    5
    >>> hidden_size_for_budget(lambda h: nn.Linear(3, h), 20, mode="at_most")
    5
    >>> hidden_size_for_budget("lstm", 0, input_size=1)
    Traceback (most recent call last):
    ...
    ValueError: budget must be a positive int, got 0
    >>> hidden_size_for_budget("lstm", 10**9, input_size=1, max_hidden=64)
    Traceback (most recent call last):
    ...
    ValueError: budget 1000000000 is out of reach: hidden_size=64 (max_hidden) gives 16961 ...
    """
    check_positive_int("budget", budget)
    if budget > MAX_BUDGET:
        raise ValueError(
            f"budget must be at most {MAX_BUDGET} parameters (a larger one is no model to "
            f"build here), got {budget}"
        )
    check_literal("mode", mode, Literal["nearest", "at_most"])
    check_positive_int("max_hidden", max_hidden)
    check_int("max_hidden", max_hidden, maximum=MAX_SIZE)
    check_positive_int("output_size", output_size)
    if input_size is not None:
        check_positive_int("input_size", input_size)
    if isinstance(model, str):
        if input_size is None:
            raise ValueError("input_size is required when model is given by name")
        from .models import parameter_formula

        name = model

        def count(h: int) -> int:
            return parameter_formula(
                name, input_size=input_size, hidden_size=h, output_size=output_size, **options
            )
    elif callable(model):
        if options:
            raise ValueError(f"options {sorted(options)} are only accepted with a model name")

        def count(h: int) -> int:
            return count_parameters(model(h))["total"]
    else:
        raise TypeError(f"model must be a model name or a callable, got {type(model).__name__}")

    cache: dict[int, int] = {}

    def total(h: int) -> int:
        if h not in cache:
            cache[h] = count(h)
        return cache[h]

    # smallest h in [1, max_hidden] with total(h) >= budget (or max_hidden)
    hi = 1
    while hi < max_hidden and total(hi) < budget:
        hi = min(2 * hi, max_hidden)
    if total(hi) < budget:
        raise ValueError(
            f"budget {budget} is out of reach: hidden_size={hi} (max_hidden) gives "
            f"{total(hi)} parameters; raise max_hidden or lower the budget"
        )
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if total(mid) >= budget:
            hi = mid
        else:
            lo = mid + 1
    above = hi
    below = above - 1 if total(above) > budget and above > 1 else above
    if mode == "at_most":
        if total(below) > budget:
            raise ValueError(
                f"no hidden size fits budget {budget}: hidden_size=1 has {total(1)} parameters"
            )
        return below
    return below if budget - total(below) <= total(above) - budget else above

"""Upper bounds on what a dataset config may allocate or compute, checked at config time.

A config that would allocate more than these bounds is refused when it is made (a
``ValueError`` naming the option and the bound), never after minutes of work or an
out-of-memory kill. See ``docs/datasets.md`` ("Option ranges and bounds").

>>> check_points("num", 240)
240
>>> check_points("num", 10**9)
Traceback (most recent call last):
...
ValueError: num must be at most 1000000 points, got 1000000000
>>> check_elements("the pulse matrix (2200 x 1000000001)", 2200 * (10**9 + 1))
Traceback (most recent call last):
...
ValueError: the pulse matrix (2200 x 1000000001) would allocate ... the limit is 134217728
"""

from __future__ import annotations

from qmem.validation import check_size_budget

__all__ = [
    "MAX_ELEMENTS",
    "MAX_POINTS",
    "MAX_PULSES",
    "MAX_RHS_EVALUATIONS",
    "MAX_TIME_SCALES",
    "check_elements",
    "check_points",
]

MAX_POINTS = 1_000_000
"""Most samples of one generated series (8 MB of float64 per channel)."""

MAX_ELEMENTS = 2**27
"""Most elements of an intermediate array of a generator or of windowing (1 GiB of float64)."""

MAX_PULSES = 100_000
"""Largest ``n_max`` of ``delayed_quantum_control``."""

MAX_TIME_SCALES = 20_000.0
"""Largest (fastest rate) x (time span) of ``damped_shm``: how many natural time scales the
integration may cover (the default pendulum covers about 126)."""

MAX_RHS_EVALUATIONS = 1_000_000
"""Step budget of the ``damped_shm`` integrator (right-hand-side evaluations, about 5 s)."""


def check_points(name: str, count: float) -> int:
    """Return ``count`` as an int if it is at most :data:`MAX_POINTS`, else ``ValueError``.

    Args:
        name: the option (or quantity) that sets the number of points, for the message.
        count: the number of points (a float is accepted: grids computed from a span).
    """
    if not count <= MAX_POINTS:  # also refuses NaN
        shown = f"{count:.3g}" if isinstance(count, float) else str(count)
        raise ValueError(f"{name} must be at most {MAX_POINTS} points, got {shown}")
    return int(count)


def check_elements(what: str, count: int) -> int:
    """Refuse an intermediate array of more than :data:`MAX_ELEMENTS` elements.

    Args:
        what: the array, for the message (e.g. ``"the pulse matrix (2200 x 11)"``).
        count: its number of elements.
    """
    return check_size_budget(what, count, limit=MAX_ELEMENTS)

"""Damped pendulum (the QLSTM paper's "damped SHM"), integrated with ``scipy.integrate.solve_ivp``.

θ'' = -(b/m)·θ' - (g/l)·sin θ, θ(0) = θ0, θ'(0) = ω0, sampled on ``linspace(t_start, t_stop,
num)``. The series is the angular velocity θ'(t) (as in the QLSTM code) or, with
``variable="angle"``, the angle θ(t).

Absurd coefficients cannot hang the integrator: the config refuses a span of more than
:data:`~qmem.datasets.bounds.MAX_TIME_SCALES` natural time scales, and the integration
stops with a ``ValueError`` after :data:`~qmem.datasets.bounds.MAX_RHS_EVALUATIONS`
right-hand-side evaluations.

>>> s = damped_shm(DampedSHMConfig())
>>> s.values.shape, float(s.values[0])
((240,), 3.0)
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS, MAX_RHS_EVALUATIONS, MAX_TIME_SCALES
from .config import DatasetConfig, check_grid
from .series import Series

__all__ = ["DampedSHMConfig", "damped_shm"]


MIN_RTOL = 100 * float(np.finfo(np.float64).eps)
"""Smallest ``rtol`` DOP853 honours (scipy raises a smaller one to this with a warning)."""


class _BudgetExhausted(Exception):
    """Raised inside the right-hand side when the step budget is spent."""


class DampedSHMConfig(DatasetConfig):
    """Options of ``damped_shm`` (defaults: the QLSTM code's pendulum).

    Attributes:
        b: damping coefficient (>= 0).
        g: gravitational acceleration (> 0).
        length: pendulum length l (> 0).
        mass: bob mass m (> 0).
        theta0: initial angle θ(0) in radians.
        omega0: initial angular velocity θ'(0).
        t_start: first sample time.
        t_stop: last sample time (> t_start).
        num: number of samples (2 … 1,000,000), evenly spaced, both ends included.
        variable: ``"velocity"`` (θ', default) or ``"angle"`` (θ).
        rtol: relative tolerance of the DOP853 integrator (in [2.22e-14, 1]: scipy would
            silently raise a smaller one to 100 machine epsilons).
        atol: absolute tolerance of the DOP853 integrator (> 0).

    The span may cover at most :data:`~qmem.datasets.bounds.MAX_TIME_SCALES` (20,000) time
    scales of the fastest rate: (√(g/l) + b/m + |ω0|)·(t_stop − t_start) <= 20,000 (the
    default pendulum covers about 126).

    >>> DampedSHMConfig(g=1e30)
    Traceback (most recent call last):
    ...
    ValueError: damped_shm: the integration would cover 2.0e+16 time scales ...
    """

    b: float = Field(0.15, ge=0)
    g: float = Field(9.81, gt=0)
    length: float = Field(1.0, gt=0)
    mass: float = Field(1.0, gt=0)
    theta0: float = 0.0
    omega0: float = 3.0
    t_start: float = 0.0
    t_stop: float = 20.0
    num: int = Field(240, ge=2, le=MAX_POINTS)
    variable: Literal["velocity", "angle"] = "velocity"
    rtol: float = Field(1e-11, ge=MIN_RTOL, le=1)
    atol: float = Field(1e-12, gt=0)

    label: ClassVar[str] = "damped_shm"

    @model_validator(mode="after")
    def _check(self) -> DampedSHMConfig:
        check_grid("t_start", self.t_start, "t_stop", self.t_stop, self.num)
        span = self.t_stop - self.t_start
        rate = math.sqrt(self.g / self.length) + self.b / self.mass + abs(self.omega0)
        scales = rate * span
        if not scales <= MAX_TIME_SCALES:
            raise ValueError(
                f"the integration would cover {scales:.1e} time scales "
                f"((sqrt(g/length) + b/mass + |omega0|) * (t_stop - t_start) with g={self.g!r}, "
                f"length={self.length!r}, b={self.b!r}, mass={self.mass!r}, "
                f"omega0={self.omega0!r}, t_start={self.t_start!r}, t_stop={self.t_stop!r}); "
                f"at most {MAX_TIME_SCALES:g} are allowed"
            )
        return self


def damped_shm(config: DampedSHMConfig) -> Series:
    """Integrate the damped pendulum and sample it on the grid of ``config``.

    Args:
        config: the pendulum and grid options.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` of shape (num,) with time axis t.

    Raises:
        ValueError: if the integrator needs more than
            :data:`~qmem.datasets.bounds.MAX_RHS_EVALUATIONS` right-hand-side evaluations
            (tolerances too tight for the span, or coefficients too stiff).
            Also when no step size meets ``rtol``/``atol`` (``atol=1e-300``).
    """
    from scipy.integrate import solve_ivp

    damping = config.b / config.mass
    stiffness = config.g / config.length
    calls = 0

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls > MAX_RHS_EVALUATIONS:
            raise _BudgetExhausted
        theta, omega = y
        return np.array([omega, -damping * omega - stiffness * np.sin(theta)])

    t = np.linspace(config.t_start, config.t_stop, config.num)
    try:
        sol = solve_ivp(
            rhs,
            (config.t_start, config.t_stop),
            [config.theta0, config.omega0],
            method="DOP853",
            t_eval=t,
            rtol=config.rtol,
            atol=config.atol,
        )
    except _BudgetExhausted:
        raise ValueError(
            f"damped_shm: the integrator spent its budget of {MAX_RHS_EVALUATIONS} "
            f"right-hand-side evaluations before t_stop={config.t_stop!r} (rtol={config.rtol!r}, "
            f"atol={config.atol!r}); loosen rtol/atol or shorten the span"
        ) from None
    if not sol.success:  # e.g. atol=1e-300: no step meets the tolerance
        raise ValueError(
            f"damped_shm: the integrator cannot meet rtol={config.rtol!r}, "
            f"atol={config.atol!r}: {sol.message} Loosen rtol/atol."
        )
    row = 1 if config.variable == "velocity" else 0
    return Series(
        name="damped_shm",
        values=sol.y[row],
        time=t,
        channels=("omega" if row == 1 else "theta",),
        time_unit="t",
        config=config,
    )

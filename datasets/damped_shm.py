"""Damped pendulum (the QLSTM paper's "damped SHM"), integrated with ``scipy.integrate.solve_ivp``.

θ'' = -(b/m)·θ' - (g/l)·sin θ, θ(0) = θ0, θ'(0) = ω0, sampled on ``linspace(t_start, t_stop,
num)``. The series is the angular velocity θ'(t) (as in the QLSTM code) or, with
``variable="angle"``, the angle θ(t).

>>> s = damped_shm(DampedSHMConfig())
>>> s.values.shape, float(s.values[0])
((240,), 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from .config import DatasetConfig
from .series import Series

__all__ = ["DampedSHMConfig", "damped_shm"]


@dataclass(frozen=True, kw_only=True)
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
        num: number of samples (>= 2), evenly spaced, both ends included.
        variable: ``"velocity"`` (θ', default) or ``"angle"`` (θ).
        rtol: relative tolerance of the DOP853 integrator.
        atol: absolute tolerance of the DOP853 integrator.
    """

    b: float = 0.15
    g: float = 9.81
    length: float = 1.0
    mass: float = 1.0
    theta0: float = 0.0
    omega0: float = 3.0
    t_start: float = 0.0
    t_stop: float = 20.0
    num: int = 240
    variable: Literal["velocity", "angle"] = "velocity"
    rtol: float = 1e-11
    atol: float = 1e-12

    label: ClassVar[str] = "damped_shm"

    def validate(self) -> None:
        """Check value ranges."""
        self._require_positive("g", "length", "mass", "rtol", "atol")
        self._require_at_least("b", 0)
        self._require_at_least("num", 2)
        self._require_increasing("t_start", "t_stop")


def damped_shm(config: DampedSHMConfig) -> Series:
    """Integrate the damped pendulum and sample it on the grid of ``config``.

    Args:
        config: the pendulum and grid options.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` of shape (num,) with time axis t.

    Raises:
        RuntimeError: if the integrator fails.
    """
    from scipy.integrate import solve_ivp

    damping = config.b / config.mass
    stiffness = config.g / config.length

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        theta, omega = y
        return np.array([omega, -damping * omega - stiffness * np.sin(theta)])

    t = np.linspace(config.t_start, config.t_stop, config.num)
    sol = solve_ivp(
        rhs,
        (config.t_start, config.t_stop),
        [config.theta0, config.omega0],
        method="DOP853",
        t_eval=t,
        rtol=config.rtol,
        atol=config.atol,
    )
    if not sol.success:
        raise RuntimeError(f"damped_shm: solve_ivp failed: {sol.message}")
    row = 1 if config.variable == "velocity" else 0
    return Series(
        name="damped_shm",
        values=sol.y[row],
        time=t,
        channels=("omega" if row == 1 else "theta",),
        time_unit="t",
        config=config,
    )

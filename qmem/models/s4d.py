"""``s4d``: a diagonal linear state-space model (S4D; Gu, Gupta, Goel, Ré 2022).

>>> from qmem.models import make_config, parameter_formula
>>> parameter_formula("s4d", input_size=1, hidden_size=5)  # 2·5 + 5(2 + 4·4) + 6
106
>>> make_config("s4d", {"dt_min": 0.5, "dt_max": 0.1})
Traceback (most recent call last):
...
ValueError: model 's4d': dt_min must be <= dt_max, got dt_min=0.5, dt_max=0.1
"""

from __future__ import annotations

from pydantic import Field, model_validator
from torch import nn

from qmem.classical import RecurrentModel, S4DCell
from qmem.classical.s4d import S4DActivation, S4DInit

from .base import ModelConfig, generator, head_parameters
from .registry import register

__all__ = ["MAX_MODES", "S4DConfig"]

MAX_MODES = 1024
"""Upper bound of ``modes`` (complex modes per channel)."""


class S4DConfig(ModelConfig):
    """``s4d``: complex ``modes`` per channel ``M`` (state size ``N = 2M``; 1 to 1024),
    ``init`` of ``A`` (``"lin"``: S4D-Lin, ``"inv"``: S4D-Inv), the range of the initial step
    sizes ``dt_min <= dt_max`` (each in ``(0, 10]``) and the feature ``activation``.

    Attributes:
        modes: complex modes per channel M (state size N = 2M; 1 to 1024).
        init: initialisation of the diagonal ``A``: ``"lin"`` (S4D-Lin) or ``"inv"``
            (S4D-Inv).
        dt_min: lower end of the range the initial step sizes are drawn from (log-uniform;
            in (0, 10], at most ``dt_max``).
        dt_max: upper end of that range (in (0, 10]).
        activation: the feature activation, ``"gelu"``, ``"tanh"`` or ``"identity"``.

    >>> S4DConfig(dt_min=0.5, dt_max=0.1)
    Traceback (most recent call last):
    ...
    ValueError: S4DConfig: dt_min must be <= dt_max, got dt_min=0.5, dt_max=0.1
    """

    modes: int = Field(4, ge=1, le=MAX_MODES)
    init: S4DInit = "lin"
    dt_min: float = Field(1e-3, gt=0, le=10)
    dt_max: float = Field(1e-1, gt=0, le=10)
    activation: S4DActivation = "gelu"

    @model_validator(mode="after")
    def _dt_range(self) -> S4DConfig:
        if self.dt_min > self.dt_max:
            raise ValueError(
                f"dt_min must be <= dt_max, got dt_min={self.dt_min}, dt_max={self.dt_max}"
            )
        return self


def s4d_parameters(cfg: S4DConfig, i: int, h: int, o: int) -> int:
    """``(I + 1)H + H(2 + 4M) + (H + 1)O``."""
    return (i + 1) * h + h * (2 + 4 * cfg.modes) + head_parameters(h, o)


@register("s4d", config=S4DConfig, formula=s4d_parameters)
def build_s4d(cfg: S4DConfig, i: int, h: int, o: int) -> nn.Module:
    """``s4d``: S4D diagonal state-space model (Gu et al. 2022): ``Linear(I, H)``, ``H``
    SISO channels with ``M`` complex modes each (diagonal ``A``, S4D-Lin or S4D-Inv init,
    zero-order hold, learnable step size), ``act(y_t)``, linear head; the full sequence is
    a causal convolution by FFT, ``step`` the recurrence.

    Parameters: ``(I + 1)H`` (input projection) ``+ H(2 + 4M)`` (``log Δ``, ``A``, ``C``,
    ``D``) ``+ (H + 1)O``.
    """
    g = generator(cfg)
    cell = S4DCell(i, h, modes=cfg.modes, init=cfg.init, dt_min=cfg.dt_min, dt_max=cfg.dt_max,
                   activation=cfg.activation, generator=g)
    return RecurrentModel(cell, o, generator=g)

"""Classical scaffolds and baselines (installed as ``qmem.classical``).

The LSTM scaffold with pluggable gate maps (:class:`LSTMCell`, :class:`SixMapLSTMCell`), the
recurrence and linear head (:class:`RecurrentModel`), the JHCG encoder-decoder
(:class:`JHCG`), the B-spline KAN layer (:class:`BSplineKAN`) and the classical baselines
(GRU, sLSTM, mLSTM, window MLP, optional ``xlstm`` wrapper).

>>> import torch
>>> from qmem.classical import LSTMCell, RecurrentModel, linear_maps
>>> g = torch.Generator().manual_seed(0)
>>> RecurrentModel(LSTMCell(1, 2, linear_maps(g)), 1, generator=g)(torch.zeros(1, 3, 1))[0].shape
torch.Size([1, 3, 1])
"""

from .gru import GRUCell
from .jhcg import JHCG, default_latent_size
from .kan import BSplineKAN, kan_parameter_count
from .lstm_scaffold import LSTMCell, MapFactory, SixMapLSTMCell, linear_maps
from .mlstm import MLSTMCell
from .prepare import prepared
from .recurrent import RecurrentCell, RecurrentModel, State
from .seeded import seeded_linear
from .slstm import SLSTMCell
from .window import WindowMLP, WindowModel
from .xlstm_ref import XLSTMRef, xlstm_available

__all__ = [
    "JHCG",
    "BSplineKAN",
    "GRUCell",
    "LSTMCell",
    "MLSTMCell",
    "MapFactory",
    "RecurrentCell",
    "RecurrentModel",
    "SLSTMCell",
    "SixMapLSTMCell",
    "State",
    "WindowMLP",
    "WindowModel",
    "XLSTMRef",
    "default_latent_size",
    "kan_parameter_count",
    "linear_maps",
    "prepared",
    "seeded_linear",
    "xlstm_available",
]

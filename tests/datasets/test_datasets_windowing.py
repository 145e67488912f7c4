"""Windows line up with the series, splits are chronological, scaling does not leak."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from qmem import datasets

Scaler = datasets.Scaler
window_split = datasets.window_split


def _series(n: int = 240, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=n))


@pytest.mark.parametrize(("window", "horizon"), [(4, 1), (1, 1), (6, 3)])
def test_windows_line_up_with_the_series(window: int, horizon: int) -> None:
    s = _series()
    split = window_split(s, window=window, horizon=horizon, fractions=(0.6, 0.2, 0.2),
                         scaler="none", dtype=torch.float64)
    for part in (split.train, split.val, split.test):
        assert part.X.shape == (len(part), window, 1) and part.Y.shape == (len(part), horizon)
        for b, t in enumerate(part.target_index):
            np.testing.assert_array_equal(part.X[b, :, 0].numpy(), s[t - window : t])
            np.testing.assert_array_equal(part.Y[b].numpy(), s[t : t + horizon])
    # chronological, disjoint targets, each split's targets inside its span
    assert split.train.span == (0, 144) and split.val.span == (144, 192)
    assert split.test.span == (192, 240)
    for part in (split.train, split.val, split.test):
        lo, hi = part.span
        assert part.target_index.min() >= lo and part.target_index.max() + horizon <= hi
    assert split.train.target_index.max() < split.val.target_index.min()
    assert split.val.target_index.max() < split.test.target_index.min()


def test_hand_counted_sizes() -> None:
    s = datasets.make("damped_shm")  # N = 240
    split = window_split(s)  # window 4, (0.8, 0.2): cut at 192
    assert (len(split.train), len(split.val), len(split.test)) == (188, 0, 48)
    assert split.train.target_index[0] == 4 and split.test.target_index[-1] == 239
    qlstm = window_split(s, fractions=(0.67, 0.33))  # cut at round(160.8) = 161
    assert (len(qlstm.train), len(qlstm.test)) == (157, 79)
    h3 = window_split(s, horizon=3)  # train t in 4..189, test t in 192..237
    assert (len(h3.train), len(h3.test)) == (186, 46)
    assert split.val.X.shape == (0, 4, 1) and split.val.Y.shape == (0, 1)


def test_no_test_value_leaks_into_the_scaler_by_default() -> None:
    s = _series()
    spiked = s.copy()
    spiked[200] = 1e3  # a test-part outlier
    honest = window_split(s)
    honest_spiked = window_split(spiked)
    n_train = honest.train.span[1]
    assert honest.scaler_fit_span == (0, n_train) and not honest.leaks
    ref = Scaler.fit(s[:n_train], "minmax")
    np.testing.assert_array_equal(honest.scaler.offset, ref.offset)
    np.testing.assert_array_equal(honest.scaler.scale, ref.scale)
    # training tensors do not change when test values change
    assert torch.equal(honest.train.X, honest_spiked.train.X)
    assert torch.equal(honest.train.Y, honest_spiked.train.Y)
    assert honest_spiked.test.Y.max() > 100  # the outlier is scaled with train statistics
    assert honest.train.X.min() == -1.0 and honest.train.X.max() <= 1.0

    paper = window_split(s, protocol="paper")
    paper_spiked = window_split(spiked, protocol="paper")
    assert paper.leaks and paper.scaler_fit_span == (0, 240)
    assert "leak" in paper.describe() and "protocol=paper" in paper.describe()
    assert not torch.equal(paper.train.X, paper_spiked.train.X)  # test value reached training
    assert paper_spiked.scaler.offset[0] + 2 * paper_spiked.scaler.scale[0] == 1e3


def test_paper_protocol_reproduces_the_authors_convention() -> None:
    s = _series(100)
    lo, hi = s.min(), s.max()
    scaled = 2 * (s - lo) / (hi - lo) - 1  # MinMax to [-1, 1] on the whole series
    xs, ys = [], []
    for i in range(len(s) - 4 - 1):  # the QLSTM code's loop: last window dropped
        xs.append(scaled[i : i + 4])
        ys.append(scaled[i + 4])
    n_train = int(0.67 * len(xs))
    split = window_split(s, fractions=(0.67, 0.33), protocol="paper", dtype=torch.float64)
    assert len(split.train) == n_train == 63 and len(split.test) == len(xs) - n_train
    np.testing.assert_allclose(split.train.X[:, :, 0].numpy(), np.array(xs[:n_train]),
                               atol=1e-14)
    np.testing.assert_allclose(split.test.Y[:, 0].numpy(), np.array(ys[n_train:]), atol=1e-14)
    assert split.test.target_index[-1] == len(s) - 2


def test_inverse_transform_restores_units() -> None:
    s = datasets.make("bessel")
    for kind in ("minmax", "standard", "none"):
        split = window_split(s, scaler=kind, dtype="float64")
        np.testing.assert_allclose(split.inverse(split.test.Y)[:, 0].numpy(),
                                   s.values[split.test.target_index], atol=1e-12)
    split = window_split(s, scaler="standard")
    train_part = split.scaler.transform(s.values[: split.train.span[1]])
    assert abs(train_part.mean()) < 1e-12 and abs(train_part.std() - 1) < 1e-12
    y32 = split.inverse(split.test.Y)
    assert y32.dtype == torch.float32
    np.testing.assert_allclose(y32[:, 0].numpy(), s.values[split.test.target_index], rtol=1e-5)


def test_multichannel_target_and_loader() -> None:
    s = datasets.make("narma", order=5, include_input=True)  # channels (y, u)
    split = window_split(s, target=1, scaler="none", dtype=torch.float64)
    assert split.train.X.shape[2] == 2
    t = split.test.target_index[0]
    assert split.test.Y[0, 0].item() == s.values[t, 1]
    loader = DataLoader(split.train.dataset(), batch_size=32, shuffle=False)
    xb, yb = next(iter(loader))
    assert xb.shape == (32, 4, 2) and yb.shape == (32, 1) and xb.dtype == torch.float64
    tensor_in = window_split(torch.tensor(s.values), target=1)
    assert torch.equal(tensor_in.train.Y, window_split(s, target=1).train.Y)


@pytest.mark.parametrize(
    ("series", "kwargs", "error", "pattern"),
    [
        (np.arange(4.0), {"window": 4}, ValueError, "shorter than window"),
        (np.arange(5.0), {"window": 4, "protocol": "paper"}, ValueError, "shorter than window"),
        (np.array([1.0, np.nan, 3.0] * 10), {}, ValueError, "non-finite.*index \\(1,"),
        (np.array([1.0, 2.0, np.inf] * 10), {}, ValueError, "non-finite"),
        (np.arange(50.0), {"fractions": (0.8, 0.3)}, ValueError, "sum to 1"),
        (np.arange(50.0), {"fractions": (1.0,)}, ValueError, "train, test"),
        (np.arange(50.0), {"fractions": (1.0, 0.0)}, ValueError, r"in \(0, 1\)"),
        (np.arange(50.0), {"scaler": "robust"}, ValueError, "scaler must be one of .*'robust'"),
        (np.arange(50.0), {"protocol": "fair"}, ValueError, "protocol must be one of .*'fair'"),
        (np.arange(50.0), {"window": 0}, ValueError, "window must be an int >= 1, got 0"),
        (np.arange(50.0), {"window": 2.0}, TypeError, "window must be an int"),
        (np.arange(50.0), {"target": 1}, ValueError, "target channel 1 out of range"),
        (np.arange(50.0), {"dtype": torch.int64}, TypeError, "dtype"),
        (np.arange(50.0), {"dtype": "half"}, ValueError, "dtype must be one of .*'half'"),
        (np.arange(10.0), {"window": 4, "fractions": (0.97, 0.03)}, ValueError, "test split"),
        (np.arange(10.0), {"window": 6, "fractions": (0.5, 0.5)}, ValueError, "train split"),
        (np.zeros((3, 2, 2)), {}, ValueError, "1-D"),
        (np.array(["a", "b"] * 10), {}, TypeError, "numeric"),
    ],
)
def test_bad_input(series, kwargs: dict, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        window_split(series, **kwargs)


def test_scaler_keeps_device_and_dtype_and_constant_channels() -> None:
    sc = Scaler.fit(np.array([[1.0, 5.0], [3.0, 5.0]]), "minmax")
    np.testing.assert_array_equal(sc.transform(np.array([[1.0, 5.0], [3.0, 5.0]])),
                                  [[-1.0, -1.0], [1.0, -1.0]])
    y = torch.tensor([[0.0]], dtype=torch.float64)
    assert sc.inverse_transform(y, channel=0).item() == 2.0
    with pytest.raises(ValueError, match="channel 2 out of range"):
        sc.inverse_transform(y, channel=2)


@pytest.mark.gpu
def test_tensors_on_cuda() -> None:
    split = window_split(datasets.make("sine"), device="cuda")
    assert split.train.X.is_cuda and split.inverse(split.test.Y).is_cuda

"""Each generator pinned: length, first and last values, and a property from independent math."""

import math

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

from qmem import datasets


def test_damped_shm_pinned_against_independent_solver() -> None:
    s = datasets.make("damped_shm")
    assert s.values.shape == (240,) and s.values.dtype == np.float64
    np.testing.assert_array_equal(s.time, np.linspace(0.0, 20.0, 240))
    assert s.values[0] == 3.0  # θ'(0) = 3 exactly
    # pinned with DOP853 at rtol 1e-11; Radau (rtol 1e-13) and LSODA (1e-12) agree to < 1e-10
    assert s.values[-1] == pytest.approx(0.1240862081553074, abs=1e-8)
    angle = datasets.make("damped_shm", variable="angle")
    assert angle.values[0] == 0.0
    assert angle.values[-1] == pytest.approx(-0.21461562407387785, abs=1e-8)

    def rhs(_t, y):
        return [y[1], -0.15 * y[1] - 9.81 * math.sin(y[0])]

    ref = solve_ivp(rhs, (0, 20), [0.0, 3.0], method="LSODA", rtol=1e-12, atol=1e-13,
                    t_eval=s.time)
    np.testing.assert_allclose(s.values, ref.y[1], atol=1e-8)
    np.testing.assert_allclose(angle.values, ref.y[0], atol=1e-8)


def test_damped_shm_energy_decays() -> None:
    theta = datasets.make("damped_shm", variable="angle").values
    omega = datasets.make("damped_shm").values
    energy = 0.5 * omega**2 + 9.81 * (1.0 - np.cos(theta))  # dE/dt = -b ω² <= 0
    assert np.all(np.diff(energy) < 0)
    assert energy[-1] < 0.1 * energy[0]
    # successive velocity peaks decay too
    peaks = [omega[i] for i in range(1, 239) if omega[i - 1] < omega[i] > omega[i + 1]]
    assert len(peaks) >= 5 and all(np.diff(peaks) < 0)
    # no damping: energy conserved to solver accuracy
    th = datasets.make("damped_shm", b=0.0, variable="angle").values
    om = datasets.make("damped_shm", b=0.0).values
    e0 = 0.5 * om**2 + 9.81 * (1.0 - np.cos(th))
    np.testing.assert_allclose(e0, 4.5, atol=1e-8)


def test_bessel_pinned_and_matches_integral_representation() -> None:
    s = datasets.make("bessel")
    assert s.values.shape == (256,)
    assert s.time[0] == 2.0 and s.time[-1] == 100.0
    assert s.values[0] == pytest.approx(0.35283402861563773, abs=1e-14)  # J_2(2)
    assert s.values[-1] == pytest.approx(-0.02152875734450536, abs=1e-14)  # J_2(100)
    # Bessel's integral J_n(x) = (1/π) ∫_0^π cos(nτ - x sin τ) dτ, independent of scipy.special
    for k in (0, 37, 128, 255):
        x = s.time[k]
        ref = quad(lambda tau, x=x: math.cos(2 * tau - x * math.sin(tau)), 0, math.pi,
                   limit=400, epsabs=1e-13)[0] / math.pi
        assert s.values[k] == pytest.approx(ref, abs=1e-10)


def test_bessel_vanishes_at_known_zeros() -> None:
    j21, j25 = 5.135622301840683, 17.959819494987826  # first and fifth zero of J_2
    s = datasets.make("bessel", x_start=j21, x_stop=j25, num=11)
    assert abs(s.values[0]) < 1e-12 and abs(s.values[-1]) < 1e-12
    assert datasets.make("bessel", nu=0, x_start=2.404825557695773, x_stop=3, num=2).values[
        0
    ] == pytest.approx(0.0, abs=1e-12)


def test_sine_closed_form() -> None:
    s = datasets.make("sine")
    assert s.values.shape == (400,) and s.values[0] == 0.0
    assert s.values[-1] == pytest.approx(math.sin(2 * math.pi * 0.1 * 39.9), abs=1e-14)
    s = datasets.make("sine", frequency=0.5, amplitude=2.0, phase=math.pi / 2, dt=0.5, num=5)
    np.testing.assert_allclose(s.values, [2.0, 0.0, -2.0, 0.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(s.time, [0.0, 0.5, 1.0, 1.5, 2.0])


def test_delayed_quantum_control_pinned() -> None:
    s = datasets.make("delayed_quantum_control")
    assert s.values.shape == (2200,)
    assert s.time[0] == -2.0 and s.time[-1] == pytest.approx(19.99, abs=1e-12)

    def f(x: float) -> float:
        return math.fsum(math.exp(-10 * (x - 2 * n) ** 2) for n in range(11)) * math.exp(-x / 16)

    assert s.values[0] == pytest.approx(f(-2.0), rel=1e-12)
    assert s.values[0] == pytest.approx(math.exp(-40) * math.exp(2 / 16), rel=1e-12)
    assert s.values[-1] == pytest.approx(f(19.99), rel=1e-12)
    assert s.values[-1] == pytest.approx(0.28639737770371826, rel=1e-12)
    # the pulse at x = 2n peaks at exp(-2n/16)
    for n in (0, 2, 5, 9):
        k = int(np.argmin(np.abs(s.time - 2 * n)))
        assert s.values[k] == pytest.approx(math.exp(-2 * n / 16), rel=1e-12)


def _inversion_reference(t: float, nbar: float = 40.0) -> float:
    terms = [
        math.exp(-nbar + n * math.log(nbar) - math.lgamma(n + 1))
        * math.cos(2 * t * math.sqrt(n + 1))
        for n in range(400)
    ]
    return math.fsum(terms)


def test_population_inversion_pinned_collapse_and_revival() -> None:
    s = datasets.make("population_inversion")
    assert s.values.shape == (2500,)
    assert s.time[-1] == 200.0
    assert s.values[0] == pytest.approx(1.0, abs=1e-12)
    assert s.values[-1] == pytest.approx(_inversion_reference(200.0), abs=1e-12)
    assert s.values[1234] == pytest.approx(_inversion_reference(s.time[1234]), abs=1e-12)
    t, w = s.time, s.values
    assert np.abs(w[(t > 10) & (t < 25)]).max() < 1e-3  # collapse
    assert np.abs(w[(t > 32) & (t < 48)]).max() > 0.3  # revival near 2π√n̄ ≈ 39.7


def test_narma_follows_its_recurrence() -> None:
    s = datasets.make("narma")
    assert s.values.shape == (500,)
    y = s.values
    t = np.arange(500)
    w = 2 * np.pi * t / 300
    u = 0.1 * (np.sin(2.11 * w) * np.sin(3.73 * w) * np.sin(4.11 * w) + 1)
    assert np.all(y[:10] == 0.0)
    assert y[10] == pytest.approx(1.5 * u[0] * u[9] + 0.1, abs=1e-15)
    for k in range(9, 499):
        rhs = 0.3 * y[k] + 0.05 * y[k] * y[k - 9 : k + 1].sum() + 1.5 * u[k - 9] * u[k] + 0.1
        assert y[k + 1] == pytest.approx(rhs, abs=1e-14)
    assert y[-1] == pytest.approx(0.18528552960150232, abs=1e-12)
    both = datasets.make("narma", order=5, include_input=True)
    assert both.values.shape == (500, 2) and both.channels == ("y", "u")
    np.testing.assert_allclose(both.values[:, 1], u, atol=1e-15)
    y5 = both.values[:, 0]
    k = 100
    rhs = 0.3 * y5[k] + 0.05 * y5[k] * y5[k - 4 : k + 1].sum() + 1.5 * u[k - 4] * u[k] + 0.1
    assert y5[k + 1] == pytest.approx(rhs, abs=1e-14)


def test_narma_divergence_is_reported() -> None:
    with pytest.raises(ValueError, match="NARMA-30 diverged"):
        datasets.make("narma", order=30, num=2000)


def test_observation_noise_is_seeded() -> None:
    clean = datasets.make("sine", num=4000)
    noisy = datasets.make("sine", num=4000, noise_std=0.1, seed=7)
    again = datasets.make("sine", num=4000, noise_std=0.1, seed=7)
    other = datasets.make("sine", num=4000, noise_std=0.1, seed=8)
    resid = noisy.values - clean.values
    assert abs(resid.std() - 0.1) < 0.01 and abs(resid.mean()) < 0.01
    np.testing.assert_array_equal(noisy.values, again.values)
    assert not np.array_equal(noisy.values, other.values)
    assert noisy.info["noise_std"] == 0.1 and noisy.info["noise_seed"] == 7
    np.testing.assert_array_equal(datasets.make("sine", num=4000, seed=3).values, clean.values)
    # noise works for every dataset, 2-D included
    n2 = datasets.make("narma", include_input=True, noise_std=0.01, seed=1)
    assert n2.values.shape == (500, 2)


def test_series_is_read_only_and_array_like() -> None:
    s = datasets.make("bessel", num=10)
    with pytest.raises(ValueError):
        s.values[0] = 1.0
    assert np.asarray(s) is s.values and len(s) == 10 and s.shape == (10,)
    assert s.config == datasets.BesselConfig(num=10)

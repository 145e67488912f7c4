"""A model trained on the fast emulation is re-evaluated on qiskit-aer (exact, shots, noise)."""

import torch

from qmem.models import build, set_executor


def _trained_qlstm() -> torch.nn.Module:
    model = build("qlstm", input_size=1, hidden_size=3, seed=0).double()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 4, 1, generator=gen, dtype=torch.float64)
    y = torch.sin(x.sum(dim=1))  # (8, 1)
    opt = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.99)
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x)[0][:, -1], y)
        loss.backward()
        opt.step()
    return model


def test_trained_qlstm_on_qiskit_exact_shots_and_noise():
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = _trained_qlstm()
    x = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3, 1)  # (B, T, 1)
    with torch.no_grad():
        exact = model(x)[0]
        assert set_executor(model, "qiskit") == 6  # the six VQCs
        torch.testing.assert_close(model(x)[0], exact, atol=1e-6, rtol=0)

        set_executor(model, "qiskit", {"shots": 4000, "seed": 3})
        shots = model(x)[0]
        again = model(x)[0]
        assert torch.equal(shots, again)  # reproducible under the seed
        assert 0 < (shots - exact).abs().max() < 0.15  # sampled, close to exact

        noise = NoiseModel()
        noise.add_all_qubit_quantum_error(depolarizing_error(0.05, 2), ["cx"])
        noise.add_all_qubit_quantum_error(depolarizing_error(0.01, 1), ["ry", "rz", "h"])
        set_executor(model, "qiskit", {"noise_model": noise})
        noisy = model(x)[0]
        assert (noisy - exact).abs().max() > 1e-4  # the noise model is applied

        set_executor(model, "statevector")
        torch.testing.assert_close(model(x)[0], exact, atol=1e-12, rtol=0)

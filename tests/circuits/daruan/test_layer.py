"""QKANLayer: executors agree, parameter counts, refinement, training, errors."""

import io
import itertools

import pytest
import torch

from qmem.circuits import QKANLayer, daruan

F64 = torch.float64
ANSATZE = ["pz", "rpz", "real"]


def _layer(ansatz="pz", reps=2, *, preact=False, post=True, base="silu", i=3, o=2, **kw):
    return QKANLayer(
        i,
        o,
        reps,
        ansatz,
        preact_trainable=preact,
        postact_weight_trainable=post,
        postact_bias_trainable=post,
        base_activation=base,
        theta_init="normal",
        seed=3,
        dtype=F64,
        **kw,
    )


def _by_hand(layer, x):
    """y_j = Σ_i pw_ji (φ_ji(x_i) + pb_ji) + Σ_i bw_ji SiLU(x_i), edge by edge."""
    out = torch.zeros(x.shape[0], layer.out_features, dtype=x.dtype)
    for j, i in itertools.product(range(layer.out_features), range(layer.in_features)):
        w = None if layer.preact_weight is None else layer.preact_weight[j, i]
        b = None if layer.preact_bias is None else layer.preact_bias[j, i]
        phi = daruan(
            x[:, i],
            layer.theta[j, i],
            ansatz=layer.ansatz,
            w=w,
            b=b,
            readout=layer.readout,
            executor="bloch",
        )
        if layer.postact_bias is not None:
            phi = phi + layer.postact_bias[j, i]
        if layer.postact_weight is not None:
            phi = phi * layer.postact_weight[j, i]
        if layer.base_weight is not None:
            phi = phi + layer.base_weight[j, i] * torch.nn.functional.silu(x[:, i])
        out[:, j] += phi
    return out


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("preact", [False, True])
@pytest.mark.parametrize("base", ["silu", "none"])
def test_layer_equals_edge_by_edge_sum(ansatz, preact, base, gen):
    layer = _layer(ansatz, preact=preact, base=base)
    x = torch.randn(5, 3, generator=gen, dtype=F64)
    want = _by_hand(layer, x)
    for executor in ["bloch"] if preact else ["fourier", "bloch"]:
        layer.executor = executor
        torch.testing.assert_close(layer(x), want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("executor", ["pennylane", "qiskit"])
def test_layer_on_sdk_executors(executor, gen):
    layer = _layer("pz", preact=True, i=2, o=2)
    x = torch.randn(3, 2, generator=gen, dtype=F64)
    layer.executor = "bloch"
    want = layer(x)
    layer.executor = executor
    torch.testing.assert_close(layer(x), want, atol=1e-6, rtol=0)


def test_leading_dims_and_float32(gen):
    layer = QKANLayer(4, 3, reps=2, seed=0)
    x = torch.randn(2, 5, 4, generator=gen)
    y = layer(x)
    assert y.shape == (2, 5, 3) and y.dtype == torch.float32
    torch.testing.assert_close(y[1, 2], layer(x[1, 2]))
    layer64 = QKANLayer(4, 3, reps=2, seed=0, dtype=F64)
    torch.testing.assert_close(layer64(x.double()).float(), y, atol=1e-5, rtol=0)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"preact_trainable": True},
        {"postact_weight_trainable": True, "postact_bias_trainable": True},
        {"base_activation": "none"},
        {"preact_trainable": True, "postact_weight_trainable": True, "base_activation": "none"},
    ],
)
@pytest.mark.parametrize(("i", "o", "reps"), [(1, 1, 1), (3, 5, 2), (4, 2, 4)])
def test_parameter_count_formula(ansatz, opts, i, o, reps):
    layer = QKANLayer(i, o, reps, ansatz, **opts)
    counted = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    assert counted == QKANLayer.count_formula(i, o, reps, ansatz, **opts)


def test_parameter_count_by_hand():
    # pz, reps 2, 3 -> 2: theta 6 edges x (3 x 2) = 36, base 6 -> 42
    assert sum(p.numel() for p in QKANLayer(3, 2, 2).parameters()) == 42
    # rpz, reps 1, 2 -> 1, trainable pre-activations: theta 2 x 2 + w, b 2 x 1 x 2 -> 8, no base
    layer = QKANLayer(2, 1, 1, "rpz", preact_trainable=True, base_activation="none")
    assert sum(p.numel() for p in layer.parameters()) == 8
    # real, reps 3, 1 -> 1, post weight and bias: 3 + 1 + 1 + base 1 = 6
    layer = QKANLayer(1, 1, 3, "real", postact_weight_trainable=True, postact_bias_trainable=True)
    assert sum(p.numel() for p in layer.parameters()) == 6
    assert layer.quantum_parameter_names() == ("theta",)


@pytest.mark.parametrize("ansatz", ANSATZE)
@pytest.mark.parametrize("preact", [False, True])
def test_refine_keeps_the_function(ansatz, preact, gen):
    layer = _layer(ansatz, reps=2, preact=preact)
    x = 2 * torch.randn(6, 3, generator=gen, dtype=F64)
    if ansatz == "real" and not preact:
        with pytest.raises(ValueError, match="preact_trainable=True"):
            layer.refined(3)
        return
    layer.executor = "bloch"
    finer = layer.refined(4)
    assert finer.reps == 4 and finer.theta.shape[2] == (5 if ansatz != "real" else 4)
    torch.testing.assert_close(finer(x), layer(x), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="must exceed"):
        layer.refined(2)


def test_gradients_reach_every_parameter_and_match_finite_differences(gen):
    for preact in (False, True):
        layer = _layer("pz", preact=preact, i=2, o=2)
        x = torch.randn(3, 2, generator=gen, dtype=F64, requires_grad=True)
        layer(x).square().sum().backward()
        for name, p in layer.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        # gradcheck w.r.t. the input through the layer's (Fourier or statevector) path
        assert torch.autograd.gradcheck(layer, (x,))


def test_state_dict_round_trip(gen):
    layer = _layer("rpz", preact=True)
    buf = io.BytesIO()
    torch.save(layer.state_dict(), buf)
    buf.seek(0)
    other = _layer("rpz", preact=True)
    other.theta.data.zero_()
    other.load_state_dict(torch.load(buf, weights_only=True))
    x = torch.randn(4, 3, generator=gen, dtype=F64)
    torch.testing.assert_close(other(x), layer(x), atol=0, rtol=0)


def test_seeded_initialisation_is_deterministic():
    a, b = QKANLayer(3, 3, seed=11), QKANLayer(3, 3, seed=11)
    assert torch.equal(a.theta, b.theta)
    assert not torch.equal(a.theta, QKANLayer(3, 3, seed=12).theta)


def test_training_fits_a_function(gen):
    layer = QKANLayer(1, 1, reps=3, seed=0, dtype=F64)
    x = torch.linspace(-3, 3, 64, dtype=F64).unsqueeze(1)
    target = torch.sin(2 * x) * 0.5 + 0.2 * torch.cos(x)
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), target)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.1 * first


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reps": 0}, ValueError, r"reps must be an int in \[1, 1024\], got 0"),
        ({"reps": 1.5}, TypeError, "reps must be an int"),
        ({"ansatz": "mix"}, ValueError, "unknown ansatz 'mix'"),
        ({"in_features": 0}, ValueError, "in_features must be a positive int, got 0"),
        ({"base_activation": "gelu"}, ValueError, "base_activation must be one of .*got 'gelu'"),
        ({"executor": "gpu"}, ValueError, "unknown executor 'gpu'"),
        ({"seed": "x"}, TypeError, "seed must be"),
    ],
)
def test_bad_construction_raises(kwargs, error, match):
    args = {"in_features": 2, "out_features": 2, **kwargs}
    with pytest.raises(error, match=match):
        QKANLayer(**args)


def test_bad_forward_input_raises():
    layer = QKANLayer(3, 2, reps=1)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\)"):
        layer(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="non-finite"):
        layer(torch.tensor([[0.0, float("nan"), 1.0]]))
    with pytest.raises(TypeError, match="floating point"):
        layer(torch.zeros(1, 3, dtype=torch.long))
    layer_pre = QKANLayer(3, 2, reps=1, preact_trainable=True, executor="fourier")
    with pytest.raises(ValueError, match="use 'bloch'"):
        layer_pre(torch.zeros(1, 3))


def _qkan_layer_like(ours):
    qkan = pytest.importorskip("qkan")
    ansatz = ours.ansatz
    theirs = qkan.QKANLayer(
        ours.in_features,
        ours.out_features,
        reps=ours.reps,
        ansatz=ansatz,
        preact_trainable=ours.preact_weight is not None,
        fast_measure=ours.readout == "abs",
        c_dtype=torch.complex128,
        p_dtype=F64,
        base_activation="silu",
        ba_trainable=ours.base_weight is not None,
    )
    theirs.c_dtype = torch.complex128  # qkan forces bfloat16 for 'real'; compare in full precision
    theirs._resolve_solver_fn()
    with torch.no_grad():
        theirs.theta.copy_(ours.theta.reshape(theirs.theta.shape))
        if ours.preact_weight is not None:
            theirs.preacts_weight.copy_(ours.preact_weight)
            theirs.preacts_bias.copy_(ours.preact_bias)
        if ours.base_weight is not None:
            theirs.base_weight.copy_(ours.base_weight)
    return theirs


@pytest.mark.parametrize(
    ("ansatz", "preact", "readout"),
    [
        ("pz", False, "z"),
        ("pz", True, "z"),
        ("pz", False, "abs"),
        ("rpz", True, "z"),
        ("real", False, "z"),
    ],
)
def test_matches_reference_library_qkan(ansatz, preact, readout, gen):
    """Optional: the published ``qkan`` library computes the same layer (same gate orders)."""
    ours = QKANLayer(
        3,
        2,
        2,
        ansatz,
        preact_trainable=preact,
        readout=readout,
        seed=5,
        theta_init="normal",
        dtype=F64,
    )
    theirs = _qkan_layer_like(ours)
    x = torch.randn(4, 3, generator=gen, dtype=F64)
    torch.testing.assert_close(ours(x), theirs(x).to(F64), atol=1e-9, rtol=0)


@pytest.mark.gpu
@pytest.mark.parametrize("preact", [False, True])
def test_layer_on_cuda_matches_cpu(preact, gen):
    layer = _layer("pz", preact=preact)
    x = torch.randn(7, 3, generator=gen, dtype=F64)
    want = layer(x)
    want.sum().backward()
    grads = {n: p.grad.clone() for n, p in layer.named_parameters()}
    layer.zero_grad()
    cuda = layer.to("cuda")
    got = cuda(x.to("cuda"))
    got.sum().backward()
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), want, atol=1e-10, rtol=0)
    for n, p in cuda.named_parameters():
        torch.testing.assert_close(p.grad.cpu(), grads[n], atol=1e-10, rtol=0)

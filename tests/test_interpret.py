"""qmem.interpret: the printed edge formulas equal the circuits they describe.

References are independent of the Fourier form: the ``bloch`` executor on one edge's own
parameters (``daruan(x, theta[j, i], w=..., b=...)``), the layer's forward on the ``bloch``
executor, and a parser of the printed text.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F

from qmem.circuits import QKANLayer, daruan
from qmem.circuits.daruan.fourier import fourier_coefficients
from qmem.cli import main
from qmem.interpret import (
    MAX_PREACT_REPS,
    EdgePolynomial,
    edge_polynomials,
    explain,
    format_edge,
    plot_edges,
)
from qmem.models import build

D = torch.float64


def _layer(ansatz="pz", reps=3, *, preact=False, post=True, base="silu", fin=3, fout=2, seed=0):
    layer = QKANLayer(fin, fout, reps, ansatz, preact_trainable=preact,
                      postact_weight_trainable=post, postact_bias_trainable=post,
                      base_activation=base, theta_init="normal", seed=seed, dtype=D)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name in ("postact_weight", "postact_bias", "base_weight"):
            p = getattr(layer, name)
            if p is not None:
                p.copy_(torch.randn(p.shape, generator=g, dtype=D))
        if preact:
            layer.preact_weight.copy_(1.7 * torch.randn(layer.preact_weight.shape, generator=g,
                                                        dtype=D))
            layer.preact_bias.copy_(torch.randn(layer.preact_bias.shape, generator=g, dtype=D))
    return layer


def _edge_reference(layer, j, i, x):
    """pw·(φ_ji(x) + pb) + bw·SiLU(x) with φ from the bloch executor on edge (j, i) alone."""
    w = None if layer.preact_weight is None else layer.preact_weight[j, i].detach()
    b = None if layer.preact_bias is None else layer.preact_bias[j, i].detach()
    phi = daruan(x, layer.theta[j, i].detach(), ansatz=layer.ansatz, w=w, b=b, executor="bloch")
    if layer.postact_bias is not None:
        phi = phi + layer.postact_bias[j, i].detach()
    if layer.postact_weight is not None:
        phi = phi * layer.postact_weight[j, i].detach()
    if layer.base_weight is not None:
        phi = phi + layer.base_weight[j, i].detach() * F.silu(x)
    return phi


_TERM = re.compile(r"\s*([+-])\s*(\S+)\s+(cos|sin|silu)\s*(?:\((\S*?)x\)|(\d*)x)")


def _parse(text: str):
    """The printed formula as a function of a float64 tensor (written independently)."""
    head, _, rest = text.partition("=")
    assert head.strip() == "φ(x)"
    const, _, rest = rest.strip().partition(" ")
    terms = []
    for m in _TERM.finditer(" " + rest):
        sign, coef, fn, inner, mult = m.groups()
        value = float(coef) * (-1 if sign == "-" else 1)
        freq = 1.0 if fn == "silu" else float(inner if inner is not None else (mult or 1))
        terms.append((value, fn, freq))
    n_printed = rest.count(" cos") + rest.count(" sin") + rest.count(" silu")
    assert len(terms) == n_printed, text

    def f(x):
        y = torch.full_like(x, float(const))
        for value, fn, freq in terms:
            y = y + value * {"cos": torch.cos, "sin": torch.sin}.get(fn, F.silu)(freq * x)
        return y

    return f


CASES = [
    dict(ansatz="pz", reps=3),
    dict(ansatz="rpz", reps=2, base="none"),
    dict(ansatz="real", reps=4, post=False),
    dict(ansatz="pz", reps=1, fin=1, fout=1),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['ansatz']}-r{c['reps']}")
def test_fixed_preactivations_edge_equals_the_bloch_circuit(case):
    layer = _layer(**case)
    edges = edge_polynomials(layer)
    assert [(e.out, e.inp) for e in edges] == [
        (j, i) for j in range(layer.out_features) for i in range(layer.in_features)
    ]
    x = torch.empty(64, dtype=D).uniform_(-7.0, 7.0, generator=torch.Generator().manual_seed(3))
    for e in edges:
        assert len(e.coefficients) == 2 * case["reps"] + 1
        assert e.frequencies == tuple(float(k) for k in range(1, case["reps"] + 1))
        assert e.integer and e.layer == "" and e.ansatz == case["ansatz"]
        ref = _edge_reference(layer, e.out, e.inp, x)
        assert torch.allclose(e(x), ref, atol=1e-10, rtol=0)
        # the text printed with 17 digits is the same function
        printed = _parse(format_edge(e, precision=17))
        assert torch.allclose(printed(x), ref, atol=1e-10, rtol=0)
    # the edges sum to the layer (run on bloch, not on its Fourier form)
    layer.executor = "bloch"
    X = torch.empty(16, layer.in_features, dtype=D).uniform_(-3, 3)
    total = torch.zeros(16, layer.out_features, dtype=D)
    for e in edges:
        total[:, e.out] += e(X[:, e.inp])
    assert torch.allclose(total, layer(X).detach(), atol=1e-10, rtol=0)


def test_base_branch_and_post_activation_are_noted_apart():
    layer = _layer("pz", 2)
    e = edge_polynomials(layer)[4]  # j = 1, i = 1
    assert (e.out, e.inp) == (1, 1)
    assert e.post_weight == float(layer.postact_weight[1, 1].detach())
    assert e.post_bias == float(layer.postact_bias[1, 1].detach())
    assert e.base_weight == float(layer.base_weight[1, 1].detach())
    raw = fourier_coefficients(layer.theta.detach(), "pz")[1, 1]  # the bare DARUAN
    assert torch.allclose(torch.tensor((e.constant, *e.cos, *e.sin), dtype=D), raw, atol=1e-14)
    pw, pb = e.post_weight, e.post_bias
    assert e.coefficients[0] == pytest.approx(pw * (float(raw[0]) + pb), abs=1e-14)
    x = torch.linspace(-2, 2, 9, dtype=D)
    assert torch.allclose(e(x) - e(x, base=False), e.base_weight * F.silu(x), atol=1e-14)
    assert format_edge(e, precision=3).endswith(f"{abs(e.base_weight):.3g} silu(x)")
    assert "silu" not in format_edge(e, base=False)
    assert e.to_dict()["base_weight"] == e.base_weight


@pytest.mark.parametrize("ansatz", ["pz", "rpz", "real"])
def test_trainable_preactivations_edge_equals_the_bloch_circuit(ansatz):
    layer = _layer(ansatz, 3, preact=True)
    x = torch.empty(64, dtype=D).uniform_(-7.0, 7.0, generator=torch.Generator().manual_seed(4))
    for e in edge_polynomials(layer):
        assert not e.integer  # random w: frequencies n·w, no period 2π
        assert len(e.frequencies) <= (3**3 - 1) // 2
        assert all(f > 0 for f in e.frequencies)
        ref = _edge_reference(layer, e.out, e.inp, x)
        assert torch.allclose(e(x), ref, atol=1e-10, rtol=0)
        printed = _parse(format_edge(e, precision=17))
        assert torch.allclose(printed(x), ref, atol=1e-10, rtol=0)
        # the frequencies are n·w for n in {-1, 0, 1}^r: the largest is Σ|w_l|
        w = layer.preact_weight[e.out, e.inp].detach().abs().sum()
        assert max(e.frequencies) <= float(w) + 1e-12


def test_integer_preactivation_weights_give_a_trigonometric_polynomial():
    layer = _layer("pz", 3, preact=True, fin=2, fout=1)
    with torch.no_grad():
        layer.preact_weight.copy_(torch.tensor([[[1.0, 2.0, -1.0], [0.0, 3.0, 1.0]]], dtype=D))
    x = torch.linspace(-5, 5, 41, dtype=D)
    for e, degree in zip(edge_polynomials(layer), (4, 4), strict=True):
        assert e.integer and e.frequencies == tuple(float(k) for k in range(1, degree + 1))
        assert len(e.coefficients) == 2 * degree + 1
        assert torch.allclose(e(x), _edge_reference(layer, e.out, e.inp, x), atol=1e-10)
        assert "cos 4x" in format_edge(e)


def test_preactivations_at_their_start_match_the_fourier_form():
    """w = 1, b = 0 (a fresh layer): the 3^r-point DFT gives fourier_coefficients' numbers."""
    layer = QKANLayer(2, 2, 3, "pz", preact_trainable=True, theta_init="normal", seed=5,
                      dtype=D)
    ref = fourier_coefficients(layer.theta.detach(), "pz").reshape(4, 7)
    for e, row in zip(edge_polynomials(layer), ref, strict=True):
        assert e.integer and len(e.coefficients) == 7
        assert torch.allclose(torch.tensor(e.coefficients, dtype=D), row, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "options", "paths"),
    [
        ("qkan_lstm", {}, ["cell.gates"]),
        ("hqkan_lstm", {}, [f"cell.gates.{g}.latent" for g in range(4)]),
        ("hqkan", {}, ["net.latent"]),
        ("lstm_variant", {"gate_map": "qkan", "variant": "cifg"}, ["cell.gates"]),
    ],
)
def test_models_holding_qkan_layers(name, options, paths):
    model = build(name, input_size=1, hidden_size=2, reps=2, seed=0, **options)
    layers = {n: m for n, m in model.named_modules() if isinstance(m, QKANLayer)}
    assert list(layers) == paths
    edges = edge_polynomials(model)
    assert len(edges) == sum(m.in_features * m.out_features for m in layers.values())
    x = torch.linspace(-1, 1, 7)
    for e in edges[:: max(1, len(edges) // 5)]:
        layer = layers[e.layer]
        ref = _edge_reference(layer, e.out, e.inp, x).to(D)
        assert torch.allclose(e(x), ref, atol=1e-6)  # float32 parameters
    text = explain(model, top=1, precision=3)
    assert text.count("φ(x) =") == len(paths)
    assert all(f"layer {p}: QKANLayer(" in text for p in paths)


def test_top_keeps_the_strongest_edges():
    layer = _layer("pz", 2, fin=3, fout=3)
    edges = edge_polynomials(layer)
    best = max(edges, key=lambda e: e.strength)
    lines = explain(layer, top=2).splitlines()
    assert len(lines) == 3 and "(2 strongest shown)" in lines[0]
    assert f"[j={best.out}, i={best.inp}]" in lines[1]
    # strength is the RMS of the oscillating part of pw·φ over a period
    x = torch.linspace(0, 2 * math.pi, 4097, dtype=D)[:-1]
    y = best(x, base=False)
    assert best.strength == pytest.approx(float((y - y.mean()).pow(2).mean().sqrt()), rel=1e-9)


def test_threshold_and_precision():
    e = EdgePolynomial("", 0, 0, "pz", 2, (1.0, 2.0), 0.123456, (0.5, -1e-12), (0.25, 2e-13),
                       1.0, 0.0, None, True)
    assert format_edge(e, precision=2) == (
        "φ(x) = 0.12 + 0.5 cos x + 0.25 sin x - 1e-12 cos 2x + 2e-13 sin 2x"
    )
    assert format_edge(e, precision=3, threshold=1e-9) == "φ(x) = 0.123 + 0.5 cos x + 0.25 sin x"
    odd = EdgePolynomial("", 0, 0, "pz", 1, (0.75,), 0.0, (1.0,), (-0.5,), 2.0, 0.0, None, False)
    assert format_edge(odd, precision=3) == "φ(x) = 0 + 2 cos(0.75x) - 1 sin(0.75x)"


def test_refusals():
    with pytest.raises(TypeError, match=r"must be a torch\.nn\.Module, got str"):
        edge_polynomials("qkan_lstm")
    with pytest.raises(ValueError, match="holds no QKANLayer"):
        edge_polynomials(build("lstm", input_size=1, hidden_size=2))
    with pytest.raises(ValueError, match=r"readout 'abs'.*no finite sum of sinusoids"):
        edge_polynomials(QKANLayer(1, 1, 2, readout="abs", seed=0))
    big = QKANLayer(1, 1, MAX_PREACT_REPS + 1, preact_trainable=True, seed=0)
    with pytest.raises(ValueError, match=f"reps={MAX_PREACT_REPS + 1}.*reps <= {MAX_PREACT_REPS}"):
        edge_polynomials(big)
    assert len(edge_polynomials(QKANLayer(1, 1, MAX_PREACT_REPS + 1, seed=0))) == 1  # fixed: ok
    broken = QKANLayer(1, 1, 1, seed=0)
    with torch.no_grad():
        broken.theta[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"parameter 'theta'.*non-finite"):
        edge_polynomials(broken)
    e = edge_polynomials(QKANLayer(1, 1, 1, seed=0))[0]
    with pytest.raises(ValueError, match="precision must be"):
        format_edge(e, precision=0)
    with pytest.raises(TypeError, match="precision must be an int"):
        format_edge(e, precision=2.5)
    with pytest.raises(ValueError, match="top must be"):
        explain(QKANLayer(1, 1, 1, seed=0), top=0)


def test_plot_edges(tmp_path):
    layer = _layer("pz", 2)
    out = plot_edges(layer, tmp_path / "edges.png", x_range=(-1.5, 2.0), top=4)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(out).shape
    assert width == 2 * 240 and height == 2 * 190  # 4 panels: 2 x 2 grid at 100 dpi
    with pytest.raises(ValueError, match="low < high"):
        plot_edges(layer, tmp_path / "x.png", x_range=(1.0, 1.0))
    with pytest.raises(ValueError, match="x_range must be a finite float"):
        plot_edges(layer, tmp_path / "x.png", x_range=(0.0, math.inf))
    assert not (tmp_path / "x.png").exists()


def test_explain_command(tmp_path, capsys):
    cfg = tmp_path / "qkan.toml"
    cfg.write_text(
        '[data]\nname = "sine"\nnum = 60\nwindow = 3\n'
        '[model]\nname = "qkan_lstm"\nhidden_size = 1\nreps = 2\n'
        '[train]\nepochs = 1\nseed = 0\ndevice = "cpu"\n'
    )
    run = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    png = tmp_path / "edges.png"
    assert main(["explain", str(run), "--top", "3", "--precision", "3", "--plot", str(png)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("qkan_lstm on sine")
    assert out[1].startswith("layer cell.gates: QKANLayer(2 -> 4), pz, reps 2")
    assert sum(line.strip().startswith("[j=") for line in out) == 3
    assert png.read_bytes()[:4] == b"\x89PNG"
    # the printed numbers are those of the trained weights
    from qmem.experiments.run import load_run_model

    model, _ = load_run_model(run)
    assert out[2].split("  ", 2)[2] in {format_edge(e, precision=3)
                                        for e in edge_polynomials(model)}
    lstm = tmp_path / "lstm.toml"
    lstm.write_text(cfg.read_text().replace('"qkan_lstm"', '"lstm"').replace("reps = 2\n", ""))
    assert main(["run", str(lstm), "--out", str(tmp_path / "l"), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "l")]) == 2
    assert "holds no QKANLayer" in capsys.readouterr().err

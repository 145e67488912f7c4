"""Re-evaluate a trained quantum model on a real simulator: ``qmem evaluate``.

The run's model is rebuilt from its files, its circuit layers are switched to the chosen
executor (PennyLane or qiskit-aer; exact, with shots, or with a noise model), and the test
metrics are written to ``RUN_DIR/evaluations/<name>.json`` beside the emulated ones, with
their change.

Noise specs (qiskit only; :mod:`qmem.experiments.noise`): ``depolarizing:P``, ``readout:P``
and ``thermal:T1,T2,TIME[,TIME2]``, joined by ``+``.

>>> parse_noise(None) is None
True
>>> parse_noise("depolarising:0.5")
Traceback (most recent call last):
...
ValueError: unknown noise model 'depolarising:0.5': unknown kind 'depolarising'; allowed: ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from ..validation import check_int
from .files import atomic_write_json, read_json
from .noise import build_noise_model, parse_noise, parse_noise_spec

__all__ = ["evaluate_run", "parse_noise"]

SimExecutor = Literal["pennylane", "qiskit"]


MAX_SHOTS = 10**9
"""Most shots per circuit :func:`evaluate_run` asks a simulator for."""
MAX_NAME = 200
"""Most characters of an evaluation name (its file name adds ``.json``)."""


def _check_name(label: object) -> None:
    if not isinstance(label, str):
        raise TypeError(f"evaluation name must be a str, got {label!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", label) or label in (".", ".."):
        raise ValueError(f"evaluation name {label!r} may hold letters, digits, '.', '_', '-'")
    if len(label) > MAX_NAME:
        raise ValueError(
            f"evaluation name {label[:40]!r}... has {len(label)} characters; at most {MAX_NAME}"
            " (pass a shorter name)"
        )


def evaluate_run(
    folder: str | Path,
    executor: SimExecutor,
    *,
    shots: int | None = None,
    seed: int | None = None,
    noise: str | None = None,
    device: str | None = None,
    name: str | None = None,
    max_windows: int | None = None,
) -> dict[str, Any]:
    """Evaluate a finished run's model on ``executor`` and write the evaluation file.

    Args:
        folder: a finished run folder.
        executor: ``"pennylane"`` or ``"qiskit"``.
        shots: shots per circuit (None: exact expectations).
        seed: seed of the shot sampling.
        noise: a noise spec (qiskit only), e.g. ``depolarizing:0.001``, ``readout:0.02``,
            ``thermal:100,80,0.05`` or parts joined by ``+`` (:mod:`qmem.experiments.noise`);
            ``readout`` needs ``shots``. The record holds its canonical text.
        device: PennyLane device name (default ``default.qubit``).
        name: evaluation name (default from the options, e.g. ``qiskit_shots1000_seed1``).
        max_windows: evaluate only the first this many test windows (None: all).

    Returns:
        The evaluation record (also written to ``folder/evaluations/<name>.json``).

    Raises:
        TypeError: an option of the wrong type (``shots=True``, ``seed="1"``).
        ValueError: not a finished run, no circuit layer in the model, bad options (shots
            outside 1 … 10**9, a negative seed, an unknown noise model, readout noise without
            shots, a name that is no plain file name); every option is checked before the
            model is rebuilt.

    Exact simulation (no shots, no noise) agrees with the emulator the model was trained on:

    >>> import tempfile
    >>> from qmem.experiments.config import ExperimentConfig
    >>> from qmem.experiments.run import run_experiment
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine", "num": 40},
    ...     "model": {"name": "qkan_lstm", "hidden_size": 1, "reps": 1},
    ...     "train": {"epochs": 1, "batch_size": 64, "device": "cpu"}})
    >>> tmp = tempfile.TemporaryDirectory()
    >>> _ = run_experiment(cfg, tmp.name, progress=False)
    >>> record = evaluate_run(tmp.name, "pennylane", max_windows=2)
    >>> record["name"], record["windows"], abs(record["change"]["mse"]) < 1e-6
    ('pennylane_exact', 2, True)
    >>> sorted(p.name for p in (Path(tmp.name) / "evaluations").iterdir())
    ['pennylane_exact.json']
    >>> evaluate_run(tmp.name, "pennylane", noise="depolarizing:0.01")
    Traceback (most recent call last):
    ...
    ValueError: noise models are supported on executor 'qiskit' only
    >>> tmp.cleanup()
    """
    from ..models import set_executor
    from .run import rebuild_run
    from .trainer import metrics, predict

    if executor not in ("pennylane", "qiskit"):
        raise ValueError(f"executor must be 'pennylane' or 'qiskit', got {executor!r}")
    if shots is not None:
        check_int("shots", shots, minimum=1, maximum=MAX_SHOTS)
    if seed is not None:
        check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    if noise is not None and not isinstance(noise, str):
        raise TypeError(f"noise must be a str such as 'depolarizing:0.01', got {noise!r}")
    if noise is not None and executor != "qiskit":
        raise ValueError("noise models are supported on executor 'qiskit' only")
    spec = None if noise is None else parse_noise_spec(noise)
    if spec is not None and spec.needs_shots and shots is None:
        raise ValueError(
            f"noise {noise!r}: readout errors act on measurements, which exact evaluation"
            " skips; pass shots"
        )
    if max_windows is not None:
        check_int("max_windows", max_windows, minimum=1)
    label = name or "_".join(
        [executor]
        + ([f"shots{shots}"] if shots is not None else ["exact"])
        + ([f"seed{seed}"] if seed is not None else [])
        + ([spec.label] if spec is not None else [])
    )
    _check_name(label)
    folder = Path(folder)
    if not (folder / "result.json").is_file():
        raise ValueError(f"{str(folder)!r} holds no finished run (no result.json)")
    result = read_json(folder / "result.json")
    options: dict[str, Any] = {}
    if shots is not None:
        options["shots"] = shots
    if seed is not None:
        options["seed"] = seed
    if spec is not None:
        options["noise_model"] = build_noise_model(spec)
    if device is not None:
        if executor != "pennylane":
            raise ValueError("device names a PennyLane device; use it with executor 'pennylane'")
        options["device"] = device
    model, cfg, split = rebuild_run(folder)
    X, Y = split.test.X, split.test.Y
    if max_windows is not None:
        X, Y = X[:max_windows], Y[:max_windows]
    emulated = metrics(split, predict(model, X), Y)  # before the switch: the trained emulator
    if set_executor(model, executor, options) == 0:
        raise ValueError(
            f"model {cfg.model.name!r} has no circuit layer to run on {executor!r}"
        )
    scores = metrics(split, predict(model, X), Y)
    record = {
        "name": label,
        "executor": executor,
        "shots": shots,
        "seed": seed,
        "noise": None if spec is None else spec.text,
        "device": device,
        "windows": int(X.shape[0]),
        "test": scores,
        "emulated_test": emulated,
        "emulated_test_full": result.get("test"),
        "change": {k: scores[k] - emulated[k] for k in scores},
    }
    atomic_write_json(folder / "evaluations" / f"{label}.json", record)
    return record

"""One experiment as a folder of files, resumable after a crash at any moment.

A run folder holds:

- ``config.toml``: the resolved config (every default written out);
- ``env.json``: package versions, git commit, device, threads, seed;
- ``status.json``: ``running`` / ``done`` / ``failed`` (with the error) / ``interrupted``;
- ``metrics.jsonl``: one line per finished epoch (train and validation loss, learning rate);
- ``timings.jsonl``: seconds per epoch (kept apart, so ``metrics.jsonl`` is reproducible);
- ``checkpoint.pt``: model, optimiser, schedule, data-order RNG, history, best weights, the
  model spec (:mod:`qmem.experiments.weights`: name, resolved options, sizes), written
  atomically after every epoch;
- at the end ``model.pt`` (config, model spec and final ``state_dict``), ``predictions.csv`` and
  ``result.json`` (``{"test": {"mse", "rmse", "mae", "r2"}, "params": {...}, ...}``).

``resume=True`` continues from the last checkpoint and ends with the same weights, metrics and
``metrics.jsonl`` as an uninterrupted run (bitwise on CPU), even after ``SIGKILL`` during a
checkpoint write. A finished run is never rewritten without ``resume`` (a no-op then) or
``force``. Every checkpoint loads with ``torch.load(..., weights_only=True)``.

A finished run is rebuilt from its files alone (:func:`rebuild_run`,
:func:`load_run_model`): the rebuilt model scores exactly as the run did.

>>> import tempfile
>>> from qmem.experiments.config import ExperimentConfig
>>> from qmem.experiments.trainer import metrics, predict
>>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine", "num": 60},
...     "model": {"name": "lstm", "hidden_size": 2},
...     "train": {"epochs": 2, "device": "cpu"}})
>>> tmp = tempfile.TemporaryDirectory()
>>> result = run_experiment(cfg, tmp.name, progress=False)
>>> sorted(result["test"]), result["epochs_run"], run_status(tmp.name)
(['mae', 'mse', 'r2', 'rmse'], 2, {'state': 'done'})
>>> model, saved, split = rebuild_run(tmp.name)
>>> saved.to_nested() == cfg.to_nested()
True
>>> metrics(split, predict(model, split.test.X), split.test.Y) == result["test"]
True
>>> loaded, _ = load_run_model(tmp.name)
>>> all(torch.equal(a, b) for a, b in zip(loaded.parameters(), model.parameters(), strict=True))
True
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from ..validation import check_device
from .config import ExperimentConfig
from .files import (
    atomic_save_torch,
    atomic_write_json,
    atomic_write_text,
    environment,
    json_safe,
    load_torch,
    read_json,
)
from .toml_io import dumps, load_toml
from .trainer import (
    NonFiniteLoss,
    build_model,
    loss_on,
    make_optimizer,
    make_scheduler,
    metrics,
    predict,
    prepare_data,
    resolve_device,
    resolve_dtype,
    resolve_hidden_size,
    train_epoch,
)
from .weights import check_model_spec, config_differences, spec_of

__all__ = [
    "CHECKPOINT_FORMAT",
    "RUN_FILES",
    "RunStateError",
    "check_checkpoint",
    "load_run_config",
    "load_run_model",
    "rebuild_run",
    "run_experiment",
    "run_id",
    "run_status",
]

CHECKPOINT_FORMAT = "qmem.checkpoint/1"
"""The ``format`` tag of a run's ``checkpoint.pt``; :func:`check_checkpoint` refuses others."""
MODEL_FORMAT = "qmem.model/1"
"""The ``format`` tag of a run's ``model.pt``; :func:`rebuild_run` refuses others."""
RUN_FILES = (
    "config.toml",
    "env.json",
    "status.json",
    "metrics.jsonl",
    "timings.jsonl",
    "checkpoint.pt",
    "model.pt",
    "predictions.csv",
    "result.json",
)
"""The files of a run folder (besides ``evaluations/``): what ``force`` deletes and what makes
a folder count as holding a run."""


class RunStateError(RuntimeError):
    """The run folder's state forbids the request (finished run, config changed, ...).

    A ``RuntimeError``, raised before anything in the folder is touched.

    >>> import pathlib, tempfile
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "hidden_size": 2}})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "status.json").write_text('{"state": "done"}')
    ...     run_experiment(cfg, folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qmem.experiments.run.RunStateError: '...' already holds a run (state: done); use --resume
    to continue it or --force to start over
    """


def run_id(cfg: ExperimentConfig) -> str:
    """A stable id of a resolved config: 12 hex digits of its canonical JSON's SHA-256.

    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "hidden_size": 2}})
    >>> run_id(cfg) == run_id(ExperimentConfig.from_dict(cfg.to_nested()))
    True
    """
    text = json.dumps(cfg.to_nested(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def run_status(folder: str | Path) -> dict[str, Any] | None:
    """The folder's ``status.json`` (None when there is no run there).

    Args:
        folder: a run folder.

    Returns:
        ``{"state": "running" | "done" | "failed" | "interrupted", ...}`` (``"error"`` holds
        the message of a failed or interrupted run), ``{"state": "unknown"}`` for an
        unreadable file, or None.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     before = run_status(folder)
    ...     _ = (pathlib.Path(folder) / "status.json").write_text(
    ...         '{"state": "failed", "error": "NonFiniteLoss: ..."}')
    ...     after = run_status(folder)
    >>> before, after
    (None, {'state': 'failed', 'error': 'NonFiniteLoss: ...'})
    """
    path = Path(folder) / "status.json"
    if not path.is_file():
        return None
    try:
        return read_json(path)
    except ValueError:
        return {"state": "unknown"}


def load_run_config(folder: str | Path) -> ExperimentConfig:
    """The resolved config saved in a run folder.

    Args:
        folder: a run folder.

    Returns:
        The config of its ``config.toml`` (every default written out, so it equals the
        run's config by :meth:`~qmem.experiments.config.ExperimentConfig.to_nested`).

    Raises:
        FileNotFoundError: the folder has no ``config.toml``.
        ValueError, TypeError: the file is no valid config.

    >>> import pathlib, tempfile
    >>> from qmem.experiments.toml_io import dumps
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "hidden_size": 2}})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "config.toml").write_text(dumps(cfg.to_nested()))
    ...     saved = load_run_config(folder)
    >>> saved.to_nested() == cfg.to_nested(), saved.data.options["num"]  # defaults written
    (True, 400)
    >>> load_run_config("no/such/run")
    Traceback (most recent call last):
    ...
    FileNotFoundError: 'no/such/run' is no run folder: it has no config.toml
    """
    path = Path(folder) / "config.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{str(folder)!r} is no run folder: it has no config.toml")
    return ExperimentConfig.from_dict(load_toml(path), owner=f"run config {str(path)!r}")


def _set_status(folder: Path, state: str, **extra: Any) -> None:
    atomic_write_json(folder / "status.json", {"state": state, **extra})


def _write_lines(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(json_safe(r), allow_nan=False) + "\n" for r in rows))


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _append_line(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(json_safe(row), allow_nan=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _prepare_folder(folder: Path, cfg: ExperimentConfig, resume: bool, force: bool) -> bool:
    """Check the folder's state; returns True when a finished run is already there."""
    status = run_status(folder)
    present = [name for name in RUN_FILES if (folder / name).exists()]
    if force:
        for name in present:
            (folder / name).unlink()
        shutil.rmtree(folder / "evaluations", ignore_errors=True)
        return False
    if not present:
        return False
    if not resume:
        state = (status or {}).get("state", "unknown")
        raise RunStateError(
            f"{str(folder)!r} already holds a run (state: {state}); use --resume to continue "
            "it or --force to start over"
        )
    if (folder / "config.toml").is_file():
        saved = load_run_config(folder)
        if saved.to_nested() != cfg.to_nested():
            raise RunStateError(
                f"cannot resume {str(folder)!r}: its config.toml differs from the config given "
                "(use --force to start over, or resume with the saved config)"
            )
    return (status or {}).get("state") == "done" and (folder / "result.json").is_file()


def _predictions_csv(split: Any, preds: dict[str, torch.Tensor]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    h = int(split.train.Y.shape[-1])
    names = ["y_true", "y_pred"] if h == 1 else (
        [f"y_true_{k + 1}" for k in range(h)] + [f"y_pred_{k + 1}" for k in range(h)]
    )
    writer.writerow(["split", "target_index", *names])
    for part in ("train", "val", "test"):
        w = getattr(split, part)
        if len(w) == 0:
            continue
        t = split.inverse(w.Y).double().cpu()  # (N, H) original units
        p = split.inverse(preds[part]).double().cpu()  # (N, H)
        for i, idx in enumerate(w.target_index.tolist()):
            writer.writerow([part, idx, *(repr(float(v)) for v in (*t[i], *p[i]))])
    return out.getvalue()


def run_experiment(
    cfg: ExperimentConfig,
    folder: str | Path,
    *,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Train and evaluate one experiment into ``folder``; returns ``result.json``'s content.

    Args:
        cfg: the experiment config.
        folder: the run folder (created if missing).
        resume: continue a killed or interrupted run from its checkpoint (a finished run is
            left as it is and its result returned).
        force: delete the run files already in ``folder`` and start over.
        progress: show a progress bar (None: only when stderr is a terminal).

    Returns:
        The result dict written to ``result.json``.

    Raises:
        RunStateError: the folder holds a run and neither ``resume`` nor ``force`` is given,
            or its saved config differs from ``cfg``.
        NonFiniteLoss: the loss became NaN/inf (the run is marked failed).
    """
    if not isinstance(cfg, ExperimentConfig):
        raise TypeError(f"cfg must be an ExperimentConfig, got {type(cfg).__name__}")
    if resume and force:
        raise ValueError("give resume or force, not both")
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ValueError(f"run folder {str(out)!r} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if _prepare_folder(out, cfg, resume, force):
        return read_json(out / "result.json")
    atomic_write_text(out / "config.toml", dumps(cfg.to_nested()))
    _set_status(out, "running")
    try:
        result = _train(cfg, out, resume=resume, progress=progress)
    except KeyboardInterrupt:
        _set_status(out, "interrupted", error="interrupted by the user (resume with --resume)")
        raise
    except BaseException as err:
        _set_status(out, "failed", error=f"{type(err).__name__}: {err}")
        raise
    _set_status(out, "done")
    return result


def _train(cfg: ExperimentConfig, out: Path, *, resume: bool, progress: bool | None) -> dict:
    from tqdm.auto import tqdm

    from ..params import count_parameters

    train = cfg.train
    threads_before = torch.get_num_threads()
    if train.threads is not None:
        torch.set_num_threads(train.threads)
    bar: Any = None
    try:
        dtype = resolve_dtype(train.dtype)
        device = resolve_device(train.device)
        atomic_write_json(out / "env.json", environment(device, train.seed))
        split = prepare_data(cfg, dtype, device)
        hidden = resolve_hidden_size(
            cfg, int(split.train.X.shape[-1]), int(split.train.Y.shape[-1])
        )
        model = build_model(cfg, split, dtype, device, hidden_size=hidden)
        spec = spec_of(cfg, int(split.train.X.shape[-1]), hidden, int(split.train.Y.shape[-1]))
        optimizer = make_optimizer(train, model.parameters())
        scheduler = make_scheduler(train, optimizer)
        gen = torch.Generator().manual_seed(train.seed)
        history: list[dict[str, Any]] = []
        best: dict[str, Any] = {"val_loss": None, "epoch": 0, "state_dict": None}
        start = 0
        nested = cfg.to_nested()
        ckpt_path = out / "checkpoint.pt"
        if resume and ckpt_path.is_file():
            ckpt = load_torch(ckpt_path)
            check_checkpoint(ckpt, CHECKPOINT_FORMAT, nested, spec, ckpt_path)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(ckpt["scheduler"])
            gen.set_state(ckpt["generator"])
            history = list(ckpt["history"])
            best = dict(ckpt["best"])
            start = int(ckpt["epoch"])
        # drop lines past the checkpoint (written after it, before a crash)
        _write_lines(out / "metrics.jsonl", history)
        _write_lines(out / "timings.jsonl",
                     [r for r in _read_lines(out / "timings.jsonl") if r["epoch"] <= start])
        n = int(split.train.X.shape[0])
        per_epoch = -(-n // train.batch_size)
        stopped_early = start > 0 and bool(history and history[-1].get("stop"))
        bar = tqdm(
            total=train.epochs * per_epoch,
            initial=start * per_epoch,
            disable=(None if progress is None else not progress),
            desc=f"{cfg.title} epoch {start + 1}/{train.epochs}",
            unit="batch",
            leave=False,
        )

        def on_batch(loss: float | None) -> None:
            bar.update(1)
            if loss is not None:  # None: not read back this batch (accelerators)
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)

        epoch = start
        while epoch < train.epochs and not stopped_early:
            epoch += 1
            bar.set_description(f"{cfg.title} epoch {epoch}/{train.epochs}")
            t0 = time.perf_counter()
            train_loss = train_epoch(
                model, optimizer, split.train.X, split.train.Y, train, gen, epoch, on_batch
            )
            lr = float(optimizer.param_groups[0]["lr"])
            if scheduler is not None:
                scheduler.step()
            seconds = time.perf_counter() - t0
            val_loss = loss_on(model, split.val.X, split.val.Y)
            if val_loss is not None and not math.isfinite(val_loss):
                raise NonFiniteLoss(f"the validation loss is {val_loss} after epoch {epoch}")
            row: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss,
                                   "val_loss": val_loss, "lr": lr}
            if train.patience is not None and val_loss is not None:
                if best["val_loss"] is None or val_loss < best["val_loss"]:
                    best = {
                        "val_loss": val_loss,
                        "epoch": epoch,
                        "state_dict": {k: v.detach().clone() for k, v in
                                       model.state_dict().items()},
                    }
                elif epoch - int(best["epoch"]) >= train.patience:
                    row["stop"] = True
                    stopped_early = True
            history.append(row)
            atomic_save_torch(
                ckpt_path,
                {
                    "format": CHECKPOINT_FORMAT,
                    "config": nested,
                    "model_spec": spec,
                    "epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "generator": gen.get_state(),
                    "history": history,
                    "best": best,
                },
            )
            _append_line(out / "metrics.jsonl", row)
            _append_line(out / "timings.jsonl", {"epoch": epoch, "seconds": seconds})
        if best["state_dict"] is not None:
            model.load_state_dict(best["state_dict"])
        preds = {part: predict(model, getattr(split, part).X) for part in
                 ("train", "val", "test")}
        scores = {
            part: metrics(split, preds[part], getattr(split, part).Y)
            for part in ("train", "val", "test")
            if len(getattr(split, part)) > 0
        }
        counts = count_parameters(model)
        timings = sorted(r["seconds"] for r in _read_lines(out / "timings.jsonl"))
        result = {
            "title": cfg.title,
            "run_id": run_id(cfg),
            "dataset": cfg.data.name,
            "protocol": cfg.data.protocol,
            "model": cfg.model.name,
            "hidden_size": hidden,
            "budget": cfg.model.budget,
            "seed": train.seed,
            "dtype": train.dtype,
            "device": str(device),
            "epochs_run": len(history),
            "stopped_early": stopped_early,
            "best_epoch": int(best["epoch"]) if best["state_dict"] is not None else None,
            "final_train_loss": history[-1]["train_loss"] if history else None,
            "seconds_per_epoch": timings[len(timings) // 2] if timings else None,
            "windows": {p: len(getattr(split, p)) for p in ("train", "val", "test")},
            "split": split.describe(),
            "params": {k: counts[k] for k in ("quantum", "classical", "total")},
            **scores,
        }
        atomic_write_text(out / "predictions.csv", _predictions_csv(split, preds))
        atomic_save_torch(
            out / "model.pt",
            {
                "format": MODEL_FORMAT,
                "config": nested,
                "model_spec": spec,
                "hidden_size": hidden,
                "state_dict": model.state_dict(),
            },
        )
        result = json_safe(result)  # non-finite metrics (R² of a constant) become None
        atomic_write_json(out / "result.json", result)
        return result
    finally:
        if bar is not None:
            bar.close()
        if train.threads is not None:
            torch.set_num_threads(threads_before)


def rebuild_run(folder: str | Path, device: str | torch.device = "cpu") -> tuple[Any, Any, Any]:
    """Rebuild a finished run from its files: ``(model, config, split)``.

    The data are made again from the saved config (a run is a pure function of it); the
    weights load with ``weights_only=True``; a ``model.pt`` whose saved config differs from
    the folder's ``config.toml`` is refused. The module docstring shows a run rebuilt.

    Args:
        folder: a finished run folder (``config.toml`` and ``model.pt``).
        device: where the model and the data are put.

    Returns:
        The model with the run's final (or best, with early stopping) weights, the run's
        config, and its ``WindowSplit`` (on ``device``, in the run's dtype).

    Raises:
        FileNotFoundError: no ``config.toml`` or no ``model.pt``.
        ValueError: ``model.pt`` is no qmem model file, or was saved for another config or
            another model (the differing keys named).

    >>> rebuild_run("no/such/run")
    Traceback (most recent call last):
    ...
    FileNotFoundError: 'no/such/run' is no run folder: it has no config.toml
    """
    folder = Path(folder)
    cfg = load_run_config(folder)
    path = folder / "model.pt"
    saved = load_torch(path)
    if saved.get("format") != MODEL_FORMAT:
        raise ValueError(f"{str(path)!r} is no qmem model file")
    diff = config_differences(saved.get("config"), cfg.to_nested())
    if diff:
        raise ValueError(
            f"{str(path)!r} was saved for another config than config.toml: " + "; ".join(diff)
        )
    dev = check_device("device", device)
    dtype = resolve_dtype(cfg.train.dtype)
    split = prepare_data(cfg, dtype, dev)
    hidden = saved.get("hidden_size")
    model = build_model(cfg, split, dtype, dev, hidden_size=hidden)
    spec = spec_of(cfg, int(split.train.X.shape[-1]), hidden, int(split.train.Y.shape[-1]))
    check_model_spec(saved.get("model_spec", spec), spec, repr(str(path)))  # older files: none
    model.load_state_dict(saved["state_dict"])
    return model, cfg, split


def check_checkpoint(
    ckpt: dict[str, Any], fmt: str, nested: dict[str, Any], spec: dict[str, Any], path: Path
) -> None:
    """Refuse a checkpoint of another format, experiment config or model (naming the keys).

    Args:
        ckpt: the loaded checkpoint dict (``format``, ``config``, ``model_spec``, ...).
        fmt: the format expected (:data:`CHECKPOINT_FORMAT`).
        nested: the run's resolved config (:meth:`ExperimentConfig.to_nested`).
        spec: the model spec of the model to resume
            (:func:`~qmem.experiments.weights.spec_of`).
        path: the checkpoint file, for messages.

    Raises:
        RunStateError: another format or experiment config (the differing keys named).
        ValueError: its model spec differs from ``spec`` (the differing keys named).

    >>> from pathlib import Path
    >>> from qmem.experiments.weights import spec_of
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "hidden_size": 2}})
    >>> spec = spec_of(cfg, input_size=1, hidden_size=2, output_size=1)
    >>> ckpt = {"format": CHECKPOINT_FORMAT, "config": cfg.to_nested(), "model_spec": spec}
    >>> path = Path("run/checkpoint.pt")
    >>> check_checkpoint(ckpt, CHECKPOINT_FORMAT, cfg.to_nested(), spec, path)  # accepted
    >>> other = cfg.replace(train=cfg.train.replace(lr=0.1))
    >>> check_checkpoint(ckpt, CHECKPOINT_FORMAT, other.to_nested(), spec, path)
    Traceback (most recent call last):
    ...
    qmem.experiments.run.RunStateError: checkpoint 'run/checkpoint.pt' belongs to another
    config: train.lr: saved 0.01, here 0.1
    """
    if ckpt.get("format") != fmt:
        raise RunStateError(
            f"checkpoint {str(path)!r} has format {ckpt.get('format')!r}, not {fmt!r}"
        )
    diff = config_differences(ckpt.get("config"), nested)
    if diff:
        raise RunStateError(
            f"checkpoint {str(path)!r} belongs to another config: " + "; ".join(diff)
        )
    check_model_spec(ckpt.get("model_spec", spec), spec, f"checkpoint {str(path)!r}")


def load_run_model(folder: str | Path, device: str | torch.device = "cpu") -> tuple[Any, Any]:
    """Rebuild a finished run's model from its files: ``(model, config)`` (see
    :func:`rebuild_run`, whose checks it shares; the module docstring shows a run rebuilt).

    Args:
        folder: a finished run folder.
        device: where the model is put.

    Returns:
        The model with the run's weights, and the run's config.

    Raises:
        FileNotFoundError, ValueError: as :func:`rebuild_run`.

    >>> import pathlib, tempfile
    >>> from qmem.experiments.toml_io import dumps
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "hidden_size": 2}})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (pathlib.Path(folder) / "config.toml").write_text(dumps(cfg.to_nested()))
    ...     load_run_model(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...model.pt...
    """
    model, cfg, _ = rebuild_run(folder, device)
    return model, cfg

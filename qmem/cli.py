"""The ``qmem`` command.

Commands:

- ``qmem compare``: train several models side by side on the same data and write a report
  (with no arguments: the embedded default study, about 3 minutes on 2 cores);
- ``qmem run CONFIG.toml --out DIR [--set key=value ...] [--resume | --force]``: one experiment;
- ``qmem sweep SWEEP.toml --out DIR [--executor local|ray] [--vectorize]``: every point of
  a sweep file as a run folder, on a process pool or a Ray cluster, with a summary;
- ``qmem report DIR...``: rebuild tables and plots from run folders' files alone;
- ``qmem study DIR --out OUT [--page PAGE.md]``: the parameter-efficiency study of a sweep
  (tuned settings chosen on validation, test metrics reported; :mod:`qmem.experiments.study`);
- ``qmem evaluate RUN_DIR --executor pennylane|qiskit [--shots N --seed S]
  [--noise depolarizing:P]``: re-evaluate a trained quantum model on a real simulator;
- ``qmem params MODEL``, ``qmem models``, ``qmem datasets``, ``qmem circuits draw NAME``:
  inspection; ``qmem fit``: fit a QKAN to a generated 1-D function (the default);
- ``qmem explain RUN_DIR [--plot OUT.png] [--top K] [--precision P]``: a trained model's
  DARUAN edges as exact trigonometric polynomials (:mod:`qmem.interpret`).

Errors are one line on stderr (``--debug`` shows the traceback). Exit codes: 0 success,
2 usage or config error, 1 failure while running.

>>> main(["fit", "--epochs", "3", "--no-progress"])  # doctest: +ELLIPSIS
function     damped_sine
...
0
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CONFIG_ERRORS", "build_parser", "main"]

CONFIG_ERRORS = (ValueError, TypeError, FileNotFoundError)
"""Exceptions that mean a bad command line or config (exit code 2) when raised before work."""


class _Failure(Exception):
    """An error while running (exit code 1)."""


def _csv_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in _csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def _add_fit(sub: argparse._SubParsersAction) -> None:
    from .fit import TARGETS

    fit = sub.add_parser("fit", help="fit a QKAN to a generated 1-D function (the default)")
    fit.add_argument("--function", choices=sorted(TARGETS), default="damped_sine")
    fit.add_argument("--width", type=int, default=4)
    fit.add_argument("--reps", type=int, default=3)
    fit.add_argument("--ansatz", default="pz", help="DARUAN ansatz: pz, rpz or real")
    fit.add_argument("--executor", default="auto", help="DARUAN executor (default auto)")
    fit.add_argument("--epochs", type=int, default=300)
    fit.add_argument("--lr", type=float, default=0.02)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_params(sub: argparse._SubParsersAction) -> None:
    params = sub.add_parser(
        "params", help="trainable parameters of a model, split quantum / classical"
    )
    params.add_argument("model", help="a registered model name (see `qmem models`)")
    params.add_argument("--input-size", type=int, default=1)
    params.add_argument("--hidden-size", type=int, default=None)
    params.add_argument("--output-size", type=int, default=1)
    params.add_argument(
        "--option", "-o", action="append", default=[], metavar="KEY=VALUE",
        help="a model option, e.g. -o reps=1 -o ansatz=rpz (repeatable)",
    )
    params.add_argument(
        "--budget", type=int, default=None,
        help="instead: the hidden size whose parameter total is nearest this budget",
    )


def _add_compare(sub: argparse._SubParsersAction) -> None:
    from .experiments import compare as c

    p = sub.add_parser(
        "compare",
        help="train models side by side and write a report (no arguments: the default study)",
        description="Train every model on every dataset at every size and seed, each run a "
        "folder under OUT/runs/, then write OUT/report.md, results.csv/json/tex and plots. "
        "Finished runs are skipped when called again.",
    )
    p.add_argument("--datasets", type=_csv_list, default=list(c.DEFAULT_DATASETS),
                   help=f"comma-separated dataset names (default {','.join(c.DEFAULT_DATASETS)})")
    p.add_argument("--models", type=_csv_list, default=list(c.DEFAULT_MODELS),
                   help=f"comma-separated model names (default {','.join(c.DEFAULT_MODELS)})")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--hidden-sizes", type=_int_list, default=None,
                      help="comma-separated hidden sizes (default "
                      f"{','.join(map(str, c.DEFAULT_HIDDEN))})")
    size.add_argument("--budgets", type=_int_list, default=None,
                      help="comma-separated parameter budgets instead of hidden sizes")
    p.add_argument("--seeds", type=_int_list, default=list(c.DEFAULT_SEEDS),
                   help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--epochs", type=int, default=c.DEFAULT_EPOCHS)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--window", type=int, default=4)
    p.add_argument("--protocol", choices=("honest", "paper"), default="honest")
    p.add_argument("--executor", default=None,
                   help="circuit executor of the quantum models (default: each model's)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--threads", type=int, default=None, help="torch threads per run")
    p.add_argument("--option", "-o", action="append", default=[], metavar="MODEL.KEY=VALUE",
                   help="a model option, e.g. -o qkan_lstm.reps=2 (repeatable; a model named "
                   "here drops the default study's options: qkan_lstm/hqkan_lstm reps=1)")
    p.add_argument("--out", default="qmem-compare", help="output folder (default qmem-compare)")
    p.add_argument("--vectorize", action="store_true",
                   help="train the seeds of each setup together as one vectorised model")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run every point of a sweep file (process pool or Ray), with a summary",
        description="Each point of the sweep file ([base] config, [axes] over its dotted "
        "keys) becomes a run folder DIR/runs/<run id>; DIR/summary.csv lists every run's "
        "state and metrics; the report (with the parameter-efficiency frontier) goes into "
        "DIR. Calling it again skips finished runs and resumes unfinished ones.",
    )
    p.add_argument("sweep", help="the sweep file (TOML: [base], [axes], optional [sweep], "
                   "[resources], [models.NAME], [datasets.NAME])")
    p.add_argument("--out", required=True, help="the sweep folder")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: a process pool (default); ray: Ray core tasks")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel runs (default: CPU cores / [resources] cpus; Ray: the "
                   "cluster's)")
    p.add_argument("--address", default=None,
                   help="Ray cluster: auto or ray://host:port (default: a local Ray)")
    p.add_argument("--retries", type=int, default=1,
                   help="further tries of a failed run (default 1)")
    p.add_argument("--vectorize", action="store_true",
                   help="train the seeds of each config together as one vectorised model")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a [base] value, e.g. train.epochs=5")
    p.add_argument("--no-report", action="store_true", help="skip the report at the end")
    p.add_argument("--no-plots", action="store_true", help="report tables only")
    p.add_argument("--no-progress", action="store_true", help="hide the progress display")
    p.add_argument("--dry-run", action="store_true",
                   help="check the sweep file and print the number of runs; run nothing")


def _add_study(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "study", help="a sweep's study: tuned settings chosen on validation, test reported",
        description="Per dataset, protocol, model and budget, pick the tuned setting (every "
        "axis but dataset, protocol, model, budget and seed, e.g. train.lr) of lowest mean "
        "validation MSE over seeds; report its test MSE/MAE/R2 (mean +- std), parameters, "
        "% of the LSTM and the gain over LSTM/GRU/CIFG/KAN against the seed spread. Writes "
        "runs.csv, study.csv, evaluations.csv, study.md and plots into OUT.",
    )
    p.add_argument("dir", help="a sweep folder, or a folder holding runs.csv (a study "
                   "written before)")
    p.add_argument("--out", default=None, help="output folder (default DIR/study)")
    p.add_argument("--page", default=None, metavar="PAGE.md",
                   help="also write the tables into this page's generated blocks "
                   "(study, study-evaluations)")
    p.add_argument("--pair", action="append", default=[], metavar="MODEL@BUDGET:MODEL@BUDGET",
                   help="also set two setups side by side, e.g. qkan_lstm@35:lstm@150 "
                   "(repeatable; into the page's study-pairs block)")
    p.add_argument("--no-plots", action="store_true", help="tables only")


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one experiment from a TOML config")
    p.add_argument("config", help="the experiment's TOML file ([data], [model], [train])")
    p.add_argument("--out", required=True, help="the run folder")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a config value, e.g. model.reps=2")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue a killed or interrupted run from its checkpoint")
    mode.add_argument("--force", action="store_true",
                      help="delete the run files in --out and start over")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="rebuild tables and plots from run folders")
    p.add_argument("dirs", nargs="+", help="run folders, or folders holding run folders")
    p.add_argument("--out", default=None, help="report folder (default: the first DIR)")
    p.add_argument("--no-plots", action="store_true", help="tables only")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="re-evaluate a trained quantum model on a simulator")
    p.add_argument("run_dir", help="a finished run folder")
    p.add_argument("--executor", required=True, choices=("pennylane", "qiskit"))
    p.add_argument("--shots", type=int, default=None, help="shots per circuit (default exact)")
    p.add_argument("--seed", type=int, default=None, help="seed of the shot sampling")
    p.add_argument("--noise", default=None,
                   help="noise model (qiskit): depolarizing:P, readout:P (needs --shots), "
                   "thermal:T1,T2,TIME[,TIME2] (one time unit; TIME2: two-qubit gates), "
                   "joined by '+', e.g. depolarizing:0.001+readout:0.02+thermal:100,80,0.05")
    p.add_argument("--device", default=None, help="PennyLane device (default default.qubit)")
    p.add_argument("--name", default=None, help="evaluation name (file name)")
    p.add_argument("--max-windows", type=int, default=None,
                   help="evaluate only the first N test windows")


def _add_explain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="a trained model's DARUAN edges as exact formulas",
                       description="Print every QKAN layer's edges as trigonometric "
                       "polynomials (qmem.interpret); optionally plot them.")
    p.add_argument("run_dir", help="a finished run folder (written by `qmem run`)")
    p.add_argument("--plot", default=None, metavar="OUT.png", help="write a PNG grid of the edges")
    p.add_argument("--top", type=int, default=None,
                   help="per layer, only the K edges of largest amplitude (default all)")
    p.add_argument("--precision", type=int, default=4, help="significant digits (default 4)")
    p.add_argument("--threshold", type=float, default=0.0,
                   help="omit harmonics of magnitude <= this (default 0: print all)")
    p.add_argument("--x-range", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="x range of the plot (default -pi pi)")


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("models", help="list the registered models")
    sub.add_parser("datasets", help="list the registered datasets")
    circuits = sub.add_parser("circuits", help="inspect circuits")
    csub = circuits.add_subparsers(dest="circuits_command", required=True)
    draw = csub.add_parser("draw", help="draw a circuit as text")
    draw.add_argument("name", help="daruan-pz, daruan-rpz, daruan-real, chen2020 or chen2024")
    draw.add_argument("--reps", type=int, default=2, help="DARUAN re-uploadings")
    draw.add_argument("--qubits", type=int, default=4, help="VQC qubits")
    draw.add_argument("--layers", type=int, default=2, help="VQC layers")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qmem`` command.

    >>> args = build_parser().parse_args(["sweep", "sweep.toml", "--out", "out", "--vectorize"])
    >>> args.command, args.executor, args.retries, args.vectorize
    ('sweep', 'local', 1, True)
    """
    parser = argparse.ArgumentParser(
        prog="qmem", description="Quantum and quantum-inspired memory models."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command")
    for add in (_add_fit, _add_compare, _add_sweep, _add_study, _add_run, _add_report,
                _add_evaluate, _add_params, _add_inspect, _add_explain):
        add(sub)
    return parser


def _parse_options(items: Sequence[str]) -> dict[str, object]:
    """``["reps=1", "ansatz=pz"]`` -> ``{"reps": 1, "ansatz": "pz"}`` (TOML values or text)."""
    from .experiments.toml_io import parse_value

    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"option {item!r} must look like KEY=VALUE")
        out[key.strip()] = parse_value(raw.strip())
    return out


def _params(args: argparse.Namespace) -> int:
    from .models import build, describe
    from .params import count_parameters, format_counts, hidden_size_for_budget

    options = _parse_options(args.option)
    if args.budget is not None:
        h = hidden_size_for_budget(
            args.model, args.budget, input_size=args.input_size,
            output_size=args.output_size, **options,
        )
        args.hidden_size = h
        print(f"hidden size {h} is nearest to a budget of {args.budget} parameters")
    model = build(
        args.model, input_size=args.input_size, hidden_size=args.hidden_size,
        output_size=args.output_size, **options,
    )
    print(" ".join(describe(args.model).split("\n\n")[0].split()))  # first paragraph
    print(format_counts(count_parameters(model)))
    return 0


def _fit(args: argparse.Namespace) -> int:
    from .fit import fit_function

    result = fit_function(
        args.function, width=args.width, reps=args.reps, ansatz=args.ansatz,
        executor=args.executor, epochs=args.epochs, lr=args.lr, seed=args.seed,
        progress=not args.no_progress,
    )
    params = result["params"]
    rows = [
        ("function", result["function"]),
        ("network", f"QKANLayer(1, {args.width}) -> QKANLayer({args.width}, 1), "
                    f"{args.ansatz}, reps {args.reps}"),
        ("executor", result["executor"]),
        ("epochs", str(result["epochs"])),
        ("parameters",
         f"{params['total']} ({params['quantum']} quantum, {params['classical']} classical)"),
        ("train RMSE", f"{result['train_rmse']:.4g}"),
        ("test RMSE", f"{result['test_rmse']:.4g}"),
    ]
    for key, value in rows:
        print(f"{key:<12} {value}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .experiments.compare import run_compare, study_configs

    per_model: dict[str, dict[str, object]] = {}
    for key, value in _parse_options(args.option).items():
        model, dot, option = key.partition(".")
        if not dot or not model or not option:
            raise ValueError(f"--option {key}=... must look like MODEL.KEY=VALUE")
        per_model.setdefault(model, {})[option] = value
    configs = study_configs(
        model_options=per_model,
        datasets=args.datasets, models=args.models, hidden_sizes=args.hidden_sizes,
        budgets=args.budgets, seeds=args.seeds, epochs=args.epochs, executor=args.executor,
        device=args.device, dtype=args.dtype, protocol=args.protocol, window=args.window,
        batch_size=args.batch_size, lr=args.lr, threads=args.threads,
    )
    print(f"qmem compare: {len(configs)} runs ({len(args.datasets)} datasets x "
          f"{len(args.models)} models x sizes x {len(args.seeds)} seeds) into {args.out}",
          file=sys.stderr)
    try:
        out = run_compare(configs, args.out, progress=None if not args.no_progress else False,
                          log=lambda line: print(line, flush=True), vectorize=args.vectorize)
    except KeyboardInterrupt:
        raise _Failure("interrupted; call the same command again to continue") from None
    for rid, err in out["failed"].items():
        print(f"qmem compare: run {rid} failed: {err}", file=sys.stderr)
    if out["report"]:
        print(f"report: {Path(args.out) / 'report.md'} ({len(out['done'])} runs, "
              f"{out['seconds']:.0f} s)")
        print((Path(args.out) / "report.md").read_text())
    if out["failed"]:
        raise _Failure(f"{len(out['failed'])} of {len(configs)} runs failed")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .experiments.sweep import run_sweep
    from .experiments.sweep_config import load_sweep

    sweep = load_sweep(args.sweep, args.overrides)
    shape = " x ".join(str(len(v)) for v in sweep.axes.values()) or "1"
    if sweep.options.mode == "grid" and sweep.options.exclude:
        grid = 1
        for values in sweep.axes.values():
            grid *= len(values)
        shape += f", {grid - len(sweep.configs)} excluded"
    print(f"qmem sweep: {len(sweep.configs)} runs ({shape}, {sweep.options.mode}) into "
          f"{args.out} ({args.executor} executor)", file=sys.stderr)
    if args.dry_run:
        print(f"{len(sweep.configs)} runs: the sweep file is valid (dry run: nothing ran)")
        return 0
    try:
        out = run_sweep(sweep, args.out, executor=args.executor, workers=args.workers,
                        address=args.address, retries=args.retries, vectorize=args.vectorize,
                        progress=None if not args.no_progress else False,
                        report=not args.no_report, plots=not args.no_plots,
                        log=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        raise _Failure("interrupted; call the same command again to continue "
                       f"(summary: {Path(args.out) / 'summary.csv'})") from None
    print(f"summary: {out['summary']} ({len(out['done'])} runs done now, {out['skipped']} "
          f"before, {len(out['failed'])} failed; {out['seconds']:.0f} s)")
    if out["report"]:
        print(f"report: {Path(args.out) / 'report.md'}, {Path(args.out) / 'frontier.md'}")
    if out["failed"]:
        for rid, err in out["failed"].items():
            print(f"qmem sweep: run {rid} failed: {err}", file=sys.stderr)
        raise _Failure(f"{len(out['failed'])} of {len(sweep.configs)} runs failed "
                       "(see summary.csv)")
    return 0


def _run(args: argparse.Namespace) -> int:
    from .experiments import load_config, run_experiment
    from .experiments.run import RunStateError

    cfg = load_config(args.config, args.overrides)
    try:
        result = run_experiment(cfg, args.out, resume=args.resume, force=args.force,
                                progress=None if not args.no_progress else False)
    except RunStateError as err:
        raise ValueError(str(err)) from None
    except KeyboardInterrupt:
        raise _Failure(f"interrupted; continue with --resume --out {args.out}") from None
    except Exception as err:
        raise _Failure(f"{type(err).__name__}: {err}") from err
    test = result["test"]
    print(f"{cfg.title} on {cfg.data.name}: {result['params']['total']} parameters "
          f"({result['params']['quantum']} quantum), {result['epochs_run']} epochs")
    print("test " + "  ".join(f"{k} {'–' if v is None else f'{v:.5g}'}" for k, v in test.items()))
    print(f"run folder: {args.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .experiments.report import write_report

    out = args.out or args.dirs[0]
    if len(args.dirs) == 1 and (Path(args.dirs[0]) / "sweep.json").is_file():
        from .experiments.sweep_report import write_sweep_report  # a sweep folder

        made = write_sweep_report(args.dirs[0], plots=not args.no_plots, out=out)
    else:
        made = write_report(args.dirs, out, plots=not args.no_plots)
    print(f"wrote {', '.join(made['files'])} to {out} ({len(made['rows'])} rows)")
    return 0


def _study(args: argparse.Namespace) -> int:
    from .experiments.study import parse_pair, write_study

    out = args.out or str(Path(args.dir) / "study")
    made = write_study(args.dir, out, page=args.page, plots=not args.no_plots,
                       pairs=[parse_pair(p) for p in args.pair])
    print(f"wrote {', '.join(made['files'])} to {out} ({len(made['rows'])} rows from "
          f"{made['runs']} runs, {made['evaluations']} evaluations)")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .experiments.evaluate import evaluate_run

    try:
        rec = evaluate_run(args.run_dir, args.executor, shots=args.shots, seed=args.seed,
                           noise=args.noise, device=args.device, name=args.name,
                           max_windows=args.max_windows)
    except (ValueError, TypeError, FileNotFoundError):
        raise
    except Exception as err:
        raise _Failure(f"{type(err).__name__}: {err}") from err
    print(f"{rec['name']}: {rec['windows']} test windows")
    for k in ("mse", "rmse", "mae", "r2"):
        print(f"  {k:<5} emulated {rec['emulated_test'][k]:.6g}  {rec['executor']} "
              f"{rec['test'][k]:.6g}  change {rec['change'][k]:+.3g}")
    print(f"written: {Path(args.run_dir) / 'evaluations' / (rec['name'] + '.json')}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    import math

    from .experiments.run import load_run_model
    from .interpret import explain, plot_edges

    model, cfg = load_run_model(args.run_dir)
    print(f"{cfg.title} on {cfg.data.name} ({args.run_dir})")
    print(explain(model, top=args.top, precision=args.precision, threshold=args.threshold))
    if args.plot:
        x_range = args.x_range or (-math.pi, math.pi)
        print(f"plot: {plot_edges(model, args.plot, x_range=x_range, top=args.top or 36)}")
    return 0


def _models(_: argparse.Namespace) -> int:
    from . import models

    for name in models.names():
        first = " ".join(models.describe(name).split("\n\n")[0].split())
        print(f"{name:<14} {first}")
    return 0


def _datasets(_: argparse.Namespace) -> int:
    from . import datasets

    for name in datasets.names():
        print(f"{name:<26} {datasets.spec(name).summary}")
    return 0


def _circuits(args: argparse.Namespace) -> int:
    from . import circuits
    from .circuits.export import draw
    from .validation import check_int

    name = args.name
    for option, value in (("--reps", args.reps), ("--qubits", args.qubits),
                          ("--layers", args.layers)):
        check_int(option, value, minimum=0 if option == "--layers" else 1, maximum=64)
    if name.startswith("daruan-"):
        circuit = circuits.daruan_circuit(name.removeprefix("daruan-"), args.reps)
    elif name in ("chen2020", "chen2024"):
        make = circuits.chen2020_spec if name == "chen2020" else circuits.chen2024_spec
        circuit = circuits.build_circuit(make(n_qubits=args.qubits, n_layers=args.layers))
    else:
        raise ValueError(f"unknown circuit {name!r}; allowed: daruan-pz, daruan-rpz, "
                         "daruan-real, chen2020, chen2024")
    print(draw(circuit))
    return 0


_COMMANDS = {
    "fit": _fit, "compare": _compare, "sweep": _sweep, "study": _study, "run": _run,
    "report": _report,
    "evaluate": _evaluate, "params": _params, "models": _models, "datasets": _datasets,
    "circuits": _circuits, "explain": _explain,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qmem`` command; returns the exit status (0, 1 or 2)."""
    parser = build_parser()
    argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: usage errors exit 2, --help exits 0
        return int(exit_.code or 0)
    if args.command is None:
        args = parser.parse_args([*(["--debug"] if args.debug else []), "fit"])
    prog = f"qmem {args.command}"
    try:
        return _COMMANDS[args.command](args)
    except Exception as err:
        code, text = _exit_code(err)
        if args.debug:
            traceback.print_exc()
        print(f"{prog}: error: {text}", file=sys.stderr)
        return code


def _exit_code(err: Exception) -> tuple[int, str]:
    """Exit code and message of an error: 2 for a bad command line or config, else 1."""
    if isinstance(err, _Failure):
        return 1, str(err)
    if isinstance(err, CONFIG_ERRORS):
        return 2, str(err)
    if isinstance(err, ImportError):
        return 1, str(err)
    return 1, f"{type(err).__name__}: {err} (run with --debug for the traceback)"

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

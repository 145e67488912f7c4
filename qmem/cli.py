"""The ``qmem`` command.

``qmem fit`` (the default) trains a small QKAN on a generated 1-D function and prints the fit
error and the parameter count. ``qmem params MODEL --input-size I --hidden-size H -o KEY=VALUE``
prints a model's trainable parameters, split quantum / classical, per module.

>>> main(["fit", "--epochs", "3", "--no-progress"])  # doctest: +ELLIPSIS
function     damped_sine
...
0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import get_args

from .circuits.daruan import Executor
from .circuits.daruan_def import Ansatz

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qmem`` command."""
    parser = argparse.ArgumentParser(
        prog="qmem", description="Quantum and quantum-inspired memory models."
    )
    sub = parser.add_subparsers(dest="command")
    fit = sub.add_parser("fit", help="fit a QKAN to a generated 1-D function (the default)")
    from .fit import TARGETS

    fit.add_argument("--function", choices=sorted(TARGETS), default="damped_sine")
    fit.add_argument("--width", type=int, default=4)
    fit.add_argument("--reps", type=int, default=3)
    fit.add_argument("--ansatz", choices=get_args(Ansatz), default="pz")
    fit.add_argument("--executor", choices=get_args(Executor), default="auto")
    fit.add_argument("--epochs", type=int, default=300)
    fit.add_argument("--lr", type=float, default=0.02)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    params = sub.add_parser(
        "params", help="trainable parameters of a model, split quantum / classical"
    )
    params.add_argument("model", help="a registered model name (see qmem.models.names())")
    params.add_argument("--input-size", type=int, default=1)
    params.add_argument("--hidden-size", type=int, default=None)
    params.add_argument("--output-size", type=int, default=1)
    params.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model option, e.g. -o reps=1 -o ansatz=rpz (repeatable)",
    )
    params.add_argument(
        "--budget",
        type=int,
        default=None,
        help="instead: the hidden size whose parameter total is nearest this budget",
    )
    return parser


def _parse_options(items: Sequence[str]) -> dict[str, object]:
    """``["reps=1", "ansatz=pz"]`` -> ``{"reps": 1, "ansatz": "pz"}`` (Python literals or text)."""
    import ast

    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"qmem params: option {item!r} must look like KEY=VALUE")
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[key] = raw
    return out


def _params(args: argparse.Namespace) -> int:
    from .models import build, describe
    from .params import count_parameters, format_counts, hidden_size_for_budget

    options = _parse_options(args.option)
    try:
        if args.budget is not None:
            h = hidden_size_for_budget(
                args.model,
                args.budget,
                input_size=args.input_size,
                output_size=args.output_size,
                **options,
            )
            args.hidden_size = h
            print(f"hidden size {h} is nearest to a budget of {args.budget} parameters")
        model = build(
            args.model,
            input_size=args.input_size,
            hidden_size=args.hidden_size,
            output_size=args.output_size,
            **options,
        )
    except (ValueError, TypeError, ImportError) as err:
        print(f"qmem params: {err}", file=sys.stderr)
        return 2
    print(" ".join(describe(args.model).split("\n\n")[0].split()))  # first paragraph
    print(format_counts(count_parameters(model)))
    return 0


def _fit(args: argparse.Namespace) -> int:
    from .fit import fit_function

    result = fit_function(
        args.function,
        width=args.width,
        reps=args.reps,
        ansatz=args.ansatz,
        executor=args.executor,
        epochs=args.epochs,
        lr=args.lr,
        seed=args.seed,
        progress=not args.no_progress,
    )
    params = result["params"]
    rows = [
        ("function", result["function"]),
        (
            "network",
            f"QKANLayer(1, {args.width}) -> QKANLayer({args.width}, 1), "
            f"{args.ansatz}, reps {args.reps}",
        ),
        ("executor", result["executor"]),
        ("epochs", str(result["epochs"])),
        (
            "parameters",
            f"{params['total']} ({params['quantum']} quantum, {params['classical']} classical)",
        ),
        ("train RMSE", f"{result['train_rmse']:.4g}"),
        ("test RMSE", f"{result['test_rmse']:.4g}"),
    ]
    for key, value in rows:
        print(f"{key:<12} {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qmem`` command; returns the exit status."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if args.command in (None, "fit"):
        if args.command is None:
            args = build_parser().parse_args(["fit"])
        return _fit(args)
    if args.command == "params":
        return _params(args)
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The worst bad inputs, run under a memory and a time limit: each must raise a clear error
at once, never hang or allocate until the machine dies.

One subprocess (so that the limits bind it alone) sets ``RLIMIT_AS`` to 3 GiB before it
imports anything, then runs every case under ``signal.alarm`` (a few seconds each) and
prints one JSON line per case. Each case would, before the bounds, have hung (an ODE solver
without a step budget, a text drawing of 10**9 gates) or allocated gigabytes (a pulse
matrix of 10**12 elements, a Milan grid stretched by a mistyped timestamp, a model of
10**18 parameters).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

MEMORY_LIMIT = 3 * 2**30
"""Address-space limit of the worker (torch itself needs about 1.5 GiB of it)."""

SECONDS_PER_CASE = 5

T0 = 1383260400000  # a bin start of the published Milan data (2013-10-31T23:00Z)

# name -> (statement, expected exception class name, words of the message)
CASES: dict[str, tuple[str, str, list[str]]] = {
    "damped_shm g=1e30": ("datasets.make('damped_shm', g=1e30)", "ValueError",
                          ["time scales"]),
    "damped_shm num=10**9": ("datasets.make('damped_shm', num=10**9)", "ValueError", ["num"]),
    "damped_shm t near 1e17": (
        "datasets.make('damped_shm', t_start=1e17, t_stop=1e17 + 32)", "ValueError",
        ["float64"]),
    "delayed_quantum_control n_max=10**9": (
        "datasets.make('delayed_quantum_control', n_max=10**9)", "ValueError", ["n_max"]),
    "delayed_quantum_control step=1e-12": (
        "datasets.make('delayed_quantum_control', step=1e-12)", "ValueError", ["points"]),
    "delayed_quantum_control pulse matrix": (
        "datasets.make('delayed_quantum_control', n_max=100_000, x_stop=2000.0)", "ValueError",
        ["pulse matrix", "limit"]),
    "population_inversion phase matrix": (
        "datasets.make('population_inversion', mean_photons=1e4, num=10**6)", "ValueError",
        ["phase matrix"]),
    "milan mistyped timestamp": (
        f"milan([f'1\\t{T0}\\t39\\t2.0', f'1\\t{T0}00\\t39\\t2.0'])", "ValueError",
        ["outside 2000-01-01"]),
    "milan far timestamp, gaps filled": (
        f"milan([f'1\\t{T0}\\t39\\t2.0', f'1\\t{T0 + 600_000 * 2_000_000}\\t39\\t2.0'],"
        " gaps='zero')", "ValueError", ["10-minute bins", "at most"]),
    "milan 1e308 summed": (
        f"milan([f'1\\t{T0}\\t39\\t1e308', f'1\\t{T0}\\t40\\t1e308'])", "ValueError",
        ["activity levels"]),
    "window_split 10**6 x window 10**4": (
        "datasets.window_split(np.zeros(10**6), window=10**4)", "ValueError",
        ["windows", "limit"]),
    "make_windows window=10**9": (
        "datasets.make_windows(np.zeros((10, 1)), np.array([5]), window=10**9, horizon=1,"
        " target=0)", "ValueError", ["does not fit"]),
    "build lstm hidden_size=10**9": (
        "models.build('lstm', input_size=1, hidden_size=10**9)", "ValueError",
        ["hidden_size"]),
    "build lstm input_size=10**9": (
        "models.build('lstm', input_size=10**9, hidden_size=1)", "ValueError",
        ["input_size"]),
    "build lstm of 4e10 parameters": (
        "models.build('lstm', input_size=1, hidden_size=100_000)", "ValueError",
        ["parameters", "at most"]),
    "build kan_lstm grid_size=10**9": (
        "models.build('kan_lstm', input_size=1, hidden_size=1, grid_size=10**9)", "ValueError",
        ["grid_size"]),
    "parameter_formula hidden_size=10**30": (
        "models.parameter_formula('lstm', input_size=1, hidden_size=10**30)", "ValueError",
        ["hidden_size"]),
    "hidden_size_for_budget max_hidden=10**9": (
        "params.hidden_size_for_budget('lstm', 10**9, input_size=1, max_hidden=10**9)",
        "ValueError", ["max_hidden"]),
    "fit points=10**9": ("fit.fit_function(points=10**9, progress=False)", "ValueError",
                         ["points"]),
    "fit width=10**9": ("fit.fit_function(width=10**9, progress=False)", "ValueError",
                        ["width"]),
    "circuits draw reps=10**9": (
        "check_exit(cli.main(['circuits', 'draw', 'daruan-pz', '--reps', str(10**9)]), 2)",
        "SystemExit", ["exit 2"]),
}

WORKER = textwrap.dedent(
    """
    import resource, sys
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import json, pathlib, signal, tempfile
    import numpy as np
    from qmem import cli, datasets, fit, models, params

    class Hang(Exception):
        pass

    def alarm(*_):
        raise Hang()

    signal.signal(signal.SIGALRM, alarm)
    folder = pathlib.Path(tempfile.mkdtemp())

    def milan(rows, **options):
        day = folder / "sms-call-internet-mi-2013-11-01.txt"
        day.write_text("\\n".join(rows) + "\\n")
        return datasets.read_milan_raw(day, squares=1, **options)

    def check_exit(code, expected):
        raise SystemExit(f"exit {code}" if code == expected else f"exit {code} (not {expected})")

    cases = json.loads(sys.stdin.read())
    seconds = int(sys.argv[2])
    for name, statement in cases.items():
        signal.alarm(seconds)
        try:
            out = {"error": None, "message": repr(eval(statement))[:500]}
        except Hang:
            out = {"error": "Hang", "message": f"still running after {seconds} s"}
        except BaseException as err:  # MemoryError included: that is a failure too
            out = {"error": type(err).__name__, "message": str(err)[:500]}
        finally:
            signal.alarm(0)
        print(json.dumps({"name": name, **out}), flush=True)
    """
)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, str]]:
    statements = {name: case[0] for name, case in CASES.items()}
    statements.update({name: case[0] for name, case in VALID.items()})
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(MEMORY_LIMIT), str(SECONDS_PER_CASE)],
        input=json.dumps(statements), capture_output=True, text=True,
        timeout=60 + SECONDS_PER_CASE * (len(CASES) + len(VALID)),
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the worker printed nothing (rc {proc.returncode}): {proc.stderr[-2000:]}"
    return {row["name"]: row for row in lines}


@pytest.mark.parametrize("name", list(CASES))
def test_worst_case_fails_fast_and_clearly(outcomes, name):
    _, error, words = CASES[name]
    assert name in outcomes, f"the worker died before {name!r} (memory limit?)"
    got = outcomes[name]
    assert got["error"] == error, f"{name}: {got['error']}: {got['message']}"
    missing = [w for w in words if w not in got["message"]]
    assert not missing, f"{name}: {missing} not in {got['message']!r}"


VALID: dict[str, tuple[str, str]] = {
    # under the same limits the budget search reaches a 10**9-parameter lstm by its formula
    # (4H(H+2) + H + 1 nearest 10**9: H = 15810, by hand), and valid large series are made
    "hidden_size_for_budget lstm 10**9": (
        "params.hidden_size_for_budget('lstm', 10**9, input_size=1)", "15810"),
    "population_inversion at n=1e4": (
        "len(datasets.make('population_inversion', mean_photons=1e4, num=2000))", "2000"),
    "damped_shm 10**6 points": ("len(datasets.make('damped_shm', num=10**6))", "1000000"),
}


@pytest.mark.parametrize("name", list(VALID))
def test_the_limits_leave_room_for_valid_work(outcomes, name):
    got = outcomes[name]
    assert got["error"] is None and got["message"] == VALID[name][1], got

"""docs/cli.md and docs/config.md are generated from the code and must be current."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qmem.cli import build_parser
from qmem.reference import PAGES, cli_reference, config_reference, field_docs, replace_block

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_generated_pages_are_current():
    """In a fresh interpreter (no model or dataset registered by another test)."""
    env = {k: v for k, v in os.environ.items() if k != "QMEM_PLUGINS"}
    out = subprocess.run([sys.executable, "-m", "qmem.reference", "--check", str(DOCS)],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    assert out.returncode == 0, (
        f"{out.stderr.strip()}\nregenerate with `python -m qmem.reference docs` and commit "
        "docs/cli.md and docs/config.md"
    )


def _all_parsers(parser, prog="qmem"):
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_parsers(sub, f"{prog} {name}")


def test_cli_reference_lists_every_command_and_option():
    text = cli_reference()
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > 10
    sections = text.split("\n## ")
    for prog, parser in parsers[1:]:
        body = next((s for s in sections if s.startswith(f"`{prog}`\n")), None)
        assert body is not None, f"no section for {prog}"
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            for flag in action.option_strings:
                assert flag in body, f"{prog}: option {flag} missing"
            if action.help:
                assert " ".join(action.help.split()).replace("|", "\\|") in body
    assert "qmem explain RUN_DIR [--plot OUT.png]" in text


def test_config_reference_lists_every_key():
    from qmem import datasets, models
    from qmem.experiments.config import DataSection, ModelSection, TrainSection

    text = config_reference()
    for section in (DataSection, ModelSection, TrainSection):
        for key in section.model_fields:
            if key != "options":
                assert f"| `{key}` |" in text
    blocks = {b.split("`")[0]: b for b in text.split("\n### `")[1:]}
    for name in (*datasets.names(), *models.names()):
        cls = datasets.config_type(name) if name in datasets.names() else models.config_class(name)
        for key in cls.model_fields:
            assert f"| `{key}` |" in blocks[name], f"{name}.{key} missing"
    # every key of the package's own configs means something (test plugins may lack it)
    own = [n for n in blocks if (datasets.config_type(n) if n in datasets.names()
                                 else models.config_class(n)).__module__.startswith("qmem")]
    rows = [line for n in own for line in blocks[n].splitlines() if line.startswith("| `")]
    rows += [line for line in text.split("\n### `")[0].splitlines() if line.startswith("| `")]
    assert len(own) > 20 and rows
    assert all(not line.rstrip().endswith("|  |") for line in rows)
    assert '| `optimizer` | "adam" or "rmsprop" or "sgd" or "lbfgs" | `"adam"` |' in text
    assert "| `lr` | float | `0.01` | > 0.0, <= 100.0 | learning rate. |" in text


def test_field_docs_follow_the_class_hierarchy():
    from qmem.models.qkan import HQKANLSTMConfig

    docs = field_docs(HQKANLSTMConfig)
    assert docs["seed"].startswith("seed (>= 0)")            # ModelConfig
    assert docs["reps"].startswith("data re-uploadings")      # QKANOptions
    assert docs["latent_size"].startswith("the bottleneck")   # the class itself


def test_replace_block_needs_its_markers():
    with pytest.raises(ValueError, match="no block <!-- generated: cli -->"):
        replace_block("no markers here\n", "cli", "x")
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert replace_block(page, PAGES["cli.md"], cli_reference()) == page

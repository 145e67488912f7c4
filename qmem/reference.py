"""The generated reference pages: the ``qmem`` command and the experiment file.

``docs/cli.md`` and ``docs/config.md`` hold blocks between ``<!-- generated: NAME -->`` and
``<!-- end generated: NAME -->`` written from the code itself: :func:`cli_reference` from the
argparse parser (:func:`qmem.cli.build_parser`), :func:`config_reference` from the typed
configs (types, defaults and ranges from :func:`qmem.config_schema`, meanings from the
``Attributes:`` sections of the config classes' docstrings). ``tests/test_reference.py`` fails
when a page is out of date; ``python -m qmem.reference docs`` rewrites the blocks (prose
outside them is kept).

>>> text = cli_reference()
>>> "## `qmem run`" in text and "| `--resume` |" in text
True
>>> replace_block("a\\n<!-- generated: x -->\\nold\\n<!-- end generated: x -->\\nb\\n", "x", "new")
'a\\n<!-- generated: x -->\\nnew\\n<!-- end generated: x -->\\nb\\n'
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PAGES", "cli_reference", "config_reference", "field_docs", "main", "replace_block"]

PAGES = {"cli.md": "cli", "config.md": "config"}
"""The generated pages under ``docs/`` and the name of each one's block."""


# --------------------------------------------------------------------------- the CLI
def _cell(text: object) -> str:
    """Text for a Markdown table cell (pipes escaped, whitespace folded, RST ````x```` as
    Markdown ```x```)."""
    text = re.sub(r":(?:func|class|mod|data|meth|attr):`~?([^`]+)`", r"``\1``", str(text))
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(text.split())).replace("|", "\\|")


def _option_name(action: argparse.Action, *, short: bool = False) -> str:
    """``--out OUT``; all the option's spellings unless ``short`` (then the first)."""
    if not action.option_strings:
        return action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    names = action.option_strings[0] if short else ", ".join(action.option_strings)
    if action.nargs == 0:
        return names
    if isinstance(action.metavar, tuple):
        return f"{names} {' '.join(action.metavar)}"
    return f"{names} {action.metavar or action.dest.upper()}"


def _default(action: argparse.Action) -> str:
    if action.required or not action.option_strings:
        return "required"
    if action.nargs == 0:
        return ""
    value = action.default
    if value is None:
        return "–"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) if value else "–"
    return str(value)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its actions here (documented as such)
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help or "" for a in action._choices_actions}
    return {}


def _command_section(prog: str, parser: argparse.ArgumentParser, summary: str) -> list[str]:
    lines = [f"## `{prog}`", ""]
    if summary:
        lines += [summary[0].upper() + summary[1:] + ".", ""]
    if parser.description:
        lines += [" ".join(parser.description.split()), ""]
    actions = [a for a in parser._actions
               if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    usage = [prog]
    for a in actions:
        name = _option_name(a, short=True)
        usage.append(name if a.required or not a.option_strings else f"[{name}]")
    subs = _subcommands(parser)
    if subs:
        usage.append("{" + ",".join(subs) + "} ...")
    lines += ["```", " ".join(usage), "```", ""]
    if actions:
        lines += ["| argument | default | choices | meaning |", "|---|---|---|---|"]
        for a in actions:
            choices = ", ".join(map(str, a.choices)) if a.choices else ""
            lines.append(f"| `{_cell(_option_name(a))}` | {_cell(_default(a))} | "
                         f"{_cell(choices)} | {_cell(a.help or '')} |")
        lines.append("")
    helps = _helps(parser)
    for name, sub in subs.items():
        lines += _command_section(f"{prog} {name}", sub, helps.get(name, ""))
    return lines


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """Markdown of every ``qmem`` subcommand with its arguments, from the argparse parser.

    Args:
        parser: the parser (default :func:`qmem.cli.build_parser()`).

    Returns:
        One ``## `qmem NAME` `` section per subcommand (nested ones too): its help, its
        usage and a table of arguments with default, choices and meaning.
    """
    if parser is None:
        from .cli import build_parser

        parser = build_parser()
    helps = _helps(parser)
    lines = ["Global option: `qmem --debug COMMAND ...` shows tracebacks on errors.", ""]
    for name, sub in _subcommands(parser).items():
        lines += _command_section(f"qmem {name}", sub, helps.get(name, ""))
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- the config
_ENTRY = re.compile(r"^(\s+)([A-Za-z_][\w, ]*):\s*(.*)$")


def field_docs(cls: type) -> dict[str, str]:
    """Per-field text from the ``Attributes:`` sections of ``cls`` and its bases (the
    nearest class wins); a grouped entry ``a, b: text`` documents each name.

    >>> class A:
    ...     '''Doc.
    ...
    ...     Attributes:
    ...         x: the first
    ...             option.
    ...         y, z: two more.
    ...     '''
    >>> field_docs(A)
    {'x': 'the first option.', 'y': 'two more.', 'z': 'two more.'}
    """
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        found: dict[str, str] = {}
        inside, indent, current = False, None, None
        for line in doc.splitlines():
            if line.strip() == "Attributes:":
                inside, indent, current = True, None, None
                continue
            if not inside:
                continue
            if not line.strip():
                current = None
                continue
            m = _ENTRY.match(line)
            depth = len(line) - len(line.lstrip())
            if depth == 0:
                inside = False
                continue
            if m and (indent is None or depth == indent):
                indent = depth
                current = [n.strip() for n in m.group(2).split(",") if n.strip()]
                for n in current:
                    found[n] = m.group(3).strip()
            elif current and indent is not None and depth > indent:
                for n in current:
                    found[n] = f"{found[n]} {line.strip()}".strip()
        out.update(found)
    return out


def _json_type(p: dict[str, Any]) -> str:
    if "const" in p:
        return json.dumps(p["const"])
    if "anyOf" in p:
        parts = [_json_type(v) for v in p["anyOf"]]
        return " or ".join(dict.fromkeys(parts))
    if "enum" in p:
        return " or ".join(json.dumps(v) for v in p["enum"])
    if "$ref" in p:
        return p["$ref"].rsplit("/", 1)[-1]
    t = p.get("type")
    if t == "array":
        if "prefixItems" in p:
            return "[" + ", ".join(_json_type(v) for v in p["prefixItems"]) + "]"
        return f"list of {_json_type(p.get('items', {}))}" if p.get("items") else "list"
    names = {"integer": "int", "number": "float", "boolean": "bool", "string": "str",
             "object": "table", "null": "unset"}
    return names.get(t, str(t))


def _json_range(p: dict[str, Any]) -> str:
    for v in p.get("anyOf", []):
        if v.get("type") != "null" and _json_range(v):
            return _json_range(v)
    bounds = []
    for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                      ("exclusiveMaximum", "<")):
        if key in p:
            bounds.append(f"{sign} {p[key]}")
    for key, sign in (("minItems", "at least"), ("maxItems", "at most")):
        if key in p and p.get("minItems") != p.get("maxItems"):
            bounds.append(f"{sign} {p[key]} items")
    return ", ".join(bounds)


def _toml(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _table(schema: dict[str, Any], docs: dict[str, str], skip: Sequence[str] = ()) -> list[str]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    lines = ["| key | type | default | range | meaning |", "|---|---|---|---|---|"]
    for key, p in props.items():
        if key in skip:
            continue
        default = "required" if key in required and "default" not in p else _toml(p.get("default"))
        lines.append(f"| `{key}` | {_cell(_json_type(p))} | `{_cell(default)}` | "
                     f"{_cell(_json_range(p))} | {_cell(docs.get(key, ''))} |")
    return lines


def _first_paragraph(cls: type) -> str:
    """The class docstring's first paragraph, a leading ````[section]``: ```` dropped."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    text = re.sub(r"^``\[\w+\]``:\s*", "", " ".join(doc.split("\n\n")[0].split()))
    return _cell(text[:1].upper() + text[1:])


def config_reference() -> str:
    """Markdown of the experiment file: the keys of ``[data]``, ``[model]`` and ``[train]``,
    then every registered dataset's and model's own options (written flat in its section),
    each with type, default, range and meaning.

    Returns:
        The Markdown text (sections ``## [data]``, ``## [model]``, ``## [train]``,
        ``## Dataset options``, ``## Model options``).

    >>> text = config_reference()
    >>> "### `qkan_lstm`" in text, "| `reps` | int | `3` | >= 1, <= 64 |" in text
    (True, True)
    """
    from . import datasets, models
    from .experiments.config import DataSection, ExperimentConfig, ModelSection, TrainSection

    lines = ["## Top level", ""]
    lines += _table(ExperimentConfig.model_json_schema(), field_docs(ExperimentConfig),
                    skip=("data", "model", "train"))
    for title, section, note in (
        ("[data]", DataSection, "The named dataset's own options (below) go in this section "
         "too."),
        ("[model]", ModelSection, "The named model's own options (below) go in this section "
         "too."),
        ("[train]", TrainSection, "Every key is optional."),
    ):
        lines += ["", f"## `{title}`", "", f"{_first_paragraph(section)} {note}", ""]
        lines += _table(section.model_json_schema(), field_docs(section), skip=("options",))
    lines += ["", "## Dataset options", "",
              "Each dataset's own keys, written in `[data]` next to `name`.", ""]
    for name in datasets.names():
        cls = datasets.config_type(name)
        lines += [f"### `{name}`", "", _cell(datasets.spec(name).summary), ""]
        lines += [*_table(cls.model_json_schema(), field_docs(cls)), ""]
    lines += ["## Model options", "",
              "Each model's own keys, written in `[model]` next to `name` and `hidden_size`.",
              ""]
    for name in models.names():
        cls = models.config_class(name)
        lines += [f"### `{name}`", "", _first_paragraph(cls), ""]
        lines += [*_table(cls.model_json_schema(), field_docs(cls)), ""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- the pages
def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block between ``<!-- generated: name -->`` and
    ``<!-- end generated: name -->`` replaced by ``body``.

    Raises:
        ValueError: the markers are missing (or out of order).
    """
    start, end = f"<!-- generated: {name} -->\n", f"<!-- end generated: {name} -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no block {start.strip()} ... {end} in the page")
    return text[: i + len(start)] + body.rstrip("\n") + "\n" + text[j:]


def _generated(name: str) -> str:
    return {"cli": cli_reference, "config": config_reference}[name]()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m qmem.reference [--check] DOCS_DIR``: rewrite (or, with ``--check``,
    compare) the generated blocks of ``DOCS_DIR/cli.md`` and ``DOCS_DIR/config.md``; returns
    1 when ``--check`` finds a page out of date, else 0.

    >>> import tempfile, pathlib
    >>> docs = pathlib.Path(tempfile.mkdtemp())
    >>> for page, block in PAGES.items():
    ...     _ = (docs / page).write_text(f"# {page}\\n<!-- generated: {block} -->\\n"
    ...                                  f"<!-- end generated: {block} -->\\n")
    >>> main(["--check", str(docs)]), main([str(docs)]), main(["--check", str(docs)])
    (1, 0, 0)
    """
    parser = argparse.ArgumentParser(prog="python -m qmem.reference")
    parser.add_argument("docs", help="the docs folder")
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    stale = []
    for page, block in PAGES.items():
        path = Path(args.docs) / page
        old = path.read_text(encoding="utf-8")
        new = replace_block(old, block, _generated(block))
        if new != old:
            stale.append(str(path))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if stale:
        verb = "out of date" if args.check else "rewritten"
        print(f"{verb}: {', '.join(stale)}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Every public name of every qmem module has a docstring; functions and classes an example.

Public names are those in a module's ``__all__``; each object is checked once, in the module
that defines it (re-exports point there). The rules:

- a function or class needs a docstring holding a ``>>>`` example (the doctests run in
  ``tests/test_doctests.py``), or the module's docstring must show it in a ``>>>`` example
  (a ``>>>``/``...`` line naming it);
- a submodule listed in ``__all__`` needs a module docstring;
- any other name (a constant, a ``Literal`` alias) needs an attribute docstring: a string
  literal right after its assignment (``NAME = ...`` then ``\"\"\"What it is.\"\"\"``);
- every module needs a docstring and an ``__all__``.

``PENDING`` (empty now) may list known failures; the test fails on any failure not listed
AND on any listed entry that passes, so such a list can only shrink.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
import types
from functools import cache

import qmem

# Known gaps: none. Every public name is documented (issue 14). An entry here,
# "module:name" -> "docstring" | "example" | "__all__", would excuse one failure; the test
# also fails on an entry that passes, so a list like this can only shrink. Keep it empty.
PENDING: dict[str, str] = {}


def _modules() -> list[str]:
    names = {"qmem"}
    names.update(m.name for m in pkgutil.walk_packages(qmem.__path__, "qmem."))
    for sub in ("qmem.circuits", "qmem.classical", "qmem.datasets"):
        pkg = importlib.import_module(sub)
        names.add(sub)
        names.update(m.name for m in pkgutil.walk_packages(pkg.__path__, sub + "."))
    return sorted(n for n in names if not n.endswith("__main__"))


@cache
def _module_names(module_name: str) -> tuple[frozenset[str], dict[str, str]]:
    """Of a module's source: the names assigned at module level and followed by a string
    literal (attribute docstrings), and the names imported ``from`` another qmem module
    (name -> that module)."""
    module = importlib.import_module(module_name)
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return frozenset(), {}
    documented = set()
    imported: dict[str, str] = {}
    package = module_name if hasattr(module, "__path__") else module_name.rpartition(".")[0]
    body = tree.body
    for stmt, nxt in zip(body, [*body[1:], None], strict=True):
        if isinstance(stmt, ast.ImportFrom):
            source = importlib.util.resolve_name("." * stmt.level + (stmt.module or ""),
                                                 package) if stmt.level else stmt.module
            for alias in stmt.names:
                if source and source.startswith("qmem"):
                    imported[alias.asname or alias.name] = source
            continue
        if not (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)):
            continue
        targets = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets = [stmt.target]
        elif hasattr(ast, "TypeAlias") and isinstance(stmt, ast.TypeAlias):
            targets = [stmt.name]
        documented.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(documented), imported


def _attribute_docs(module_name: str) -> frozenset[str]:
    return _module_names(module_name)[0]


def _constant_home(module_name: str, name: str) -> str:
    """Where a non-callable public name is assigned: follow ``from x import name`` chains."""
    for _ in range(10):
        source = _module_names(module_name)[1].get(name)
        if source is None:
            return module_name
        try:
            importlib.import_module(source)
        except ImportError:
            return module_name
        module_name = source
    return module_name


def _shown_in_module_example(module: types.ModuleType, name: str) -> bool:
    lines = [ln.strip() for ln in (module.__doc__ or "").splitlines()]
    code = [ln[4:] for ln in lines if ln.startswith((">>> ", "... "))]
    return any(re.search(rf"\b{re.escape(name)}\b", ln) for ln in code)


def _home(obj: object, module_name: str) -> str:
    """The module that defines ``obj`` (functions and classes), else ``module_name``."""
    home = getattr(obj, "__module__", None) if callable(obj) else None
    return home if isinstance(home, str) and home.startswith("qmem") else module_name


def _failures(module_names: list[str] | None = None) -> dict[str, str]:
    """``"module:name" -> "docstring" | "example" | "__all__"`` for every failing name."""
    failures: dict[str, str] = {}
    seen: set[int] = set()
    for module_name in module_names or _modules():
        module = importlib.import_module(module_name)
        if not (module.__doc__ or "").strip():
            failures[f"{module_name}:"] = "docstring"
        if not hasattr(module, "__all__"):
            failures[f"{module_name}:"] = "__all__"
            continue
        for name in module.__all__:
            if name.startswith("__") and name.endswith("__"):
                continue  # __version__ and the like
            obj = getattr(module, name)
            if inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj):
                if id(obj) in seen:
                    continue
                home = _home(obj, module_name)
                if home != module_name and name in getattr(
                    importlib.import_module(home), "__all__", ()
                ):
                    continue  # checked where it is defined
                seen.add(id(obj))
                doc = inspect.getdoc(obj) if obj.__doc__ else None
                if inspect.isclass(obj) and obj.__doc__ is None:
                    doc = None
                key = f"{home}:{obj.__qualname__}"
                if not (doc or "").strip():
                    failures[key] = "docstring"
                elif ">>>" not in doc and not _shown_in_module_example(
                    importlib.import_module(home), name
                ) and not _shown_in_module_example(module, name):
                    failures[key] = "example"
            elif isinstance(obj, types.ModuleType):
                if not (obj.__doc__ or "").strip():
                    failures[f"{module_name}:{name}"] = "docstring"
            else:
                home = _constant_home(module_name, name)
                if name not in _attribute_docs(home) and f"{home}:{name}" not in failures:
                    failures[f"{home}:{name}"] = "docstring"
    return failures


def test_every_public_name_is_documented():
    failures = _failures()
    new = {k: v for k, v in failures.items() if PENDING.get(k) != v}
    fixed = sorted(k for k in PENDING if failures.get(k) != PENDING[k])
    assert not new, (
        f"{len(new)} public name(s) without a docstring or example:\n"
        + "\n".join(f"  {k}: {v}" for k, v in sorted(new.items()))
    )
    assert not fixed, "fixed, now delete from PENDING: " + ", ".join(fixed)


PROBE = '''"""A probe module.

>>> shown(1)
1
"""

__all__ = ["LIMIT", "UNDOCUMENTED", "Probe", "bare", "no_example", "shown", "with_example"]

LIMIT = 3
"""A documented constant."""
UNDOCUMENTED = 4


def shown(x):
    """Shown in the module's example."""
    return x


def bare():
    pass


def no_example():
    """Documented, without an example."""


def with_example():
    """Documented.

    >>> with_example()
    """


class Probe:
    """A class without an example."""
'''


def test_the_rules_can_fail(tmp_path):
    """On a probe module: a missing docstring, a missing example, an undocumented constant
    and a module without ``__all__`` are all reported; the documented names are not."""
    (tmp_path / "qmem_probe_mod.py").write_text(PROBE)
    (tmp_path / "qmem_probe_bare.py").write_text("x = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        found = _failures(["qmem_probe_mod", "qmem_probe_bare"])
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("qmem_probe_mod", "qmem_probe_bare"):
            sys.modules.pop(name, None)
    assert found == {
        "qmem_probe_mod:UNDOCUMENTED": "docstring",
        "qmem_probe_mod:bare": "docstring",
        "qmem_probe_mod:no_example": "example",
        "qmem_probe_mod:Probe": "example",
        "qmem_probe_bare:": "__all__",
    }


def test_pending_entries_name_real_objects():
    for key in PENDING:
        module_name, _, name = key.partition(":")
        obj = importlib.import_module(module_name)
        for part in filter(None, name.split(".")):
            obj = getattr(obj, part)

"""Run every module's docstring examples, imported through the ``qmem`` namespace."""

import doctest
import importlib
import pkgutil

import pytest

import qmem


def _modules() -> list[str]:
    names = {"qmem"}
    for m in pkgutil.walk_packages(qmem.__path__, "qmem."):
        names.add(m.name)
    # the mapped folders (circuits/, classical/, datasets/) live outside qmem/ on disk
    for sub in ("qmem.circuits", "qmem.classical", "qmem.datasets"):
        pkg = importlib.import_module(sub)
        names.add(sub)
        names.update(m.name for m in pkgutil.walk_packages(pkg.__path__, sub + "."))
    return sorted(n for n in names if not n.endswith("__main__"))  # importing it runs the CLI


@pytest.mark.parametrize("name", _modules())
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"

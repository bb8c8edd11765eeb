"""The layers stay apart: no import circle among the product's modules, and the contracts in
pyproject.toml ([tool.importlinter]) hold. Both also run on their own in .ci/run."""

import importlib.util
from pathlib import Path
from types import ModuleType

from importlinter.cli import lint_imports

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "import_cycles.py"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cycle_finder_finds_a_circle_and_only_the_modules_in_it() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _checker().cycles(imports) == [["a", "b", "c"], ["e"]]


def test_no_module_of_the_product_is_in_an_import_circle() -> None:
    checker = _checker()
    assert checker.cycles(checker.import_graph()) == []


def test_the_layering_contracts_hold(project_root, monkeypatch) -> None:
    monkeypatch.chdir(project_root)
    assert lint_imports(no_cache=True) == 0

"""The packages of harness/ are layers: each may import only the layers below it (LAYERS), no module
imports itself round a cycle, and no module of harness/ or reference_provider/ grows past MAX_LINES. A new
module goes in the lowest layer whose imports it needs; tests/README.md says where its tests go."""

import ast
from pathlib import Path

from harness.settings import PROJECT_ROOT

HARNESS = PROJECT_ROOT / "harness"
REFERENCE_PROVIDER = PROJECT_ROOT / "reference_provider"
MAX_LINES = 400

# Each layer and the layers it may import (its own always). "core" is harness/*.py: settings, errors,
# the clock; spec is GP Connect 1.2.7 as data. Bottom to top.
LAYERS = {
    "core": {"spec"},
    "spec": {"core"},
    "transport": {"core", "spec"},
    "checks": {"core", "spec", "transport"},
    "consumer": {"core", "spec", "transport", "checks"},
    "judge": {"core", "spec", "transport", "checks", "consumer"},
    "explore": {"core", "spec", "transport", "checks", "consumer", "judge"},
    "outcome": {"core", "spec", "transport", "checks"},
    "report": {"core", "spec", "transport", "checks", "outcome"},
    "cli": {"core", "spec", "transport", "checks", "consumer", "judge", "explore", "outcome", "report"},
}
ENTRY_POINTS = {"harness.__main__": "cli"}  # `python -m harness` is the command line


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (HARNESS / parts[1]).is_dir() else "core"


def _runtime_nodes(tree: ast.AST):
    """Every node of the tree but those under `if TYPE_CHECKING:` (imports for annotations only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(path: Path) -> set[str]:
    """The harness modules `path` imports when it runs, at the top or inside a function."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "harness":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                is_module = (PROJECT_ROOT / (full.replace(".", "/") + ".py")).exists()
                found.add(full if is_module else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "harness")
    return found


def graph(root: Path = HARNESS) -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in root.rglob("*.py")}


def crossings(modules: dict[str, set[str]]) -> list[str]:
    """Each import that reaches a layer its module's layer may not import."""
    wrong = []
    for module, imported in sorted(modules.items()):
        mine = layer_of(module)
        for other in sorted(imported):
            theirs = layer_of(other)
            if theirs != mine and theirs not in LAYERS[mine]:
                wrong.append(f"{module} ({mine}) imports {other} ({theirs})")
    return wrong


def cycles(modules: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(modules.get(module, ())):
            if other not in modules:
                continue
            if state.get(other) == "open":
                found.append(path[path.index(other):] + [other])
            elif other not in state:
                visit(other, path + [other])
        state[module] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    return found


def test_every_package_is_a_declared_layer():
    packages = {p.name for p in HARNESS.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS) - {"core"}


def test_no_import_crosses_a_layer_the_wrong_way():
    assert crossings(graph()) == []


def test_no_module_imports_itself_round_a_cycle():
    assert cycles(graph()) == []


def test_no_module_grows_past_its_limit():
    sizes = {str(p.relative_to(PROJECT_ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for root in (HARNESS, REFERENCE_PROVIDER) for p in root.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def test_a_check_importing_the_consumer_would_be_named():
    modules = {"harness.checks.violations": {"harness.consumer.discovery"}, "harness.consumer.discovery": set()}
    assert crossings(modules) == [
        "harness.checks.violations (checks) imports harness.consumer.discovery (consumer)"]


def test_a_cycle_would_be_named():
    modules = {"harness.cli.a": {"harness.cli.b"}, "harness.cli.b": {"harness.cli.a"}}
    assert cycles(modules) == [["harness.cli.a", "harness.cli.b", "harness.cli.a"]]

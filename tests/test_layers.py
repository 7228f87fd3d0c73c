"""The plan of django_pat/: each module imports only from its own layer or the
layers below it (at module level and inside functions alike), no two modules
import each other in a circle, and the pure core imports nothing from Django
or DRF. A new module must be given a layer here. Imports under ``if
TYPE_CHECKING:`` never run and are not counted: a model's manager may name the
model in its annotations."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "django_pat"

# Lowest first. A module may import from its own layer and the ones before it.
LAYERS: list[tuple[str, set[str]]] = [
    ("pure core: no Django", {"tokens", "ip", "formats", "scopes"}),
    ("settings", {"conf_types", "conf_lifecycle", "conf_leaks", "conf"}),
    ("errors and signals", {"exceptions", "signals"}),
    (
        "the model",
        {
            "users",
            "lifecycle",
            "querysets",
            "validation_text",
            "validation",
            "fields",
            "managers",
            "models",
            "rotation",
        },
    ),
    ("reading tokens", {"lookup", "client_ip", "redis_wire", "process_copy", "cache_copy"}),
    ("cache mode", {"cache", "invalidation", "user_changes"}),
    ("notices, and the leak reports that send them", {"notices", "leaks"}),
    ("the one decision", {"verification"}),
    ("doors", {"authentication", "middleware", "backends"}),
    (
        "API parts",
        {
            "serializer_fields",
            "serializer_requests",
            "serializers",
            "forms",
            "pagination",
            "parsers",
            "throttling",
            "converters",
        },
    ),
    ("API parts, scopes enforced", {"permissions"}),
    (
        "views, schema, admin, commands",
        {
            "views",
            "views_leaks",
            "github_scanning",
            "views_schema",
            "openapi_components",
            "openapi",
            "openapi_lifecycle",
            "ui",
            "admin",
            "management",
        },
    ),
    ("wiring", {"urls", "urls_ui", "checks", "apps", "trigram"}),
]
PURE = LAYERS[0][1]
FRAMEWORKS = {"django", "rest_framework", "drf_spectacular", "asgiref"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    # Migrations are Django's to import, and may import only what they name.
    return {
        name: path for name, path in found.items() if name.split(".")[0] not in {"", "migrations"}
    }


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for index, (_name, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"django_pat.{module} has no layer: give it one in {__file__}")


def imports(module: str, path: Path) -> tuple[set[str], set[str]]:
    """The django_pat modules and the other top-level packages ``module`` imports."""
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    ours: set[str] = set()
    others: set[str] = set()
    for node in _nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("django_pat."):
                    ours.add(alias.name.removeprefix("django_pat."))
                else:
                    others.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module == "django_pat" or (node.module or "").startswith("django_pat."):
                target = (node.module or "").removeprefix("django_pat").lstrip(".")
            else:
                others.add((node.module or "").split(".")[0])
                continue
            for alias in node.names:
                # "from . import cache" names a module; "from .conf import x" a name in one.
                candidate = f"{target}.{alias.name}" if target else alias.name
                ours.add(candidate if candidate in modules() else target)
    ours.discard("")
    ours.discard(module)
    return ours, others


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``."""
    found = []
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
            found.extend(_nodes(ast.Module(body=child.orelse, type_ignores=[])))
            continue
        found.append(child)
        found.extend(_nodes(child))
    return found


GRAPH = {name: imports(name, path) for name, path in modules().items()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_a_module_imports_no_higher_layer(module: str) -> None:
    mine = layer_of(module)
    higher = {
        imported: LAYERS[layer_of(imported)][0]
        for imported in GRAPH[module][0]
        if layer_of(imported) > mine
    }

    assert higher == {}, f"django_pat.{module} ({LAYERS[mine][0]}) imports {higher}"


@pytest.mark.parametrize("module", sorted(PURE))
def test_the_pure_core_imports_only_the_standard_library(module: str) -> None:
    ours, others = GRAPH[module]

    assert ours <= PURE
    assert others <= set(sys.stdlib_module_names) | {"__future__"}, others - FRAMEWORKS


def test_no_import_cycles() -> None:
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = [*trail[trail.index(module) :], module]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for imported in GRAPH.get(module, (set(), set()))[0]:
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_the_graph_is_read_at_all() -> None:
    """The checks above would pass on an empty graph."""
    assert {"models", "conf", "signals"} <= GRAPH["invalidation"][0]
    assert "verification" in GRAPH["authentication"][0]
    assert "models" not in GRAPH["validation"][0]  # only for type checking

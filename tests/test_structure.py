"""The package's structure: no import circle; every array a run changes is declared state."""

import ast
import pathlib

import lifnet
from lifnet.integrators import layout as L

PACKAGE = pathlib.Path(lifnet.__file__).resolve().parent


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """lifnet modules a file imports, at its top level or inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.startswith("lifnet"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lifnet"))
    return found


def test_no_module_imports_itself_through_a_circle():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # Edges to the package itself (lifnet/__init__, which gathers the public names)
        # and to lifnet.__version__ are not part of a circle a reader must follow.
        graph[name] = {m for m in _imports(path) if m in modules and m not in (name, "lifnet")}
    state, circle = {}, []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circle.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circle, " -> ".join(circle[0])


def test_every_field_of_every_layout_group_is_declared_state_structure_or_scratch():
    """A new array in a layout group must be declared in its class (STATE, STRUCTURE,
    DERIVED, SCRATCH): checkpoints save what STATE lists, so an undeclared state array
    would be lost."""
    for cls in L.GROUPS.values():
        declared = cls.STATE + cls.STRUCTURE + cls.DERIVED + cls.SCRATCH
        assert sorted(declared) == sorted(cls._fields), cls.__name__
        assert len(set(declared)) == len(declared), cls.__name__

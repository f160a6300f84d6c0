"""The package layout's rules, checked from the source: every import statement, read with ast.

Every import counts: module level, inside functions, under ``if TYPE_CHECKING``, relative
or absolute. A module's imports are edges between the package's modules (``from a import
b`` is an edge to ``a.b`` when that is a module, else to ``a``); third-party imports are
kept by their top-level name for the rules on where a dependency may be imported.

:func:`problems` lists every broken rule as a sentence; an empty list is a kept layout.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAX_LINES = 600
MAX_ROOT_MODULES = 14
MAX_FUNCTION_LINES = 60
SHORT_FUNCTIONS = ("oauth",)
"""Places whose functions stay short (``def`` to last line, at most MAX_FUNCTION_LINES):
a long one interleaves steps that want names of their own."""

CORE = ("oauth", "scenario", "model", "keys", "store", "presets")
"""The protocol core and its data: free of HTTP, the control API and the composition."""
ABOVE_CORE = ("http", "control", "asgi")

THIRD_PARTY_HOMES: Mapping[str, tuple[str, ...]] = {
    "joserfc": ("keys",),
    "yaml": ("scenario",),
    "jsonschema": ("scenario",),
    "boto3": ("store.dynamodb", "hosting.deploy"),  # state; the per-PR stack (CloudFormation)
    "botocore": ("store.dynamodb", "hosting.deploy"),
    "mangum": ("lambda_handler",),
    "uvicorn": ("cli", "hosting", "testing.serving"),
}
"""Where each optional or heavy dependency may be imported (dotted, under the package)."""

FORBIDDEN: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (CORE, ABOVE_CORE, "the core never imports http, control or asgi"),
    (("http",), ("control",), "http never imports control"),
    (("scenario",), ("oauth",), "the scenario format never imports the protocol"),
    (("store", "model"), ("oauth", "scenario", "keys", "presets"), "a seam imports no tier"),
)
"""(importers, imported, why): places under the package, as dotted prefixes."""

OAUTH_TOP = ("oauth.provider", "oauth.discovery")
"""The protocol's face, on top of its rooms: the only modules of oauth/'s root that may
import them."""
OAUTH_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        ("oauth.clients", "oauth.scripted", "oauth.tokens"),
        ("oauth.signin", "oauth.sessions", "oauth.grants", "oauth.vendors"),
        "clients, scripted and tokens sit below the flows",
    ),
    (
        ("oauth.signin",),
        ("oauth.sessions", "oauth.grants", "oauth.vendors"),
        "signin sits below sessions, grants and vendors",
    ),
)
"""Rooms of oauth/ that never import other rooms, as FORBIDDEN says it for the tiers."""

EDGES: Mapping[str, tuple[str, ...]] = {"audit": ("cli",)}
"""Tiers at the edge, like testing/: they may import the rest, and nothing imports them but
the places listed (the command line)."""

STARLETTE_FREE = CORE
"""Places that never import Starlette (the core raises; only http renders)."""

CORE_INTERNALS: tuple[tuple[str, str], ...] = (("deps", "oauth"),)
"""(attribute, the place that owns it): ``provider.deps`` is the core's own wiring; code
elsewhere asks the Provider (``provider.state``, ``provider.client(...)``, ...)."""


@dataclass(frozen=True)
class Module:
    name: str
    """Dotted, without the package: ``oauth.provider``; ``""`` for the package itself."""
    path: Path
    lines: int
    imports: frozenset[str] = field(default_factory=frozenset)
    """Modules of the package this one imports (dotted, without the package)."""
    third_party: frozenset[str] = field(default_factory=frozenset)
    """Top-level names of everything else it imports."""
    imports_root: bool = False
    """Whether it imports the package's own ``__init__`` (``from mockidp import x``)."""
    attributes: frozenset[tuple[str, int]] = frozenset()
    """Attributes it reads or writes by name (``x.deps``), with the first line of each."""
    functions: tuple[tuple[str, int], ...] = ()
    """Every function and method (nested ones too): its name and its length in lines."""


def read_package(root: Path) -> dict[str, Module]:
    """Every module under ``root`` (a package directory), with its imports."""
    package = root.name
    files: dict[str, tuple[Path, bool]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        files[".".join(parts)] = (path, is_package)
    modules: dict[str, Module] = {}
    for name, (path, is_package) in files.items():
        text = path.read_text(encoding="utf-8")
        here = name.split(".") if name else []
        base = here if is_package else here[:-1]
        inside: set[str] = set()
        outside: set[str] = set()
        imports_root = False
        attributes: dict[str, int] = {}
        functions: list[tuple[str, int]] = []
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.Attribute):
                line = attributes.get(node.attr, node.lineno)
                attributes[node.attr] = min(line, node.lineno)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((node.name, (node.end_lineno or node.lineno) - node.lineno + 1))
            for target in _targets(node, package, base):
                if target is None:
                    continue
                if target[0] != package:
                    outside.add(target[0])
                    continue
                dotted = ".".join(target[1:])
                found = _longest(dotted, files)
                if found == "":  # `import mockidp`, `from mockidp import __version__`
                    imports_root = name != ""
                elif found is not None and found != name:
                    inside.add(found)
        modules[name] = Module(
            name=name,
            path=path,
            lines=len(text.splitlines()),
            imports=frozenset(inside),
            third_party=frozenset(outside),
            imports_root=imports_root,
            attributes=frozenset(attributes.items()),
            functions=tuple(functions),
        )
    return modules


def _targets(node: ast.AST, package: str, base: list[str]) -> Iterable[list[str] | None]:
    """The dotted names (as parts, absolute) an import statement reaches."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name.split(".")
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            up = node.level - 1
            if up > len(base):
                yield None
                return
            origin = [package, *base[: len(base) - up]]
        else:
            origin = []
        module = [*origin, *(node.module.split(".") if node.module else [])]
        for alias in node.names:
            yield [*module, alias.name] if alias.name != "*" else module


def _longest(dotted: str, files: Mapping[str, object]) -> str | None:
    """The longest prefix of ``dotted`` that is a module of the package."""
    parts = dotted.split(".") if dotted else []
    while True:
        candidate = ".".join(parts)
        if candidate in files:
            return candidate
        if not parts:
            return None
        parts.pop()


def cycles(modules: Mapping[str, Module]) -> list[list[str]]:
    """Every group of modules that import each other, round and round (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # iterative, so a deep package cannot exhaust the recursion limit
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(modules[start].imports)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for target in edges:
                if target not in modules:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(modules[target].imports))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return found


def _under(name: str, places: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in places)


def _room_problems(modules: Mapping[str, Module], package: str) -> list[str]:
    """oauth/'s rooms: its base (the modules at its root but the face) imports no room,
    the rooms import only downward (OAUTH_RULES), and only the provider imports vendors."""
    rooms = {
        ".".join(n.split(".")[:2]) for n in modules if n.startswith("oauth.") and n.count(".") >= 2
    }
    found: list[str] = []
    for module in modules.values():
        name = module.name
        if not name.startswith("oauth."):
            continue
        is_base = name.count(".") == 1 and name not in rooms and name not in OAUTH_TOP
        for target in sorted(module.imports):
            room = next((r for r in rooms if _under(target, [r])), None)
            if room is None or _under(name, [room]):
                continue
            if is_base:
                found.append(
                    f"{package}.{name} imports {package}.{target}: the base imports no room"
                )
            if room == "oauth.vendors" and name != "oauth.provider":
                found.append(
                    f"{package}.{name} imports {package}.{target}: only the provider imports vendors"
                )
            for importers, imported, why in OAUTH_RULES:
                if _under(name, importers) and room in imported:
                    found.append(f"{package}.{name} imports {package}.{target}: {why}")
    return found


def problems(
    root: Path,
    *,
    max_lines: int = MAX_LINES,
    max_root_modules: int = MAX_ROOT_MODULES,
    max_function_lines: int = MAX_FUNCTION_LINES,
) -> list[str]:
    """Every broken layout rule of the package at ``root``, one sentence each."""
    modules = read_package(root)
    package = root.name
    found: list[str] = []
    for group in cycles(modules):
        shown = ", ".join(f"{package}.{m}" if m else package for m in group)
        found.append(f"import circle between {shown}")
    for module in modules.values():
        label = f"{package}.{module.name}" if module.name else package
        if module.imports_root:
            found.append(f"{label} imports the package's own __init__")
        for importers, imported, why in FORBIDDEN:
            if not _under(module.name, importers):
                continue
            for target in sorted(module.imports):
                if _under(target, imported):
                    found.append(f"{label} imports {package}.{target}: {why}")
        for attribute, line in sorted(module.attributes):
            for name, owner in CORE_INTERNALS:
                if attribute == name and not _under(module.name, (owner,)):
                    where = f"{package}/{owner}/"
                    found.append(
                        f"{label} uses .{name} (line {line}): only {where} reaches into it"
                    )
        for edge, users in EDGES.items():
            if _under(module.name, (edge, *users)):
                continue
            for target in sorted(module.imports):
                if _under(target, (edge,)):
                    found.append(f"{label} imports {package}.{target}: nothing imports {edge}/")
        if _under(module.name, STARLETTE_FREE) and "starlette" in module.third_party:
            found.append(f"{label} imports starlette: only http renders")
        for dependency, homes in THIRD_PARTY_HOMES.items():
            if dependency in module.third_party and not _under(module.name, homes):
                where = ", ".join(f"{package}/{h.replace('.', '/')}" for h in homes)
                found.append(f"{label} imports {dependency}, which belongs in {where} only")
    found.extend(_room_problems(modules, package))
    for module in modules.values():
        relative = module.path.relative_to(root.parent).as_posix()
        if module.lines > max_lines:
            found.append(f"{relative} has {module.lines} lines, over {max_lines}")
        if _under(module.name, SHORT_FUNCTIONS):
            for function, length in module.functions:
                if length > max_function_lines:
                    found.append(
                        f"{relative}: {function} has {length} lines, over {max_function_lines}"
                    )
    at_root = [m for m in modules.values() if m.path.parent == root]
    if len(at_root) > max_root_modules:
        names = ", ".join(sorted(m.path.name for m in at_root))
        found.append(
            f"{len(at_root)} modules directly in {package}/, over {max_root_modules}: {names}"
        )
    return found

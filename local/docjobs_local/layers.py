"""What a function may import: the packages its layers ship, checked as its code imports them;
and the data files it finds: those its layers ship.

On Lambda a function sees its own code, its layers (``/opt/python``) and the Python runtime's
own packages (the standard library and boto3 with its dependencies). Locally every package of
every layer is installed in one virtualenv, so a stage that imports a package from a layer it
does not have would pass every test and fail on AWS with ``Runtime.ImportModuleError`` or an
``ImportError`` in the middle of a job. The local runtime therefore checks, while a function
runs, every ``import`` made by code the function ships (its own directory and the ``docjobs``
package of the common layer): the top-level module must be the standard library's, the
runtime's, or provided by one of the function's layers (a layer's ``requirements.txt`` with
every dependency of those requirements, and the packages in the layer's directory).

Imports made by third-party code are not checked: a package's own dependencies are installed
with it into the same layer. Modules already imported by another function still count: the
check runs on every ``import`` statement, not only on the first load.
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import functools
import importlib.machinery
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

#: What the python3.12 managed runtime ships besides the standard library.
RUNTIME_DISTRIBUTIONS = ("boto3",)
#: Importers whose imports are checked: the function's own modules and the shared package.
_CHECKED_IMPORTERS = ("docjobs.", "_docjobs_local_fn.")


@dataclass(frozen=True)
class FunctionImports:
    """The top-level modules one function may import, and where they come from (for messages)."""

    function: str
    layers: tuple[str, ...]
    modules: frozenset[str]
    #: What its layers ship besides packages (the content directories in DATA_LAYERS).
    data: frozenset[str] = frozenset()


class LayerImportError(ModuleNotFoundError):
    """A function imported a package none of its layers ships (ImportError on AWS)."""


_current: contextvars.ContextVar[FunctionImports | None] = contextvars.ContextVar(
    "docjobs_local_function_imports", default=None
)
_original_import = builtins.__import__
_installed = False


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _modules_by_distribution() -> dict[str, frozenset[str]]:
    """Normalized distribution name → the top-level modules it installs (in this environment)."""
    out: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            out.setdefault(_normalize(distribution), set()).add(module)
    return {name: frozenset(modules) for name, modules in out.items()}


def distribution_closure(requirements: Iterable[str]) -> set[str]:
    """The distributions the requirements install, with their dependencies (as pip would)."""
    seen: set[str] = set()
    pending = [Requirement(r) for r in requirements]
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = _normalize(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: nothing below it can be known
        for extra in requirement.extras:
            pending.extend(
                r
                for r in map(Requirement, requires)
                if r.marker is not None and r.marker.evaluate({"extra": extra})
            )
        pending.extend(Requirement(r) for r in requires)
    return seen


def _requirement_lines(path: Path) -> Iterator[str]:
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            yield line


@cache
def layer_modules(content_dir: Path) -> frozenset[str]:
    """The top-level modules a layer built from ``content_dir`` provides: its requirements'
    distributions with their dependencies, and the Python packages in the directory itself."""
    modules: set[str] = set()
    requirements = content_dir / "requirements.txt"
    if requirements.is_file():
        by_distribution = _modules_by_distribution()
        for distribution in distribution_closure(_requirement_lines(requirements)):
            modules |= by_distribution.get(distribution, frozenset())
    modules |= {p.name for p in content_dir.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    return frozenset(modules)


@cache
def runtime_modules() -> frozenset[str]:
    by_distribution = _modules_by_distribution()
    modules = set(sys.stdlib_module_names) | set(sys.builtin_module_names) | {"__future__"}
    for distribution in distribution_closure(RUNTIME_DISTRIBUTIONS):
        modules |= by_distribution.get(distribution, frozenset())
    return frozenset(modules)


def function_imports(function: str, code_dir: Path, layers: dict[str, Path]) -> FunctionImports:
    """What ``function`` may import, given its code directory and its layers' content dirs."""
    own = {p.stem for p in code_dir.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    modules = set(runtime_modules()) | own
    for content_dir in layers.values():
        modules |= layer_modules(content_dir)
    data = frozenset(d.name for d in layers.values() if d.name in DATA_LAYERS)
    return FunctionImports(function, tuple(layers), frozenset(modules), data)


def template_function_imports(template: Any, logical_id: str) -> FunctionImports:
    """What function ``logical_id`` of a ``ResolvedTemplate`` may import: its code directory and
    the layers it lists (Globals included), each layer's content directory from its ContentUri."""
    props = template.function_properties(logical_id)
    by_name = {
        str(template.ref(layer)): layer
        for layer in template.resources_of_type("AWS::Serverless::LayerVersion")
    }
    content: dict[str, Path] = {}
    for ref in props.get("Layers") or []:
        layer = by_name.get(str(ref))
        if layer is None:
            raise ValueError(f"{logical_id}: layer {ref} is not a layer of this template")
        uri = template.resolve(template.resource(layer).get("Properties") or {})["ContentUri"]
        content[layer] = (template.base_dir / str(uri)).resolve()
    code_dir = (template.base_dir / str(props.get("CodeUri") or ".")).resolve()
    return function_imports(logical_id, code_dir, content)


def _checked_import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: Any = None,
    fromlist: Any = (),
    level: int = 0,
) -> Any:
    allowed = _current.get()
    if allowed is not None and level == 0 and globals is not None:
        importer = str(globals.get("__name__") or "")
        if importer == "docjobs" or importer.startswith(_CHECKED_IMPORTERS):
            _check(allowed, name, importer)
            if name.partition(".")[0] == "docjobs":
                # What loading that shared module imports (it may be loaded already, by another
                # function: on AWS this function would load it, and need the same packages).
                for module in (name, *(f"{name}.{item}" for item in fromlist or ())):
                    for needed in sorted(shared_module_needs(module)):
                        _check(allowed, needed, module)
    return _original_import(name, globals, locals, fromlist, level)


@cache
def _installed_package(top: str) -> bool:
    """Whether ``top`` comes from an installed distribution (site-packages), not the standard
    library (whose private modules ``sys.stdlib_module_names`` does not list)."""
    try:
        spec = importlib.machinery.PathFinder.find_spec(top)
    except (ImportError, ValueError):
        return False
    origin = (spec.origin or "") if spec else ""
    locations = list(spec.submodule_search_locations or []) if spec else []
    return any(part in path for path in (origin, *locations) for part in ("site-packages", "dist-packages"))


def _check(allowed: FunctionImports, name: str, importer: str) -> None:
    top = name.partition(".")[0]
    if top not in allowed.modules and top != "docjobs" and _installed_package(top):
        report = os.environ.get("DOCJOBS_LOCAL_LAYER_REPORT")
        if report:  # survey mode (when moving packages between layers): list, do not fail
            with open(report, "a") as out:
                out.write(f"{allowed.function}\t{top}\t{importer}\n")
            return
        raise LayerImportError(
            f"{allowed.function} imports {name!r} ({importer}), which none of its layers ships "
            f"({', '.join(allowed.layers) or 'no layers'}): on AWS this is an ImportError. Add "
            "the layer that provides it to the function in template.yaml.",
            name=top,
        )


# ---- data files: a layer's files are found only by the functions that have the layer

#: Layer content directories that ship data files rather than packages. Locally the data is
#: installed on the machine (Debian's tesseract-ocr-eng), where every function would find it.
DATA_LAYERS = frozenset({"tessdata"})


def has_data(name: str) -> bool:
    """Whether the running function's layers ship ``name`` (outside a function: yes)."""
    allowed = _current.get()
    return allowed is None or name in allowed.data


def _hold_tessdata_to_the_layer() -> None:
    """Tesseract's language data comes from TessdataLayer on AWS: a function without the layer
    finds none (OcrError), however the machine running it locally is set up."""
    from docjobs.engines import ocr

    find = ocr.find_tessdata

    @functools.wraps(find)
    def find_tessdata(explicit: str | None = None) -> str | None:
        return find(explicit) if has_data("tessdata") else None

    ocr.find_tessdata = find_tessdata


def install() -> None:
    """Check imports from now on (only while a function runs: see ``running``), and hold data
    files to the layers that ship them."""
    global _installed
    if not _installed:
        builtins.__import__ = _checked_import
        _hold_tessdata_to_the_layer()
        _installed = True


@contextmanager
def running(imports: FunctionImports | None) -> Iterator[None]:
    """While the block runs (one invocation, in this thread), imports are held to ``imports``."""
    token = _current.set(imports)
    try:
        yield
    finally:
        _current.reset(token)


# ---- module-level imports of the shared package, known without running it

_PACKAGE_DIR = Path(__file__).resolve().parents[2] / "layers" / "common"
#: The registry imports job types' ``spec`` modules when they are asked for (every one of them
#: for a listing of the types): counted as loaded with it, since any function may list them.
_DISCOVERY = {"docjobs.jobtypes.registry": "docjobs/jobtypes/*/spec.py"}


def _module_file(module: str) -> Path | None:
    base = _PACKAGE_DIR.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(module: str, file: Path) -> set[str]:
    """Absolute module names ``module`` imports when it is loaded (not inside functions, not
    under ``if TYPE_CHECKING``)."""
    tree = ast.parse(file.read_text(), str(file))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    if module in _DISCOVERY:
        for spec in sorted(_PACKAGE_DIR.glob(_DISCOVERY[module])):
            names.add(".".join(spec.relative_to(_PACKAGE_DIR).with_suffix("").parts))
    return names


@cache
def shared_module_needs(module: str) -> frozenset[str]:
    """The third-party (and standard) top-level modules loading ``docjobs`` module ``module``
    imports, through every ``docjobs`` module it loads in turn."""
    needs: set[str] = set()
    seen: set[str] = set()
    pending = [module]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        file = _module_file(current)
        if file is None:
            continue  # a name imported from a module, not a module
        parts = current.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages load first
        for name in _module_level_imports(current, file):
            if name.partition(".")[0] == "docjobs":
                pending.append(name)
            elif name:
                needs.add(name.partition(".")[0])
    return frozenset(needs)

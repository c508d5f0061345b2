"""The Jinja2 sandbox that every generate template runs in.

What it guarantees (the tests in tests/unit/jobtypes/test_generate_sandbox.py hold it to that):

* **No Python internals.** :class:`TemplateSandbox` is Jinja2's ``ImmutableSandboxedEnvironment``:
  attributes starting with ``_`` and the internal attributes of functions, methods, types, frames
  and generators are refused, ``str.format`` is sandboxed, and methods that mutate lists, dicts
  and sets are refused. A refused access raises ``SecurityError`` whenever its value is used, in
  strict and lenient mode alike: it never renders as an empty string.
* **No filesystem, no network.** The environment has no loader, and ``{% include %}``,
  ``{% import %}`` and ``{% extends %}`` are refused when the template is checked (with their
  line). The globals are Jinja's minus ``lipsum``; nothing reaches ``os``, ``open`` or sockets.
* **Bounded work.** ``range()`` is Jinja's ``safe_range`` (at most 100,000 items); ``*`` and
  ``**`` are intercepted so a template cannot build a giant string, list or integer in one
  expression (and so the compiler never folds ``10**10**10`` at compile time); the rendered text
  is capped while it streams (:class:`BoundedTemplate`). The render-time and memory limits are
  enforced outside this module, by running the render in a child process that is killed at its
  deadline (see :mod:`docjobs.jobtypes.generate.rendering`).
* **Every missing variable at once.** :class:`CollectingUndefined` records each use of a missing
  variable with its template line and lets rendering go on, so a strict render fails once with
  the full list (``{variable, line}``) instead of stopping at the first.

Only Jinja2 is imported here, so the API can check a template's syntax at submission.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, Template, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError, TemplateRuntimeError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

__all__ = [
    "MAX_REPORTED_MISSING",
    "BoundedTemplate",
    "CollectingUndefined",
    "MissingVariable",
    "OutputTooLargeError",
    "TemplateCheckError",
    "TemplateSandbox",
    "check_template_syntax",
    "error_line",
    "markdown_escape",
    "template_fields",
    "template_variables",
]

#: At most this many ``{variable, line}`` entries are reported (the total is reported too).
MAX_REPORTED_MISSING = 200
#: A string or list built by ``*`` may not exceed this many items.
MAX_REPEAT_ITEMS = 1_000_000
#: ``a ** b`` on integers may not produce more bits than this.
MAX_POWER_BITS = 4096
#: Tags that would read other templates (from a loader: there is none) are refused up front.
_LOADING_NODES: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Extends, "extends"),
    (nodes.Include, "include"),
    (nodes.Import, "import"),
    (nodes.FromImport, "from ... import"),
)
_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|<>~")


class OutputTooLargeError(TemplateRuntimeError):
    """The rendered text passed the output cap."""


@dataclass(frozen=True)
class TemplateCheckError(Exception):
    """A template that cannot be rendered at all: its syntax, or a tag that is not allowed."""

    message: str
    line: int | None
    #: The source line the error is on (DOCX: the paragraph's XML, for a readable context).
    source_line: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class MissingVariable:
    variable: str
    line: int | None
    #: The text around the use, where a line number means nothing to the author (DOCX).
    near: str | None = None


@dataclass
class MissingCollector:
    """The missing variables one render met, in order, without duplicates."""

    #: ``id()`` of every dict and list in the data -> its path (``customer``, ``items[3]``).
    paths: dict[int, str] = field(default_factory=dict)
    entries: dict[MissingVariable, None] = field(default_factory=dict)
    total: int = 0
    #: Turns (template, line) into what is reported as (line, near); by default the line as is.
    locate: Callable[[Template, int], tuple[int | None, str | None]] | None = None

    def record(self, variable: str, where: tuple[Template, int] | None) -> None:
        line: int | None = None
        near: str | None = None
        if where is not None:
            line, near = self.locate(*where) if self.locate is not None else (where[1], None)
        entry = MissingVariable(variable, line, near)
        if entry in self.entries:
            return
        self.total += 1
        if len(self.entries) < MAX_REPORTED_MISSING:
            self.entries[entry] = None

    @property
    def missing(self) -> list[MissingVariable]:
        return list(self.entries)

    def index_data(self, data: Any, path: str = "") -> None:
        """Remember the path of every container in ``data`` (JSON: dicts, lists, scalars)."""
        stack: list[tuple[Any, str]] = [(data, path)]
        while stack:
            value, where = stack.pop()
            if isinstance(value, dict):
                self.paths[id(value)] = where
                for key, item in value.items():
                    stack.append((item, f"{where}.{key}" if where else str(key)))
            elif isinstance(value, list):
                self.paths[id(value)] = where
                for index, item in enumerate(value):
                    stack.append((item, f"{where}[{index}]"))


def _template_line() -> tuple[Template, int] | None:
    """The template and line being rendered, from the innermost frame of compiled template code."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template):
            line: int = template.get_corresponding_lineno(frame.f_lineno)
            return template, line
        frame = frame.f_back  # type: ignore[assignment]
    return None


class CollectingUndefined(Undefined):
    """A missing value that records where it is used, then behaves as empty.

    The sandbox's refusals arrive as undefined values too (with ``SecurityError`` as their
    exception): those raise on any use instead of being recorded.
    """

    __slots__ = ()
    #: Set on the per-render subclass made by :meth:`TemplateSandbox.for_render`.
    collector: MissingCollector | None = None

    def _variable_path(self) -> str:
        name = self._undefined_name
        owner = self._undefined_obj
        collector = type(self).collector
        base = collector.paths.get(id(owner)) if collector is not None else None
        if base is None:
            return str(name)
        if isinstance(name, int):
            return f"{base}[{name}]"
        return f"{base}.{name}" if base else str(name)

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[TemplateRuntimeError] = UndefinedError,
    ) -> None:
        if isinstance(obj, Undefined) and obj._undefined_exception is not UndefinedError:
            # Read from a refused value (``x|attr('__class__')|attr('__base__')``): still refused.
            hint, exc = obj._undefined_message, obj._undefined_exception
        super().__init__(hint, obj, name, exc)

    def _report(self) -> None:
        if self._undefined_exception is not UndefinedError:
            raise self._undefined_exception(self._undefined_message)
        collector = type(self).collector
        if collector is not None:
            collector.record(self._variable_path(), _template_line())

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        self._report()
        return _ReportedUndefined(name=self._undefined_name)

    # Jinja's Undefined binds these to *its* _fail_with_undefined_error: rebind them to ours.
    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = _fail_with_undefined_error
    __call__ = __getitem__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
    __pow__ = __rpow__ = _fail_with_undefined_error

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self._fail_with_undefined_error()

    def __str__(self) -> str:
        self._report()
        return ""

    def __repr__(self) -> str:  # ``{{ [a, b] }}`` renders its items with repr()
        self._report()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._report()
        return iter(())

    def __len__(self) -> int:
        self._report()
        return 0

    def __bool__(self) -> bool:
        self._report()
        return False

    def __eq__(self, other: object) -> bool:
        self._report()
        return type(self) is type(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return id(type(self))

    def __contains__(self, item: object) -> bool:
        self._report()
        return False

    def __int__(self) -> int:  # type: ignore[override]
        self._report()
        return 0

    def __float__(self) -> float:  # type: ignore[override]
        self._report()
        return 0.0

    def __complex__(self) -> complex:  # type: ignore[override]
        self._report()
        return 0j

    def __index__(self) -> int:
        self._report()
        return 0

    def __round__(self, ndigits: int | None = None) -> int:
        self._report()
        return 0

    def __abs__(self) -> int:
        self._report()
        return 0


class _ReportedUndefined(Undefined):
    """What an operation on a missing value yields: already reported, absorbs everything."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __div__ = __rdiv__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = _fail_with_undefined_error
    __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = _fail_with_undefined_error
    __call__ = __getitem__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = _fail_with_undefined_error
    __pow__ = __rpow__ = _fail_with_undefined_error

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self

    def __int__(self) -> int:  # type: ignore[override]
        return 0

    def __float__(self) -> float:  # type: ignore[override]
        return 0.0

    def __complex__(self) -> complex:  # type: ignore[override]
        return 0j

    def __index__(self) -> int:
        return 0

    def __round__(self, ndigits: int | None = None) -> int:
        return 0

    def __abs__(self) -> int:
        return 0


class BoundedTemplate(Template):
    """A template whose ``render`` stops as soon as the output passes the environment's cap."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        limit = getattr(self.environment, "max_output_chars", None)
        parts: list[str] = []
        size = 0
        for chunk in self.generate(*args, **kwargs):
            size += len(chunk)
            if limit is not None and size > limit:
                raise OutputTooLargeError(
                    f"the rendered output passed the limit of {limit:,} characters"
                    " (a loop that repeats too much, or data larger than the document can hold)"
                )
            parts.append(chunk)
        return "".join(parts)


def markdown_escape(value: Any) -> str:
    """Backslash-escape Markdown punctuation so a data value renders as the literal text."""
    text = "" if isinstance(value, Undefined) else str(value)
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIALS else ch for ch in text)


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """The one Jinja2 environment of generate: sandboxed, immutable, bounded, no loader."""

    intercepted_binops = frozenset({"*", "**"})
    template_class = BoundedTemplate

    def __init__(self, *, autoescape: bool, max_output_chars: int | None = None) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=CollectingUndefined,
            extensions=["jinja2.ext.loopcontrols"],
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=0,
        )
        self.max_output_chars = max_output_chars
        self.globals.pop("lipsum", None)
        self.filters["mdescape"] = markdown_escape
        #: Source of each template made with from_string, by ``id()`` (for DOCX error context).
        self.sources: dict[int, str] = {}

    def for_render(self, data: dict[str, Any]) -> MissingCollector:
        """Start a render of ``data``: a fresh collector that missing values report to."""
        collector = MissingCollector()
        collector.index_data(data)
        self.undefined = type("RenderUndefined", (CollectingUndefined,), {"collector": collector})
        return collector

    def from_string(self, source: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            check_template_syntax(str(source), environment=self)
        except TemplateCheckError as exc:
            lines = str(source).splitlines()
            line = lines[exc.line - 1] if exc.line and exc.line <= len(lines) else None
            raise TemplateCheckError(exc.message, exc.line, line) from exc
        template = super().from_string(source, *args, **kwargs)
        self.sources[id(template)] = str(source)
        return template

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and abs(left).bit_length() * right > MAX_POWER_BITS:
                raise SecurityError(
                    f"{left} ** {right} is larger than templates may compute ({MAX_POWER_BITS} bits)"
                )
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    if len(seq) * times > MAX_REPEAT_ITEMS:
                        raise SecurityError(
                            f"repeating a {type(seq).__name__} of length {len(seq)} {times:,} times is"
                            f" larger than templates may build ({MAX_REPEAT_ITEMS:,} items)"
                        )
        return super().call_binop(context, operator, left, right)


def _parse(source: str, environment: Environment | None = None) -> nodes.Template:
    env = environment or TemplateSandbox(autoescape=False)
    try:
        return env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateCheckError(exc.message or "syntax error", exc.lineno) from exc
    except RecursionError as exc:
        raise TemplateCheckError("the template nests too deeply to be read", None) from exc


def check_template_syntax(source: str, *, environment: Environment | None = None) -> nodes.Template:
    """Parse ``source`` (no rendering) and refuse tags that load other templates.

    Raises :class:`TemplateCheckError` with the line and Jinja's message.
    """
    tree = _parse(source, environment)
    for node_type, tag in _LOADING_NODES:
        for found in tree.find_all(node_type):
            raise TemplateCheckError(
                f"{{% {tag} %}} is not available: a template cannot load other templates or files",
                found.lineno,
            )
    return tree


def error_line(exc: BaseException) -> int | None:
    """The template line an exception raised during rendering comes from (innermost), if any."""
    line: int | None = None
    tb = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template):
            line = template.get_corresponding_lineno(tb.tb_lineno)
        elif tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def template_variables(tree: nodes.Template) -> list[str]:
    """The top-level names the template reads from its data, sorted."""
    return sorted(meta.find_undeclared_variables(tree))


def template_fields(tree: nodes.Template) -> list[str]:
    """The data paths the template reads, as far as they can be seen without data.

    ``{{ customer.name }}`` gives ``customer.name``; ``{% for item in items %}{{ item.sku }}``
    gives ``items[].sku``. Only the most specific paths are listed.
    """
    top = set(meta.find_undeclared_variables(tree))
    found: set[str] = set()
    _walk_fields(tree, {}, top, found)
    leaves = sorted(found)
    return [
        p
        for p in leaves
        if not any(o != p and (o.startswith(p + ".") or o.startswith(p + "[")) for o in leaves)
    ]


def _expr_path(node: nodes.Node, scope: dict[str, str | None], top: set[str]) -> str | None:
    if isinstance(node, nodes.Name):
        if node.name in scope:
            return scope[node.name]
        return node.name if node.name in top else None
    if isinstance(node, nodes.Getattr):
        base = _expr_path(node.node, scope, top)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _expr_path(node.node, scope, top)
        if base is None:
            return None
        key = node.arg.value
        return f"{base}[]" if isinstance(key, int) else f"{base}.{key}"
    return None


def _bind(target: nodes.Node, path: str | None, scope: dict[str, str | None]) -> None:
    if isinstance(target, nodes.Name):
        scope[target.name] = path
    elif isinstance(target, nodes.Tuple):
        for item in target.items:
            _bind(item, None, scope)


def _walk_fields(node: nodes.Node, scope: dict[str, str | None], top: set[str], found: set[str]) -> None:
    if isinstance(node, nodes.For):
        _walk_fields(node.iter, scope, top, found)
        inner = dict(scope)
        iterable = _expr_path(node.iter, scope, top)
        _bind(node.target, f"{iterable}[]" if iterable is not None else None, inner)
        for child in [*node.body, *node.else_]:
            _walk_fields(child, inner, top, found)
        if node.test is not None:
            _walk_fields(node.test, inner, top, found)
        return
    if isinstance(node, nodes.Assign):
        _walk_fields(node.node, scope, top, found)
        _bind(node.target, _expr_path(node.node, scope, top), scope)
        return
    if isinstance(node, (nodes.Macro, nodes.CallBlock)):
        inner = dict(scope)
        for arg in node.args:
            inner[arg.name] = None
        for child in node.iter_child_nodes():
            _walk_fields(child, inner, top, found)
        return
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        # ``customer.items()``: a method of the value, not a field named ``items``.
        base = _expr_path(node.node.node, scope, top)
        if base is not None:
            found.add(base)
        else:
            _walk_fields(node.node.node, scope, top, found)
        for child in [*node.args, *node.kwargs]:
            _walk_fields(child, scope, top, found)
        return
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Name) and node.ctx != "load":
            return
        path = _expr_path(node, scope, top)
        if path is not None:
            found.add(path)
            if isinstance(node, nodes.Getitem):
                _walk_fields(node.arg, scope, top, found)
            return
    for child in node.iter_child_nodes():
        _walk_fields(child, scope, top, found)

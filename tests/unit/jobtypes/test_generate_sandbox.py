"""The generate sandbox: template-injection payloads fail safely, missing variables are listed at
once with their lines, values are escaped where the output is HTML, and runaway templates stop.

Most cases render in-process (``render_text``: the same sandbox the child process runs); the
limits that only a process can enforce (time, memory) and a sample of payloads go through
``generate_document``, i.e. the real child process.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.generate.engine import TemplateSource, generate_document
from docjobs.jobtypes.generate.options import OutputOptions
from docjobs.jobtypes.generate.rendering import RenderLimits
from docjobs.jobtypes.generate.template_render import inspect_text, render_text


def _render(
    source: str, data: dict[str, Any] | None = None, *, kind: str = "html", strict: bool = True
) -> str:
    return render_text(source, data or {}, kind=kind, strict=strict, max_output_chars=1_000_000).text  # type: ignore[arg-type]


def _failure(source: str, data: dict[str, Any] | None = None, *, strict: bool = True) -> InputValidationError:
    with pytest.raises(InputValidationError) as caught:
        _render(source, data, strict=strict)
    return caught.value


# --------------------------------------------------------------------------------------
# Known server-side template injection payloads (Jinja2 / Flask / Ansible cheat sheets)
# --------------------------------------------------------------------------------------

SSTI_PAYLOADS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ [].__class__.__base__.__subclasses__()[40]('/etc/passwd').read() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c.__name__ }}{% endfor %}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ range.__globals__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ dict.mro() }}",
    "{{ ''|attr('__class__') }}",
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}",
    "{{ '{0.__class__.__mro__}'.format('') }}",
    "{{ '{a.__class__}'.format_map({'a': ''}) }}",
    "{{ x.__class__ }}",
    "{% set f = cycler.__init__ %}{{ f.__globals__ }}",
    "{{ (cycler|attr('__init__')).__globals__ }}",
    "{{ items|map(attribute='__class__')|list }}",
    "{{ items|sort(attribute='__class__') }}",
    "{{ items.pop() }}",
    "{{ data.update({'a': 1}) }}",
    "{% for x in items %}{{ loop.__class__ }}{% endfor %}",
    "{{ namespace(a=1).__class__ }}",
]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_injection_payloads_are_stopped_by_the_sandbox(payload: str, strict: bool) -> None:
    error = _failure(payload, {"x": "s", "items": [1, 2], "data": {}}, strict=strict)
    assert error.details is not None
    assert error.details["reason"] == "sandbox", error.message
    assert "stopped by the sandbox" in error.message


@pytest.mark.parametrize(
    "payload",
    [
        "{{ config.items() }}",
        "{{ request.application.__globals__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ url_for.__globals__ }}",
        "{{ get_flashed_messages.__globals__ }}",
        "{{ __builtins__ }}",
        "{{ getattr }}",
        "{{ open('/etc/passwd').read() }}",
    ],
)
def test_names_from_other_template_hosts_do_not_exist_here(payload: str) -> None:
    error = _failure(payload)
    assert error.details is not None
    assert error.details.get("missing") or error.details.get("reason") in {"sandbox", "UndefinedError"}, (
        error.message
    )


def test_refused_access_never_renders_as_empty_text_even_when_lenient() -> None:
    error = _failure("before {{ ''.__class__ }} after", strict=False)
    assert "__class__" in error.message


def test_data_values_are_not_evaluated_as_templates() -> None:
    out = _render("<p>{{ note }}</p>", {"note": "{{ ''.__class__ }} {% for i in range(3) %}x{% endfor %}"})
    assert out == "<p>{{ &#39;&#39;.__class__ }} {% for i in range(3) %}x{% endfor %}</p>"


def test_html_values_are_escaped_in_html_templates() -> None:
    out = _render(
        '<p title="{{ t }}">{{ v }}</p>', {"t": '" onmouseover="x', "v": "<script>alert(1)</script>&"}
    )
    assert out == '<p title="&#34; onmouseover=&#34;x">&lt;script&gt;alert(1)&lt;/script&gt;&amp;</p>'


def test_markdown_templates_take_values_as_text_and_can_escape_markdown() -> None:
    out = _render("{{ a }} / {{ a|mdescape }}", {"a": "*bold* [x](y)"}, kind="markdown")
    assert out == "*bold* [x](y) / \\*bold\\* \\[x\\]\\(y\\)"


def test_include_is_refused_even_when_reached_at_render_time() -> None:
    with pytest.raises(InputValidationError, match="cannot load other templates"):
        _render("{% if true %}\n{% include '/etc/passwd' %}{% endif %}")


def test_big_repetitions_and_powers_are_refused_before_they_are_built() -> None:
    assert "larger than templates may build" in _failure("{{ 'ab' * 10000000 }}").message
    assert "larger than templates may compute" in _failure("{{ 10 ** (10 ** 8) }}").message
    assert _render("{{ 'ab' * 3 }} {{ 2 ** 10 }}") == "ababab 1024"


def test_range_is_bounded() -> None:
    error = _failure("{% for i in range(10**9) %}x{% endfor %}")
    assert error.details == {"limit": "range"}
    assert "too large a range at line 1" in error.message


def test_output_is_capped_while_it_streams() -> None:
    with pytest.raises(InputValidationError, match="passed the limit of 1,000 characters"):
        render_text(
            "{% for i in range(10000) %}xyz{% endfor %}", {}, kind="html", strict=True, max_output_chars=1000
        )


def test_runaway_recursion_is_a_clear_error() -> None:
    error = _failure("{% macro f(n) %}{{ f(n) }}{% endmacro %}\n{{ f(1) }}")
    assert "recursed too deeply" in error.message


def test_a_runtime_error_names_its_line() -> None:
    error = _failure("<p>a</p>\n<p>b</p>\n<p>{{ total / count }}</p>", {"total": 4, "count": 0})
    assert "line 3" in error.message
    assert "ZeroDivisionError" in error.message


# --------------------------------------------------------------------------------------
# Missing variables
# --------------------------------------------------------------------------------------

MISSING_TEMPLATE = """<h1>{{ title }}</h1>
<p>{{ customer.name }} / {{ customer.vat }}</p>
{% for item in items %}<p>{{ item.sku }}: {{ item.price }}</p>
{% endfor %}<p>{{ footer }}</p>
{% if discount is defined %}{{ discount }}{% endif %}{{ note | default('none') }}
"""


def test_every_missing_variable_is_listed_at_once_with_its_line() -> None:
    data = {"customer": {"name": "ACME"}, "items": [{"sku": "A", "price": 1}, {"sku": "B"}, {"price": 3}]}
    error = _failure(MISSING_TEMPLATE, data)
    assert error.details is not None
    assert error.details["missing"] == [
        {"variable": "title", "line": 1},
        {"variable": "customer.vat", "line": 2},
        {"variable": "items[1].price", "line": 3},
        {"variable": "items[2].sku", "line": 3},
        {"variable": "footer", "line": 4},
    ]
    assert error.details["missing_total"] == 5
    assert "title (line 1), customer.vat (line 2), items[1].price (line 3)" in error.message


def test_a_missing_variable_used_on_several_lines_is_listed_per_line() -> None:
    error = _failure("{{ a }}\n{{ a }}\n{{ a.b.c }}")
    assert error.details is not None
    assert error.details["missing"] == [
        {"variable": "a", "line": 1},
        {"variable": "a", "line": 2},
        {"variable": "a", "line": 3},
    ]


def test_missing_values_in_arithmetic_comparisons_and_loops_are_reported_not_crashes() -> None:
    error = _failure(
        "{{ price * 2 }}\n{% if total > 10 %}x{% endif %}\n{% for r in rows %}{% endfor %}\n{{ n|round }}"
    )
    assert error.details is not None
    assert [m["variable"] for m in error.details["missing"]] == ["price", "total", "rows", "n"]


def test_lenient_mode_renders_missing_values_as_empty() -> None:
    out = _render("[{{ a }}][{{ b.c }}][{{ n * 2 }}]{% for x in xs %}x{% endfor %}", strict=False)
    assert out == "[][][]"


def test_guarded_optional_values_are_not_missing() -> None:
    assert _render("{% if d is defined %}{{ d }}{% endif %}{{ n|default('-') }}") == "-"


def test_inspect_lists_variables_and_the_fields_they_are_read_by() -> None:
    inspection = inspect_text(MISSING_TEMPLATE)
    assert inspection.variables == ["customer", "discount", "footer", "items", "note", "title"]
    assert inspection.fields == [
        "customer.name",
        "customer.vat",
        "discount",
        "footer",
        "items[].price",
        "items[].sku",
        "note",
        "title",
    ]


# --------------------------------------------------------------------------------------
# Through the child process: what only a process boundary can enforce
# --------------------------------------------------------------------------------------


def _generate(source: str, *, limits: RenderLimits | None = None, fmt: str = "html") -> Any:
    return generate_document(
        TemplateSource(kind="html", text=source),
        {},
        output=OutputOptions(format=fmt),
        limits=limits,  # type: ignore[arg-type]
    )


def test_the_runaway_range_loop_ends_with_a_clear_error() -> None:
    with pytest.raises(InputValidationError) as caught:
        _generate("{% for i in range(10**9) %}{{ i }}{% endfor %}")
    assert "too large a range" in caught.value.message


def test_a_loop_that_does_not_end_in_time_is_stopped_at_the_deadline() -> None:
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(InputValidationError) as caught:
        _generate(source, limits=RenderLimits(seconds=3))
    assert time.monotonic() - started < 20
    assert caught.value.details == {"limit": "render_time", "seconds": 3}
    assert "did not finish within its time limit of 3 s" in caught.value.message


def test_a_value_too_large_for_memory_is_stopped_by_the_memory_cap() -> None:
    with pytest.raises(InputValidationError) as caught:
        _generate("{{ 'x'|center(1500000000) }}", limits=RenderLimits(memory_bytes=512 * 2**20))
    assert caught.value.details is not None
    assert caught.value.details["limit"] in {"memory", "output_size"}


@pytest.mark.parametrize(
    "payload", [*SSTI_PAYLOADS[:3], "{{ cycler.__init__.__globals__.os.popen('id').read() }}"]
)
def test_injection_payloads_fail_the_same_way_in_the_child_process(payload: str) -> None:
    with pytest.raises(InputValidationError, match="stopped by the sandbox"):
        _generate(payload)

"""secmon.templating: strict, escaping, sandboxed Jinja2 environments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secmon.templating import (
    Markup,
    TemplateError,
    analyse_template,
    compile_template,
    html_escape,
    make_environment,
    render_compiled,
    render_string,
    render_template,
    segments,
)

SECMON = Path(__file__).resolve().parent.parent / "secmon"


def test_undefined_variable_is_an_error_not_empty():
    env = make_environment(html=False)
    with pytest.raises(TemplateError) as info:
        render_string(env, "ip={{ src_ip }}", {})
    assert str(info.value) == "'src_ip' is undefined"


def test_html_environment_escapes_values_but_not_markup():
    env = make_environment(html=True)
    out = render_string(env, "<p>{{ a }} {{ b }}</p>", {"a": "<script>", "b": Markup("<i>ok</i>")})
    assert out == "<p>&lt;script&gt; <i>ok</i></p>"


def test_text_environment_does_not_escape():
    env = make_environment(html=False)
    assert render_string(env, "{{ a }}", {"a": "<b>&"}) == "<b>&"


def test_trailing_newline_is_kept():
    env = make_environment(html=False)
    assert render_string(env, "x\n", {}) == "x\n"


def test_named_templates_come_from_the_directories_in_order(tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "page.txt").write_text("first {{ n }}\n", encoding="utf-8")
    (second / "page.txt").write_text("second\n", encoding="utf-8")
    (second / "other.txt").write_text("other\n", encoding="utf-8")
    env = make_environment([first, second], html=False)
    assert render_template(env, "page.txt", {"n": 1}) == "first 1\n"
    assert render_template(env, "other.txt", {}) == "other\n"
    with pytest.raises(TemplateError) as info:
        render_template(env, "missing.txt", {})
    assert str(info.value) == "missing.txt: template not found: missing.txt"


def test_sandbox_refuses_python_internals():
    env = make_environment(html=False, sandboxed=True)
    with pytest.raises(TemplateError) as info:
        render_string(env, "{{ x.__class__.__mro__ }}", {"x": ""})
    assert str(info.value) == "access to attribute '__class__' of 'str' object is unsafe."


def test_syntax_errors_carry_the_line():
    env = make_environment(html=False)
    with pytest.raises(TemplateError) as info:
        compile_template(env, "line one\n{% if %}\n")
    assert info.value.line == 2
    assert str(info.value) == "2: Expected an expression, got 'end of statement block'"


def test_finalize_sees_every_expression_before_escaping():
    env = make_environment(html=True, finalize=lambda v: f"[{v}]")
    assert render_string(env, "{{ a }}-{{ 'lit' }}", {"a": "<x>"}) == "[&lt;x&gt;]-[lit]"


def test_analyse_finds_variables_and_includes_and_compiles_once():
    env = make_environment(html=False)
    source = (
        "{% for h in hosts %}{{ h }} {{ user }};{% endfor %}{% if 0 %}{% include 'x' %}{% endif %}"
    )
    info = analyse_template(env, source)
    assert info.variables == {"hosts", "user"}
    assert info.includes == ("x",)
    assert render_compiled(info.template, {"hosts": ["a", "b"], "user": "u"}) == "a u;b u;"
    with pytest.raises(TemplateError) as error:
        analyse_template(env, "{{ x | nofilter }}")
    assert str(error.value) == "1: No filter named 'nofilter'."


def test_segments_split_literal_text_from_tags():
    env = make_environment(html=False)
    parts = [
        (s.kind, s.text) for s in segments(env, "grep '{{ ip }}' f {# c #}{% if x %}y{% endif %}")
    ]
    assert parts == [
        ("data", "grep '"),
        ("variable", "{{ ip }}"),
        ("data", "' f "),
        ("comment", "{# c #}"),
        ("block", "{% if x %}"),
        ("data", "y"),
        ("block", "{% endif %}"),
    ]


def test_html_escape():
    assert html_escape("<a href='x'>") == "&lt;a href=&#39;x&#39;&gt;"


def test_only_templating_imports_jinja2_or_markupsafe():
    pattern = re.compile(r"^\s*(?:import|from)\s+(jinja2|markupsafe)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(SECMON))
        for path in sorted(SECMON.rglob("*.py"))
        if path.name != "templating.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []

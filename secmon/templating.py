"""The only module that imports jinja2 (and markupsafe): template environments.

Every environment uses `StrictUndefined` (a misspelt variable is an error, never
an empty string), keeps the trailing newline, and autoescapes when it renders
HTML. Templates a user can edit (playbooks, message templates) run in a
`SandboxedEnvironment`. Log text is only ever passed in as a variable, never
as template source.

Jinja2's own exceptions do not leave this module: callers get
`TemplateError`, a `SecmonError` carrying the template line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.sandbox
import markupsafe

from .errors import SecmonError

Markup = markupsafe.Markup
Environment = jinja2.Environment
Template = jinja2.Template

__all__ = [
    "Environment",
    "Markup",
    "Segment",
    "Template",
    "TemplateError",
    "TemplateInfo",
    "analyse_template",
    "compile_template",
    "html_escape",
    "make_environment",
    "render_compiled",
    "render_string",
    "render_template",
    "segments",
]


class TemplateError(SecmonError):
    """A template failed to parse or render; `line` is 1-based within the template."""

    def __init__(self, message: str, line: int = 0, name: str | None = None):
        self.message = message
        self.line = line
        self.name = name
        where = ":".join(part for part in (name or "", str(line) if line else "") if part)
        super().__init__(f"{where}: {message}" if where else message)


def make_environment(
    template_dirs: Sequence[Path] = (),
    *,
    html: bool,
    sandboxed: bool = False,
    finalize: Callable[[Any], Any] | None = None,
) -> jinja2.Environment:
    """An environment reading named templates from `template_dirs` (in order).

    `html` turns autoescaping on; `sandboxed` is for templates users can edit;
    `finalize` is applied to every `{{ ... }}` result before it is escaped.
    """
    options: dict[str, Any] = {
        "undefined": jinja2.StrictUndefined,
        "autoescape": html,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "auto_reload": False,
    }
    if template_dirs:
        options["loader"] = jinja2.FileSystemLoader([str(d) for d in template_dirs])
    if finalize is not None:
        options["finalize"] = finalize
    cls = jinja2.sandbox.SandboxedEnvironment if sandboxed else jinja2.Environment
    return cls(**options)


def html_escape(value: object) -> Markup:
    """`value` as HTML text (Markup passes through unchanged)."""
    return markupsafe.escape(value)


def _error(exc: Exception, name: str | None = None) -> TemplateError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        own = exc.name if exc.name and not exc.name.startswith("<") else None
        return TemplateError(exc.message or str(exc), exc.lineno or 0, name or own)
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateError(f"template not found: {exc.name}", 0, name)
    if isinstance(exc, jinja2.UndefinedError | jinja2.sandbox.SecurityError):
        return TemplateError(str(exc), 0, name)
    return TemplateError(f"{type(exc).__name__}: {exc}", 0, name)


def compile_template(env: jinja2.Environment, source: str) -> jinja2.Template:
    """Parse `source`; raise TemplateError with its line on a syntax error."""
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _error(exc) from None


def render_compiled(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """Render a compiled template; errors raise TemplateError."""
    try:
        return template.render(variables)
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise _error(exc) from None


def render_string(env: jinja2.Environment, source: str, variables: Mapping[str, Any]) -> str:
    """Render template text `source` with `variables`; errors raise TemplateError."""
    return render_compiled(compile_template(env, source), variables)


def render_template(env: jinja2.Environment, name: str, variables: Mapping[str, Any]) -> str:
    """Render the named template (found through the environment's directories)."""
    try:
        return env.get_template(name).render(variables)
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise _error(exc, name) from None


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """A template compiled once, with what it reads and includes."""

    template: jinja2.Template
    variables: frozenset[str]  # names read from the context (not set inside it)
    includes: tuple[str | None, ...]  # templates included/imported/extended (None: computed)


def analyse_template(env: jinja2.Environment, source: str) -> TemplateInfo:
    """Parse `source` once: its variables, its includes and the compiled template."""
    try:
        ast = env.parse(source)
        variables = frozenset(jinja2.meta.find_undeclared_variables(ast))
        includes = tuple(jinja2.meta.find_referenced_templates(ast))
        return TemplateInfo(env.from_string(ast), variables, includes)
    except jinja2.TemplateSyntaxError as exc:  # also unknown filters and tests
        raise _error(exc) from None


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of template source: literal `data`, or a `variable`/`block`/`comment` tag."""

    kind: str
    text: str
    line: int


def segments(env: jinja2.Environment, source: str) -> Iterator[Segment]:
    """Split `source` into literal text and tags, in order (for context checks)."""
    kinds = {"variable_begin": "variable", "block_begin": "block", "comment_begin": "comment"}
    ends = {"variable_end", "block_end", "comment_end"}
    current: str | None = None
    parts: list[str] = []
    start = 0
    try:
        for line, token, value in env.lex(source):
            if current is None and token == "data":
                yield Segment("data", value, line)
            elif token in kinds:
                current, parts, start = kinds[token], [value], line
            elif token in ends and current is not None:
                parts.append(value)
                yield Segment(current, "".join(parts), start)
                current = None
            elif current is not None:
                parts.append(value)
            elif token == "raw_begin" or token == "raw_end":
                continue
            else:
                yield Segment("data", value, line)
    except jinja2.TemplateSyntaxError as exc:
        raise _error(exc) from None

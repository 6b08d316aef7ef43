"""Checks one playbook template text at load time, and compiles it once.

A text must parse, read only known variables that the playbook's incident
categories can have, include no other template, keep every value of a
command outside shell quotes, and render both with every variable present
and with every variable missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..templating import (
    Environment,
    Template,
    TemplateError,
    analyse_template,
    render_compiled,
    segments,
)
from .formatting import is_template, playbook_environment
from .model import did_you_mean
from .variables import VARIABLES, allowed_variables, sample_values

KINDS = ("text", "shell")


class TemplateChecker:
    """Checks texts ('text') and commands ('shell') with one environment each."""

    def __init__(self) -> None:
        self.envs = {kind: playbook_environment(kind) for kind in KINDS}

    def check(
        self, source: str, kind: str, categories: Sequence[str]
    ) -> tuple[list[str], Template | None]:
        """Problems with `source` (empty: fine) and its compiled template (None:
        plain text, or it has problems)."""
        if not is_template(source):
            return [], None
        env = self.envs[kind]
        try:
            info = analyse_template(env, source)
        except TemplateError as exc:
            return [_template_message(exc, source)], None
        problems: list[str] = []
        if info.includes:
            problems.append("a playbook text cannot include, import or extend templates")
        problems += _variable_problems(info.variables, categories)
        if kind == "shell":
            problems += _quoted_variables(env, source)
        if problems:
            return problems, None
        for present in (True, False):
            try:
                render_compiled(info.template, sample_values(present))
            except TemplateError as exc:
                return [_template_message(exc, source)], None
        return [], info.template


def _variable_problems(names: frozenset[str], categories: Sequence[str]) -> list[str]:
    problems = []
    allowed = allowed_variables(categories)
    for name in sorted(names):
        if name not in VARIABLES:
            hint = did_you_mean(name, sorted(VARIABLES)) or (
                f"; variables are {', '.join(sorted(VARIABLES))}"
            )
            problems.append(f"unknown template variable '{name}'{hint}")
        elif name not in allowed:
            fields = sorted(n for n in allowed if VARIABLES[n].key_field is not None)
            word = "category" if len(categories) == 1 else "categories"
            problems.append(
                f"template variable '{name}' is not available for incidents of {word}"
                f" {', '.join(categories)} (their key fields: {', '.join(fields)})"
            )
    return problems


def _template_message(exc: TemplateError, source: str) -> str:
    where = f" (line {exc.line} of the text)" if exc.line and "\n" in source.strip() else ""
    return f"template error: {exc.message}{where}"


def _quoted_variables(env: Environment, source: str) -> Iterator[str]:
    """A message for each `{{ value }}` a command puts inside shell quotes.

    secmon quotes every value itself; inside '...' the quoting would be
    undone and inside "..." `$(...)` would still run.
    """
    state: str | None = None
    escaped = False
    for segment in segments(env, source):
        if segment.kind == "data":
            for ch in segment.text:
                if escaped:
                    escaped = False
                elif state == "'":
                    state = None if ch == "'" else state
                elif ch == "\\":
                    escaped = True
                elif state == '"':
                    state = None if ch == '"' else state
                elif ch in "'\"":
                    state = ch
        elif segment.kind == "variable" and state is not None:
            quotes = "single" if state == "'" else "double"
            yield (
                f"command puts {segment.text} inside {quotes} quotes; write it bare"
                f" (secmon shell-quotes every value), e.g. grep -F {segment.text} FILE"
            )

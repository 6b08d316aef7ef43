"""`secmon rules check|list|test`: validate rules and try them on logs.

Registers itself on the main group; secmon/cli.py imports this module at its end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click

from .cli import TYPE_CHOICES, common_options, fail, main, rules_option
from .i18n import pick
from .rulecheck import check_rule_tests
from .rules.engine import DetectionEngine
from .runtime import Runtime
from .tables import render_table
from .textsafe import terminal_safe


@main.group()
def rules() -> None:
    """Kiểm tra và thử luật phát hiện. / Check and try detection rules."""


@rules.command("check")
@rules_option
@click.option("--no-builtin-rules", is_flag=True, help="Check only the given rules.")
@common_options
def rules_check(runtime: Runtime, rule_dirs: tuple[Path, ...], no_builtin_rules: bool) -> None:
    """Kiểm tra cú pháp và phép thử của luật. / Validate rules and run their tests."""
    ruleset = runtime.load_rules(rule_dirs, builtin=False if no_builtin_rules else None)
    failures = check_rule_tests(ruleset, runtime.settings.json_mapping)
    t = runtime.t
    if failures:
        for failure in failures:
            click.echo(f"{failure.location}: [{failure.rule_id}] {failure.message}", err=True)
        fail(t("rules.selftest_failed", count=len(failures)), runtime.lang)
    click.echo(t("rules.ok", rules=len(ruleset.rules), files=len(ruleset.files)))


@rules.command("list")
@rules_option
@common_options
def rules_list(runtime: Runtime, rule_dirs: tuple[Path, ...]) -> None:
    """Liệt kê các luật đã nạp. / List the loaded rules."""
    ruleset = runtime.load_rules(rule_dirs)
    t = runtime.t
    rows = [
        (r.id, pick(runtime.lang, r.title), r.category, t(f"severity.{r.severity}"))
        for r in ruleset.rules
    ]
    click.echo(
        render_table(
            [t("col.rule"), t("col.title"), t("col.category"), t("col.severity")], rows, max_cell=70
        )
    )


@rules.command("test")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@rules_option
@click.option("--no-builtin-rules", is_flag=True, help="Use only the given rules.")
@click.option(
    "--type", "type_name", type=click.Choice(TYPE_CHOICES), default="auto", show_default=True
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
@click.option(
    "--show-unmatched", default=20, show_default=True, help="How many unmatched lines to list."
)
@common_options
def rules_test(
    runtime: Runtime,
    path: Path,
    rule_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
    type_name: str,
    fmt: str,
    show_unmatched: int,
) -> None:
    """Thử luật trên một tệp: dòng nào khớp luật nào. / Show which rules match which lines."""
    from .explain import explain_file

    ruleset = runtime.load_rules(rule_dirs, builtin=False if no_builtin_rules else None)
    report = explain_file(
        path,
        DetectionEngine(ruleset),
        type_name=type_name,
        tz=runtime.tz,
        json_mapping=runtime.settings.json_mapping,
        keep_unmatched=show_unmatched,
        on_match=_jsonl_match_printer() if fmt == "jsonl" else None,
    )
    if fmt == "jsonl":
        return
    t = runtime.t
    click.echo(
        t(
            "rulestest.summary",
            lines=report.lines,
            parsed=report.parsed,
            skipped=report.malformed,
            matched=report.matched,
            allowlisted=report.allowlisted,
            unmatched=report.parsed - report.matched - report.allowlisted,
        )
    )
    if report.per_rule:
        click.echo("")
        click.echo(t("rulestest.per_rule"))
        rows = [(rule_id, count) for rule_id, count in report.per_rule.most_common()]
        click.echo(render_table([t("col.rule"), t("col.count")], rows))
    for title_key, samples in (
        ("rulestest.unmatched", report.unmatched_samples),
        ("rulestest.malformed", report.malformed_samples),
    ):
        if samples:
            click.echo("")
            click.echo(t(title_key, limit=show_unmatched))
            for line_no, text in samples:
                click.echo(f"  {line_no}: {terminal_safe(text, 200)}")


def _jsonl_match_printer() -> Callable[[int, str, str, dict[str, Any]], None]:
    def emit(line_no: int, rule_id: str, category: str, fields: dict[str, Any]) -> None:
        record = {"line": line_no, "rule": rule_id, "category": category, "fields": fields}
        click.echo(json.dumps(record, ensure_ascii=False, default=str))

    return emit



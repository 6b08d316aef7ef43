"""`secmon notify test|outbox|retry`: alert routes and the outbox.

Registers itself on the main group; secmon/cli.py imports this module at its end.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import click

from .cli import common_options, fail, fmt_time, main
from .incidents.store import IncidentStore
from .runtime import Runtime
from .tables import render_table
from .textsafe import terminal_safe


@main.group()
def notify() -> None:
    """Cảnh báo qua chat và email. / Alerts by chat and email."""


def _notify_call(runtime: Runtime, call: Callable[[], Any]) -> Any:
    """Run `call`; a NotifyError is printed in the user's language."""
    from .notify.service import NotifyError

    try:
        return call()
    except NotifyError as exc:
        fail(exc.text[runtime.lang], runtime.lang)


@notify.command("test")
@click.option("--route", "route_name", help="Only this route (default: every route).")
@common_options
def notify_test(runtime: Runtime, route_name: str | None) -> None:
    """Gửi tin thử trên từng tuyến, báo kết quả từng địa chỉ. /
    Send a test message on each route and show each URL's result."""
    from .notify.service import send_test
    from .notify.texts import CLI, say

    lang = runtime.lang
    results = _notify_call(runtime, lambda: send_test(
        runtime.settings.notify, runtime.env, runtime.clock, runtime.tz, route_name))
    total = failed = 0
    for test in results:
        click.echo(say(CLI, "route", lang, name=test.route.name, language=test.route.language,
                       fmt=test.route.format))
        for target, result in test.results:
            total += 1
            shown = terminal_safe(target.display)
            if result.ok:
                click.echo(f"  ✓ {shown}: {say(CLI, 'ok', lang)}")
            else:
                failed += 1
                error = terminal_safe(result.error, 500)
                click.echo(f"  ✗ {shown}: {say(CLI, 'error', lang, error=error)}")
    if failed:
        fail(say(CLI, "test_failed", lang, failed=failed, total=total), lang)


@notify.command("outbox")
@click.option("--all", "show_all", is_flag=True, help="Also alerts already sent.")
@click.option("--limit", default=200, show_default=True, help="At most this many rows.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table",
              show_default=True)
@common_options
def notify_outbox(runtime: Runtime, show_all: bool, limit: int, fmt: str) -> None:
    """Các cảnh báo đang chờ gửi và bị lỗi. / List pending and failed alerts."""
    from .notify.service import outbox_counts, outbox_rows
    from .notify.texts import CLI, KINDS, STATUS_NAMES, say

    lang = runtime.lang
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        found = outbox_rows(store, include_done=show_all, limit=limit)
        totals = outbox_counts(store)
    if fmt == "jsonl":
        for row in found:
            click.echo(json.dumps({
                "id": row.id, "route": row.route, "kind": row.kind,
                "incident": row.incident_id, "status": row.status, "attempts": row.attempts,
                "due": row.due_at.isoformat(), "last_error": row.last_error,
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            }, ensure_ascii=False))
        return
    if not found:
        click.echo(say(CLI, "outbox_empty", lang))
        return
    rows = [(row.id, row.route, say(KINDS, row.kind, lang),
             f"#{row.incident_id}" if row.incident_id else "",
             say(STATUS_NAMES, row.status, lang), row.attempts, fmt_time(row.due_at, runtime),
             row.last_error or "") for row in found]
    headers = [runtime.t("col.id")] + [say(CLI, key, lang) for key in (
        "col_route", "col_kind", "col_incident", "col_status", "col_attempts", "col_due",
        "col_error")]
    click.echo(render_table(headers, rows, max_cell=80))
    click.echo("")
    click.echo(say(CLI, "outbox_totals", lang, pending=totals.pending, failed=totals.failed,
                   waiting=totals.waiting))


@notify.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--no-send", is_flag=True, help="Only queue them again; the daemon sends them.")
@common_options
def notify_retry(runtime: Runtime, ids: tuple[int, ...], no_send: bool) -> None:
    """Gửi lại các cảnh báo bị lỗi (tất cả, hoặc theo mã). /
    Retry failed alerts (all, or those given by id), then deliver what is due."""
    from .notify.service import make_dispatcher, requeue_failed
    from .notify.texts import CLI, say

    lang = runtime.lang
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        count = requeue_failed(store, runtime.clock, ids)
        click.echo(say(CLI, "retried" if count else "nothing_to_retry", lang, count=count))
        if not count or no_send:
            return
        dispatcher = make_dispatcher(store, runtime.settings.notify, runtime.env,
                                     runtime.clock, runtime.tz)
        report = dispatcher.step()
    click.echo(say(CLI, "delivered", lang, sent=report.count("sent"),
                   retrying=report.count("retry"), failed=report.count("failed")))
    for attempt in report.attempts:
        if attempt.error:
            click.echo(f"  #{attempt.row_id} {attempt.route}: "
                       f"{terminal_safe(attempt.error, 500)}")



"""`secmon run`, `secmon status`, `secmon init`, `secmon config check`.

The commands register themselves on the main group; secmon/cli.py imports
this module at its end (like cli_fim.py). Thin like the rest of the CLI: the
work is in secmon.daemon.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from .cli import common_options, fail, main
from .clock import SystemClock
from .config.starter import look_around, starter_config
from .errors import InputError, SecmonError
from .i18n import LANGUAGES, choose_language, pick
from .runtime import CONFIG_ENV, Runtime, make_runtime


@main.command("run")
@click.option("-c", "--config", type=click.Path(path_type=Path, dir_okay=False),
              help="secmon.yaml (default: $SECMON_CONFIG).")
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of messages (vi, en).")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Incident database (default: from config).")
@click.option("--tz", "tz_name", help="Time zone for logs without one.")
def run(config: Path | None, lang: str | None, db: Path | None, tz_name: str | None) -> None:
    """Chạy dịch vụ giám sát (tiền cảnh, cho systemd). /
    Run the monitoring service (foreground, for systemd)."""
    from .daemon.signals import SignalFlags

    flags = SignalFlags()
    restore = flags.install()  # first: SIGTERM while starting up is a clean stop too
    handler: logging.Handler | None = None
    env = dict(os.environ)
    chosen = choose_language(lang, None, env)
    code = 1
    try:
        from .daemon.logsetup import setup_logging
        from .daemon.service import Daemon
        from .daemon.texts import say

        path = config or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
        if path is None:
            fail(say("no_config", chosen), chosen)
        clock = SystemClock()

        def load() -> Runtime:
            return make_runtime(config=path, lang=lang, db=db, tz_name=tz_name, clock=clock,
                                env=env)

        handler = setup_logging(env)
        code = Daemon(load, clock=clock, env=env, flags=flags).run()
    except InputError as exc:
        fail(str(exc), chosen)
    except SecmonError as exc:
        texts = getattr(exc, "text", None)
        fail(pick(chosen, texts) if isinstance(texts, dict) else str(exc), chosen)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001 - a bug: logged with its traceback, systemd restarts
        logging.getLogger("secmon.daemon").exception(
            "lỗi không lường trước; secmon dừng / unexpected error; secmon stops"
        )
        sys.exit(1)
    finally:
        restore()
        if handler is not None:
            logging.getLogger("secmon").removeHandler(handler)
    sys.exit(code)


@main.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@common_options
def status(runtime: Runtime, fmt: str) -> None:
    """Tình trạng dịch vụ: từng nguồn, sự cố đang mở. /
    Service status: each input's progress, open incidents.
    Exit status 0: running; 1: not responding; 3: not running."""
    from .daemon.status import STATUS_KEY, read_status, render_status, status_record
    from .incidents.store import IncidentStore

    entry, checkpoints, open_counts, outbox = None, {}, {}, None
    if runtime.db_path.exists():
        with IncidentStore.open(runtime.db_path, runtime.clock) as store:
            entry = store.load_state(STATUS_KEY)
            checkpoints = store.load_checkpoints()
            open_counts = dict(store.stats().open_by_severity)
            try:
                from .notify.service import outbox_counts

                counts = outbox_counts(store)
                outbox = (counts.pending, counts.failed)
            except Exception:  # noqa: BLE001 - no outbox: no alert line
                outbox = None
    found = read_status(entry, checkpoints, open_counts, runtime.clock.now(), outbox=outbox)
    if fmt == "json":
        click.echo(json.dumps(status_record(found), ensure_ascii=False, indent=2))
    else:
        click.echo(render_status(found, runtime.lang, runtime.tz, str(runtime.db_path)))
    sys.exit({"running": 0, "silent": 1}.get(found.state, 3))

@main.command("init")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False),
                default="/etc/secmon/secmon.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default="/", show_default=True,
              help="Look for logs and web roots under this folder (a container's root).")
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of messages (vi, en).")
def init(path: Path, force: bool, root: Path, lang: str | None) -> None:
    """Ghi tệp cấu hình mẫu cho máy chủ web Debian/Ubuntu ('-' để in ra). /
    Write a starter config for a Debian/Ubuntu web server ('-' prints it)."""
    from .daemon.texts import say

    chosen = choose_language(lang, None, os.environ)
    text = starter_config(look_around(root))
    if str(path) == "-":
        click.echo(text, nl=False)
        return
    if path.exists() and not force:
        fail(say("init_exists", chosen, path=path), chosen)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        fail(say("init_cannot_write", chosen, path=path, reason=exc.strerror or exc), chosen)
    click.echo(say("init_written", chosen, path=path))

@main.group("config")
def config_group() -> None:
    """Kiểm tra cấu hình. / Check the configuration."""

@config_group.command("check")
@common_options
def config_check(runtime: Runtime) -> None:
    """Kiểm tra secmon.yaml và mọi thứ nó trỏ tới (luật, kịch bản, cảnh báo). /
    Validate secmon.yaml and what it names (rules, playbooks, alert secrets)."""
    from .daemon.setup import prepare, unmatched_files
    from .daemon.texts import say

    lang = runtime.lang
    settings = runtime.settings
    if settings.path is None:
        fail(say("no_config", lang), lang)
    setup = prepare(runtime)  # InputError: printed with every problem by common_options
    for location, pattern in unmatched_files(runtime):
        click.echo(say("no_match", lang, where=location, path=pattern), err=True)
    inputs = settings.inputs
    summary = say(
        "inputs_summary",
        lang,
        files=len(inputs.files),
        journald=say("yes" if inputs.journald is not None else "no", lang),
        syslog=say("yes" if inputs.syslog is not None else "no", lang),
    )
    playbooks = len(setup.playbooks.playbooks) if setup.playbooks is not None else 0
    click.echo(say("config_ok", lang, path=settings.path, rules=len(setup.ruleset.rules),
                   playbooks=playbooks, inputs=summary))

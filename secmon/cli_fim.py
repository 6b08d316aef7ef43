"""`secmon fim baseline` and `secmon fim status`: the web-root watch from the command line.

The commands register themselves on the main group; secmon/cli.py imports
this module at its end (see cli_playbook.py), so either may be imported first.

- `fim baseline [--root DIR]... [--by NAME]` (re)takes the baseline of each
  root after a planned deployment: every file hashed, stored as the approved
  state and as what the watcher has seen.
- `fim status [--root DIR]... [--format table|jsonl]` compares each root with
  its approved baseline and lists what was created, modified or deleted
  (files whose content is the same are not listed). `jsonl` prints each
  difference as a fim event (the JSON the `fim` log type reads), so the
  output can go through `secmon rules test --type fim`.

Roots come from `--root`, else from `web_roots:` in the config; a root given
with `--root` that is also configured keeps its configured ignore patterns
and upload folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from .cli import common_options, main
from .errors import SecmonError
from .i18n import pick
from .incidents.baseline import APPROVED, BaselineStore
from .incidents.store import IncidentStore
from .runtime import Runtime
from .sources.webroot import FileChange, WebRoot, WebRootWatcher
from .tables import render_table
from .textsafe import terminal_safe

TEXTS: dict[str, dict[str, str]] = {
    "no_roots": {
        "vi": "chưa có thư mục web nào: thêm mục web_roots: vào tệp cấu hình hoặc dùng --root",
        "en": "no web roots: add a web_roots: section to the config file or pass --root",
    },
    "not_a_dir": {
        "vi": "{path} không phải thư mục (hoặc không tồn tại); kiểm tra đường dẫn",
        "en": "{path} is not a folder (or does not exist); check the path",
    },
    "taken": {
        "vi": "Đã lấy baseline {root}: {files} tệp",
        "en": "Baseline taken of {root}: {files} files",
    },
    "no_baseline": {
        "vi": "{root}: chưa có baseline; chạy `secmon fim baseline` sau khi triển khai",
        "en": "{root}: no baseline yet; run `secmon fim baseline` after deploying",
    },
    "header": {
        "vi": "{root} (baseline {taken}, {files} tệp): {count} khác biệt",
        "en": "{root} (baseline {taken}, {files} files): {count} differences",
    },
    "clean": {"vi": "không có thay đổi", "en": "no changes"},
    "created": {"vi": "tạo mới", "en": "created"},
    "modified": {"vi": "sửa đổi", "en": "modified"},
    "deleted": {"vi": "bị xóa", "en": "deleted"},
    "col_change": {"vi": "Thay đổi", "en": "Change"},
    "col_file": {"vi": "Tệp", "en": "File"},
    "col_signs": {"vi": "Dấu hiệu", "en": "Signs"},
}


def say(lang: str, key: str, **values: object) -> str:
    return pick(lang, TEXTS[key]).format(**values)


class FimError(SecmonError):
    """A user error of the fim commands; `text` holds vi and en (the CLI picks one)."""

    def __init__(self, key: str, **values: object):
        self.text = {lang: pick(lang, TEXTS[key]).format(**values) for lang in ("vi", "en")}
        super().__init__(self.text["en"])


def web_roots(runtime: Runtime, given: Sequence[Path]) -> list[WebRoot]:
    """The roots to work on, with their configured settings; raise if none or missing."""
    configured = {os.path.abspath(r.path): r for r in runtime.settings.web_roots}
    paths = [os.path.abspath(p) for p in given] or list(configured)
    if not paths:
        raise FimError("no_roots")
    roots: list[WebRoot] = []
    for path in dict.fromkeys(paths):
        if not os.path.isdir(path):
            raise FimError("not_a_dir", path=path)
        setting = configured.get(path)
        if setting is None:
            roots.append(WebRoot(path))
        else:
            roots.append(WebRoot(path, setting.ignore, setting.upload_dirs))
    return roots


def _signs(change: FileChange) -> str:
    found = change.inspection
    signs = [*found.markers, *found.deface_markers]
    if change.traits.double_ext:
        signs.append("double-ext")
    if change.traits.script and change.traits.in_upload_dir and change.change != "deleted":
        signs.append("script-in-upload")
    if found.shell_name:
        signs.append(f"shell={found.shell_name}")
    return ", ".join(signs)


@main.group("fim")
def fim() -> None:
    """Theo dõi thư mục web (webshell, deface). / Web-root watch (webshells, defacement)."""


@fim.command("baseline")
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Web root folder (default: web_roots: of the config). Repeatable.",
)
@click.option("--by", help="Who takes it (default: the logged-in user).")
@common_options
def fim_baseline(runtime: Runtime, roots: tuple[Path, ...], by: str | None) -> None:
    """Lấy lại baseline sau khi triển khai có kế hoạch. /
    (Re)take the baseline after a planned deployment."""
    chosen = web_roots(runtime, roots)
    actor = by or os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown"
    watcher = WebRootWatcher(chosen, clock=runtime.clock)
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        baselines = BaselineStore(store, runtime.clock)
        for root in watcher.roots:
            files = baselines.take(root, watcher.snapshot(root), by=actor)
            click.echo(say(runtime.lang, "taken", root=terminal_safe(root), files=files))


@fim.command("status")
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Web root folder (default: web_roots: of the config). Repeatable.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
@common_options
def fim_status(runtime: Runtime, roots: tuple[Path, ...], fmt: str) -> None:
    """Những gì khác với baseline. / What differs from the baseline now."""
    chosen = sorted(web_roots(runtime, roots), key=lambda r: r.path)
    lang = runtime.lang
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        baselines = BaselineStore(store, runtime.clock)
        approved = baselines.view(APPROVED)
        taken = {info.root: info for info in baselines.roots(APPROVED)}
        first = True
        for spec in chosen:
            root = spec.path
            info = taken.get(root)
            if info is None:
                click.echo(say(lang, "no_baseline", root=terminal_safe(root)), err=True)
                continue
            single = WebRootWatcher([spec], clock=runtime.clock)
            changes = [c for c in single.iter_scan(approved) if c.reportable]
            if fmt == "jsonl":
                for change in changes:
                    click.echo(single.to_event(change).raw)
                continue
            if not first:
                click.echo("")
            first = False
            when = info.taken_at.astimezone(runtime.tz).strftime("%Y-%m-%d %H:%M:%S")
            click.echo(
                say(
                    lang,
                    "header",
                    root=terminal_safe(root),
                    taken=when,
                    files=info.files,
                    count=len(changes),
                )
            )
            if not changes:
                click.echo("  " + say(lang, "clean"))
                continue
            rows = [(say(lang, c.change), c.rel_path, _signs(c)) for c in changes]
            click.echo(
                render_table(
                    [say(lang, "col_change"), say(lang, "col_file"), say(lang, "col_signs")],
                    rows,
                    max_cell=100,
                )
            )

"""`secmon fim baseline` and `secmon fim status`: exact output on real folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from secmon.cli import main
from secmon.clock import SystemClock
from secmon.incidents.baseline import APPROVED, BaselineStore
from secmon.incidents.store import IncidentStore

DATA = Path(__file__).parent / "data" / "fim"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"USER": "canbo", "SUDO_USER": ""})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def portal(tmp_path: Path) -> Path:
    root = tmp_path / "html"
    write(root / "index.php", (DATA / "benign" / "wordpress-index.php").read_text())
    write(
        root / "wp-content" / "themes" / "xa" / "footer.php",
        (DATA / "benign" / "footer.php").read_text(),
    )
    write(root / "wp-content" / "uploads" / "2026" / "anh.jpg", "JFIF")
    write(root / "wp-content" / "cache" / "a.html", "cached")
    return root


def taken_at(db: Path, root: Path) -> str:
    with IncidentStore.open(db, SystemClock()) as store:
        (info,) = [
            r for r in BaselineStore(store, SystemClock()).roots(APPROVED) if r.root == str(root)
        ]
    return info.taken_at.strftime("%Y-%m-%d %H:%M:%S")


def test_baseline_then_status(tmp_path: Path) -> None:
    root = portal(tmp_path)
    db = tmp_path / "secmon.db"
    common = ["--db", str(db), "--lang", "en", "--tz", "UTC"]
    taken = run("fim", "baseline", "--root", str(root), *common)
    assert (taken.exit_code, taken.output) == (0, f"Baseline taken of {root}: 4 files\n")
    clean = run("fim", "status", "--root", str(root), *common)
    when = taken_at(db, root)
    assert (clean.exit_code, clean.output) == (
        0,
        f"{root} (baseline {when}, 4 files): 0 differences\n  no changes\n",
    )
    write(root / "index.php", (DATA / "deface" / "index.html").read_text())
    write(
        root / "wp-content" / "uploads" / "2026" / "anh.jpg.php",
        (DATA / "webshells" / "simple-backdoor.php").read_text(),
    )
    write(root / "wp-content" / "uploads" / "2026" / "x\x1b[31m.php", "<?php")
    (root / "wp-content" / "cache" / "a.html").unlink()
    status = run("fim", "status", "--root", str(root), *common)
    assert status.exit_code == 0
    assert status.output == (
        f"{root} (baseline {when}, 4 files): 4 differences\n"
        "Change    File                                   Signs\n"
        "--------  -------------------------------------  "
        "----------------------------------------\n"
        "modified  index.php                              hacked-by\n"
        "deleted   wp-content/cache/a.html\n"
        "created   wp-content/uploads/2026/anh.jpg.php    "
        "exec-input, double-ext, script-in-upload\n"
        "created   wp-content/uploads/2026/x\\x1b[31m.php  script-in-upload\n"
    )
    vietnamese = run(
        "fim", "status", "--root", str(root), "--db", str(db), "--lang", "vi", "--tz", "UTC"
    )
    assert vietnamese.output.splitlines()[:4] == [
        f"{root} (baseline {when}, 4 tệp): 4 khác biệt",
        "Thay đổi  Tệp                                    Dấu hiệu",
        "--------  -------------------------------------  ----------------------------------------",
        "sửa đổi   index.php                              hacked-by",
    ]
    # after a planned deployment the baseline is taken again: nothing differs
    again = run("fim", "baseline", "--root", str(root), *common)
    assert again.output == f"Baseline taken of {root}: 5 files\n"
    assert run("fim", "status", "--root", str(root), *common).output.endswith(
        "5 files): 0 differences\n  no changes\n"
    )


def test_status_jsonl_replays_through_the_rules(tmp_path: Path) -> None:
    root = portal(tmp_path)
    db = tmp_path / "secmon.db"
    run("fim", "baseline", "--root", str(root), "--db", str(db))
    write(
        root / "wp-content" / "uploads" / "2026" / "anh.jpg.php",
        (DATA / "webshells" / "simple-backdoor.php").read_text(),
    )
    status = run("fim", "status", "--root", str(root), "--db", str(db), "--format", "jsonl")
    (line,) = status.output.splitlines()
    record = json.loads(line)
    assert (record["change"], record["rel_path"], record["markers"]) == (
        "created",
        "wp-content/uploads/2026/anh.jpg.php",
        "exec-input",
    )
    recorded = write(tmp_path / "fim.jsonl", status.output)
    explained = run("rules", "test", str(recorded), "--format", "jsonl", "--db", str(db))
    matched = sorted(
        (json.loads(x)["rule"], json.loads(x)["category"]) for x in explained.output.splitlines()
    )
    assert matched == [
        ("fim.change", "defacement"),
        ("fim.double-extension", "webshell"),
        ("fim.script-in-upload", "webshell"),
        ("fim.webshell-markers", "webshell"),
    ]


def test_roots_from_the_config_keep_their_settings(tmp_path: Path) -> None:
    root = portal(tmp_path)
    config = write(
        tmp_path / "secmon.yaml",
        f"""\
version: 1
database: secmon.db
web_roots:
- path: {root}
  ignore: [wp-content/cache/**]
""",
    )
    taken = run("fim", "baseline", "-c", str(config), "--lang", "en")
    assert taken.output == f"Baseline taken of {root}: 3 files\n"
    write(root / "wp-content" / "cache" / "b.html", "cached")
    status = run("fim", "status", "-c", str(config), "--lang", "en")
    assert status.output.endswith("3 files): 0 differences\n  no changes\n")
    # --root naming a configured root keeps its ignore patterns
    named = run("fim", "status", "-c", str(config), "--lang", "en", "--root", str(root) + "/")
    assert named.output == status.output


def test_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "secmon.db")
    none = run("fim", "baseline", "--db", db, "--lang", "en")
    assert (none.exit_code, none.stderr) == (
        1,
        "Error: no web roots: add a web_roots: section to the config file or pass --root\n",
    )
    missing = run("fim", "status", "--root", str(tmp_path / "nope"), "--db", db, "--lang", "vi")
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"Lỗi: {tmp_path / 'nope'} không phải thư mục (hoặc không tồn tại); kiểm tra đường dẫn\n",
    )
    root = portal(tmp_path)
    never = run("fim", "status", "--root", str(root), "--db", db, "--lang", "en")
    assert (never.exit_code, never.stdout, never.stderr) == (
        0,
        "",
        f"{root}: no baseline yet; run `secmon fim baseline` after deploying\n",
    )


def test_the_commands_are_documented(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    docs = (repo_root / "docs" / "fim.md").read_text(encoding="utf-8")
    for command in ("secmon fim baseline [--root DIR]...", "secmon fim status [--root DIR]..."):
        assert command in readme
        assert command in docs

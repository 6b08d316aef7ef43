"""The web-root watcher on real folders: scans, hints, events (secmon.sources.webroot)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.clock import ManualClock
from secmon.events import Event
from secmon.parsers.base import ParseContext
from secmon.parsers.fim import FimEventParser
from secmon.sources.webroot import (
    FileChange,
    MemoryBaseline,
    WebRoot,
    WebRootWatcher,
)
from secmon.sources.webroot_scan import Found, Unreadable

DATA = Path(__file__).parent / "data" / "fim"
T0 = datetime(2026, 3, 14, 3, 0, 0, tzinfo=UTC)
MIB = 1024 * 1024


def clock() -> ManualClock:
    return ManualClock(T0)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def site(tmp_path: Path) -> Path:
    """A small WordPress-like portal."""
    root = tmp_path / "html"
    write(root / "index.php", (DATA / "benign" / "wordpress-index.php").read_text())
    write(root / "wp-config.php", "<?php define('DB_NAME', 'portal');\n")
    write(
        root / "wp-content" / "themes" / "xa" / "footer.php",
        (DATA / "benign" / "footer.php").read_text(),
    )
    write(
        root / "wp-content" / "plugins" / "lct" / "lct.php",
        (DATA / "benign" / "plugin-icon.php").read_text(),
    )
    write(
        root / "wp-content" / "uploads" / "2026" / "03" / "anh-dai-dien.jpg",
        b"\xff\xd8\xff\xe0JFIF",
    )
    write(root / "wp-content" / "cache" / "page.html", "<html>cached</html>")
    write(root / "tin-tuc.html", (DATA / "benign" / "tin-tuc.html").read_text())
    return root


def baseline_of(watcher: WebRootWatcher) -> MemoryBaseline:
    baseline = MemoryBaseline()
    for root in watcher.roots:
        baseline.take(root, watcher.snapshot(root))
    return baseline


def summary(changes: list[FileChange]) -> list[tuple[str, str]]:
    return [(c.change, c.rel_path) for c in changes]


# ---------------------------------------------------------------- scanning


def test_nothing_changed_nothing_read(tmp_path: Path) -> None:
    root = site(tmp_path)
    watcher = WebRootWatcher([root], ignore=["wp-content/cache/**"], clock=clock())
    baseline = baseline_of(watcher)
    assert [e.rel.decode() for e in baseline.entries(str(root))] == [
        "index.php",
        "tin-tuc.html",
        "wp-config.php",
        "wp-content/plugins/lct/lct.php",
        "wp-content/themes/xa/footer.php",
        "wp-content/uploads/2026/03/anh-dai-dien.jpg",
    ]
    # Unchanged files are not opened: an unreadable but unchanged file is fine.
    assert watcher.scan(baseline) == []


def test_webshell_dropped_in_uploads_becomes_an_event(tmp_path: Path) -> None:
    root = site(tmp_path)
    manual = clock()
    watcher = WebRootWatcher([root], clock=manual, host="portal")
    baseline = baseline_of(watcher)
    shell = (DATA / "webshells" / "simple-backdoor.php").read_bytes()
    dropped = write(root / "wp-content" / "uploads" / "2026" / "03" / "anh.jpg.php", shell)
    manual.advance(60)
    (change,) = watcher.scan(baseline)
    event = watcher.to_event(change)
    mtime = datetime.fromtimestamp(dropped.stat().st_mtime_ns / 1e9, tz=UTC)
    expected_fields = {
        "path": f"{root}/wp-content/uploads/2026/03/anh.jpg.php",
        "rel_path": "wp-content/uploads/2026/03/anh.jpg.php",
        "root": str(root),
        "change": "created",
        "file_type": "file",
        "ext": "php",
        "size": len(shell),
        "old_size": None,
        "sha256": hashlib.sha256(shell).hexdigest(),
        "old_sha256": None,
        "mtime": mtime.isoformat(timespec="seconds"),
        "in_upload_dir": True,
        "double_ext": True,
        "script": True,
        "is_index": False,
        "depth": 4,
        "markers": "exec-input",
        "deface_markers": "",
        "shell_name": None,
        "spam_words": "",
        "link_target": None,
        "link_outside": None,
    }
    assert event == Event(
        time=datetime(2026, 3, 14, 3, 1, 0, tzinfo=UTC),
        source=str(root),
        parser="fim",
        message=f"created {root}/wp-content/uploads/2026/03/anh.jpg.php",
        raw=event.raw,
        host="portal",
        program=None,
        fields=expected_fields,
    )
    assert json.loads(event.raw) == {
        "time": "2026-03-14T03:01:00+00:00",
        "host": "portal",
        **expected_fields,
    }
    # the JSON form reads back as the same event
    parser = FimEventParser(ParseContext(source="replay", tz=UTC, reference_time=T0))
    assert parser.parse(event.raw) == event


def test_created_modified_deleted_in_key_order(tmp_path: Path) -> None:
    root = site(tmp_path)
    watcher = WebRootWatcher([root], ignore=["wp-content/cache/**"], clock=clock())
    baseline = baseline_of(watcher)
    write(root / "index.php", "<title>Hacked by Vn-Gh0st</title>")
    (root / "tin-tuc.html").unlink()
    write(root / "wp-content" / "themes" / "xa" / "404.php", "<?php get_header();")
    write(root / "wp-content" / "cache" / "other.html", "cached")  # ignored
    changes = watcher.scan(baseline)
    assert summary(changes) == [
        ("modified", "index.php"),
        ("deleted", "tin-tuc.html"),
        ("created", "wp-content/themes/xa/404.php"),
    ]
    index = watcher.to_event(changes[0]).fields
    assert (index["is_index"], index["deface_markers"], index["old_size"]) == (
        True,
        "hacked-by",
        405,
    )
    deleted = watcher.to_event(changes[1]).fields
    assert (deleted["size"], deleted["old_size"], deleted["sha256"]) == (None, 592, None)
    assert (
        deleted["old_sha256"]
        == hashlib.sha256((DATA / "benign" / "tin-tuc.html").read_bytes()).hexdigest()
    )
    baseline.apply(changes)
    assert watcher.scan(baseline) == []


def test_change_made_while_stopped_is_found_by_a_new_watcher(tmp_path: Path) -> None:
    root = site(tmp_path)
    baseline = baseline_of(WebRootWatcher([root], clock=clock()))
    # secmon stops; an attacker edits the footer and plants a shell; secmon starts again
    footer = root / "wp-content" / "themes" / "xa" / "footer.php"
    write(footer, (DATA / "deface" / "footer-seo.php").read_text())
    write(root / "wp-includes" / "css" / "about.php", (DATA / "webshells" / "wso.php").read_text())
    restarted = WebRootWatcher([root], clock=clock())
    changes = restarted.scan(baseline)
    found = [
        (c.change, c.rel_path, c.inspection.markers, c.inspection.deface_markers) for c in changes
    ]
    assert found == [
        ("modified", "wp-content/themes/xa/footer.php", (), ("gambling-spam", "hidden-link")),
        ("created", "wp-includes/css/about.php", ("known-shell",), ()),
    ]


def test_times_only_is_touched_and_same_size_edit_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "www"
    page = write(root / "lien-he.php", "<?php echo 'lien he';")
    watcher = WebRootWatcher([root], clock=clock())
    baseline = baseline_of(watcher)
    os.utime(page, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (touched,) = watcher.scan(baseline)
    assert (touched.change, touched.reportable) == ("touched", False)
    baseline.apply([touched])
    assert watcher.scan(baseline) == []
    # same size, mtime put back (timestomping): the ctime still moves
    before = page.stat()
    write(page, "<?php exec($_GET[x]);")
    assert page.stat().st_size == before.st_size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    (edited,) = watcher.scan(baseline)
    assert (edited.change, edited.inspection.markers) == ("modified", ("exec-input",))


def test_rename_is_a_deletion_and_a_creation(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "uploads" / "bao-cao.pdf", b"%PDF-1.7")
    watcher = WebRootWatcher([root], clock=clock())
    baseline = baseline_of(watcher)
    (root / "uploads" / "bao-cao.pdf").rename(root / "uploads" / "bao-cao.pdf.locked")
    assert summary(watcher.scan(baseline)) == [
        ("deleted", "uploads/bao-cao.pdf"),
        ("created", "uploads/bao-cao.pdf.locked"),
    ]


def test_ignore_patterns(tmp_path: Path) -> None:
    root = tmp_path / "www"
    watcher = WebRootWatcher(
        [root],
        ignore=["wp-content/cache/**", "uploads/**/thumbs/**", "*.log", "tmp"],
        clock=clock(),
    )
    write(root / "index.php", "<?php")
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    for rel in [
        "wp-content/cache/a/b.php",
        "uploads/2026/03/thumbs/x.php",
        "uploads/thumbs/y.php",
        "logs/error.log",
        "deep/tmp/shell.php",
        "tmp/shell.php",
        "wp-content/cache.php",  # not the folder: watched
        "uploads/2026/thumbs.php",  # not a folder called thumbs: watched
        "logs/error.log.php",  # *.log matches whole names only
    ]:
        write(root / rel, "<?php")
    assert sorted(c.rel_path for c in watcher.scan(baseline)) == [
        "index.php",
        "logs/error.log.php",
        "uploads/2026/thumbs.php",
        "wp-content/cache.php",
    ]


def test_files_ignored_after_the_baseline_are_not_deleted(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "cache" / "a.html", "x")
    baseline = baseline_of(WebRootWatcher([root], clock=clock()))
    ignoring = WebRootWatcher([root], ignore=["cache/**"], clock=clock())
    assert ignoring.scan(baseline) == []
    (root / "cache" / "a.html").unlink()
    assert ignoring.scan(baseline) == []


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write(outside / "secret.php", "<?php system($_GET['c']);")
    root = tmp_path / "www"
    write(root / "a" / "page.html", "<p>x</p>")
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    os.symlink("..", root / "a" / "loop")  # a loop back up
    os.symlink("self", root / "self")  # a link to itself
    os.symlink(outside, root / "a" / "out")  # a folder outside
    os.symlink("/etc/passwd", root / "images.txt")  # a file outside
    os.symlink("page.html", root / "a" / "page-link.html")  # inside
    watcher = WebRootWatcher([root], clock=clock())
    changes = watcher.scan(baseline)
    fields = {c.rel_path: watcher.to_event(c).fields for c in changes}
    assert sorted(fields) == [
        "a/loop",
        "a/out",
        "a/page-link.html",
        "a/page.html",
        "images.txt",
        "self",
    ]
    assert {
        k: (f["file_type"], f["link_target"], f["link_outside"]) for k, f in fields.items()
    } == {
        "a/loop": ("link", "..", False),
        "a/out": ("link", str(outside), True),
        "a/page-link.html": ("link", "page.html", False),
        "a/page.html": ("file", None, None),
        "images.txt": ("link", "/etc/passwd", True),
        "self": ("link", "self", False),
    }
    assert fields["a/out"]["sha256"] == hashlib.sha256(b"link:" + str(outside).encode()).hexdigest()
    # a hint inside the linked folder re-checks the link, never what it points to
    baseline.apply(changes)
    write(outside / "new.php", "<?php")
    assert watcher.changes([("created", str(root / "a" / "out" / "new.php"))], baseline) == []


def test_fifos_and_sockets_are_skipped_not_opened(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "a.html", "a")
    os.mkfifo(root / "pipe.php")
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    started = time.monotonic()
    assert summary(WebRootWatcher([root], clock=clock()).scan(baseline)) == [("created", "a.html")]
    assert time.monotonic() - started < 5


def test_big_file_is_hashed_whole_but_inspected_only_at_its_start(tmp_path: Path) -> None:
    root = tmp_path / "www"
    root.mkdir()
    watcher = WebRootWatcher([root], clock=clock())
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    late = root / "late.php"
    marker = b"eval(base64_decode($_POST['x']));\n"
    with open(late, "wb") as handle:  # 50 MiB (sparse), the shell code at the end
        handle.write(b"<?php\n")
        handle.seek(50 * MIB)
        handle.write(marker)
    early = root / "early.php"
    write(early, b"<?php " + marker + b"/* padding */\n" * 100_000)
    started = time.perf_counter()
    changes = {c.rel_path: c for c in watcher.scan(baseline)}
    elapsed = time.perf_counter() - started
    assert changes["late.php"].inspection.markers == ()
    assert changes["early.php"].inspection.markers == ("eval-decode", "eval-input")
    assert changes["late.php"].new is not None
    assert changes["late.php"].new.sha256 == hashlib.sha256(late.read_bytes()).hexdigest()
    assert changes["late.php"].new.size > 50 * MIB
    assert elapsed < 5
    # the inspected prefix is bounded: a marker just past the limit is not seen
    small = WebRootWatcher([root], max_inspect_bytes=1024, clock=clock())
    write(root / "edge.php", b"<?php " + b" " * 1020 + b"eval(base64_decode($x));")
    edge = [
        c for c in small.changes([str(root / "edge.php")], baseline) if c.rel_path == "edge.php"
    ]
    assert edge[0].inspection.markers == ()


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "uploads").mkdir(parents=True)
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    raw = os.fsencode(root / "uploads") + b"/\xff\xfeanh.php"
    with open(raw, "wb") as handle:
        handle.write(b"<?php assert($_POST['x']);")
    write(root / "uploads" / "tệp\x1b[2J.php", "<?php")
    watcher = WebRootWatcher([root], clock=clock())
    changes = watcher.scan(baseline)
    assert [c.rel_path for c in changes] == ["uploads/tệp\x1b[2J.php", "uploads/\\xff\\xfeanh.php"]
    event = watcher.to_event(changes[1])
    assert event.fields["markers"] == "assert-input"
    assert event.message == f"created {root}/uploads/\\xff\\xfeanh.php"
    json.loads(event.raw)  # valid JSON, valid UTF-8
    event.raw.encode("utf-8")
    baseline.apply(changes)
    os.unlink(raw)
    assert summary(watcher.changes([os.fsdecode(raw)], baseline)) == [
        ("deleted", "uploads/\\xff\\xfeanh.php")
    ]


def test_a_very_deep_tree(tmp_path: Path) -> None:
    root = tmp_path / "www"
    deep = root.joinpath(*["d"] * 300)
    deep.mkdir(parents=True)
    write(deep / "x.php", "<?php")
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    (change,) = WebRootWatcher([root], clock=clock()).scan(baseline)
    assert change.rel_path == "d/" * 300 + "x.php"


def test_unknown_roots_are_skipped_and_a_missing_root_is_all_deleted(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "a.php", "<?php")
    write(root / "b" / "c.html", "c")
    watcher = WebRootWatcher([root], clock=clock())
    assert watcher.scan(MemoryBaseline()) == []  # no baseline yet: nothing to compare
    baseline = baseline_of(watcher)
    (root / "b" / "c.html").unlink()
    (root / "b").rmdir()
    (root / "a.php").unlink()
    root.rmdir()
    assert summary(watcher.scan(baseline)) == [("deleted", "a.php"), ("deleted", "b/c.html")]


def test_nested_roots_own_their_files(tmp_path: Path) -> None:
    outer = tmp_path / "www"
    inner = outer / "egov"
    write(outer / "index.php", "<?php")
    write(inner / "index.php", "<?php")
    watcher = WebRootWatcher([outer, inner], clock=clock())
    baseline = MemoryBaseline()
    baseline.take(str(outer), [])
    baseline.take(str(inner), [])
    assert [(c.root, c.rel_path) for c in watcher.scan(baseline)] == [
        (str(outer), "index.php"),
        (str(inner), "index.php"),
    ]
    write(inner / "shell.php", "<?php")
    assert [
        (c.root, c.rel_path) for c in watcher.changes([str(inner / "shell.php")], baseline)
    ] == [
        (str(inner), "shell.php"),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_unknown_not_deleted(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "private" / "a.php", "<?php")
    write(root / "z.php", "<?php")
    watcher = WebRootWatcher([root], clock=clock())
    baseline = baseline_of(watcher)
    (root / "private").chmod(0)
    try:
        assert watcher.scan(baseline) == []
    finally:
        (root / "private").chmod(0o755)


def test_merge_with_an_unreadable_folder(tmp_path: Path) -> None:
    """What the walk yields for a folder it cannot list (as root, chmod cannot make one)."""
    root = tmp_path / "www"
    root.mkdir()
    watcher = WebRootWatcher([root], clock=clock())
    stored = [
        Found(b"a", "file", 1, 1, 1),
        Found(b"b\x00x.php", "file", 1, 1, 1),
        Found(b"b\x00y\x00z.php", "file", 1, 1, 1),
        Found(b"c", "file", 1, 1, 1),
    ]
    tree = iter([Unreadable(b"b", "Permission denied")])
    changes = list(watcher._diff(watcher._roots[0], tree, stored))  # type: ignore[arg-type]
    assert summary(changes) == [("deleted", "a"), ("deleted", "c")]


# ---------------------------------------------------------------- hints


def test_hints_recheck_only_what_they_name(tmp_path: Path) -> None:
    root = site(tmp_path)
    watcher = WebRootWatcher([root], ignore=["wp-content/cache/**"], clock=clock())
    baseline = baseline_of(watcher)
    write(root / "wp-config.php", "<?php define('DB_NAME', 'hacked');\n")  # no hint for this one
    write(root / "wp-content" / "uploads" / "x.php", "<?php")
    write(root / "wp-content" / "cache" / "y.php", "<?php")
    hints = [
        ("created", str(root / "wp-content" / "uploads" / "x.php")),
        ("modified", str(root / "wp-content" / "uploads")),  # the folder: covers x.php too
        ("created", str(root / "wp-content" / "cache" / "y.php")),  # ignored
        ("created", str(tmp_path / "other" / "z.php")),  # outside every root
        ("modified", str(root / "index.php")),  # unchanged
    ]
    assert summary(watcher.changes(hints, baseline)) == [("created", "wp-content/uploads/x.php")]
    # the root itself as a hint: everything is compared
    assert summary(watcher.changes([str(root)], baseline)) == [
        ("modified", "wp-config.php"),
        ("created", "wp-content/uploads/x.php"),
    ]


def test_folder_moved_in_and_out(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "themes" / "xa" / "index.php", "<?php")
    write(root / "themes" / "xa" / "style.css", "body{}")
    watcher = WebRootWatcher([root], clock=clock())
    baseline = baseline_of(watcher)
    write(tmp_path / "incoming" / "kit" / "a.php", "<?php")
    write(tmp_path / "incoming" / "kit" / "sub" / "b.php", "<?php")
    (tmp_path / "incoming" / "kit").rename(root / "themes" / "kit")
    (root / "themes" / "xa").rename(tmp_path / "xa-old")
    hints = [("moved", str(root / "themes" / "kit")), ("moved", str(root / "themes" / "xa"))]
    changes = watcher.changes(hints, baseline)
    assert summary(changes) == [
        ("created", "themes/kit/a.php"),
        ("created", "themes/kit/sub/b.php"),
        ("deleted", "themes/xa/index.php"),
        ("deleted", "themes/xa/style.css"),
    ]


# ---------------------------------------------------------------- the merge against a model


def test_random_trees_match_a_brute_force_diff(tmp_path: Path) -> None:
    """Names chosen so that walk order and plain string order differ ('-' < '/' < '.')."""
    rng = random.Random(20260314)
    names = ["a", "a-b", "a.b", "a b", "ab", "b", "B", "\u00e9", "x.php", "1", "a0"]
    root = tmp_path / "www"
    root.mkdir()
    watcher = WebRootWatcher([root], clock=clock())

    def random_path() -> Path:
        return root.joinpath(*(rng.choice(names) for _ in range(rng.randint(1, 3))))

    def model() -> dict[str, bytes]:
        found = {}
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                found[str(path.relative_to(root))] = path.read_bytes()
        return found

    for _round in range(12):
        baseline = baseline_of(watcher)
        before = model()
        for _ in range(rng.randint(1, 15)):
            path = random_path()
            action = rng.random()
            try:
                if action < 0.5:
                    write(path, rng.choice([b"x", b"yy", b"<?php", str(rng.random()).encode()]))
                elif path.is_file():
                    path.unlink()
            except (IsADirectoryError, NotADirectoryError, FileExistsError):
                continue
        after = model()
        expected = sorted(
            [("created", p) for p in after.keys() - before.keys()]
            + [("deleted", p) for p in before.keys() - after.keys()]
            + [("modified", p) for p in after.keys() & before.keys() if after[p] != before[p]]
        )
        changes = watcher.scan(baseline)
        assert sorted(summary([c for c in changes if c.reportable])) == expected
        keys = [c.key for c in changes]
        assert keys == sorted(keys)  # streamed in key order: the merge worked


def test_a_root_named_twice_is_watched_once(tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "a.php", "<?php")
    watcher = WebRootWatcher([root, f"{root}/", f"{root}/x/.."], clock=clock())
    assert watcher.roots == [str(root)]
    baseline = MemoryBaseline()
    baseline.take(str(root), [])
    assert summary(watcher.scan(baseline)) == [("created", "a.php")]


def test_webroot_settings_per_root(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(a / "files" / "x.php", "<?php")
    write(b / "files" / "x.php", "<?php")
    write(b / "tailieu" / "y.php", "<?php")
    watcher = WebRootWatcher(
        [WebRoot(str(a)), WebRoot(str(b), ignore=("files/**",), upload_dirs=("tailieu",))],
        clock=clock(),
    )
    baseline = MemoryBaseline()
    baseline.take(str(a), [])
    baseline.take(str(b), [])
    assert [(c.root, c.rel_path, c.traits.in_upload_dir) for c in watcher.scan(baseline)] == [
        (str(a), "files/x.php", True),
        (str(b), "tailieu/y.php", True),
    ]

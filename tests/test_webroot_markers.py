"""Webshell and defacement markers in file content (secmon.sources.webshell_markers)."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from secmon.sources.webshell_markers import (
    DEFACE_MARKERS,
    WEBSHELL_MARKERS,
    ContentInspector,
    FileTraits,
    Inspection,
)

DATA = Path(__file__).parent / "data" / "fim"
KIB = 1024


@pytest.fixture(scope="module")
def inspector() -> ContentInspector:
    return ContentInspector()


def inspect(
    inspector: ContentInspector, name: str, data: bytes, upload: bool = False
) -> Inspection:
    return inspector.inspect(data, FileTraits.of(name, in_upload_dir=upload))


def sample(folder: str, name: str) -> bytes:
    return (DATA / folder / name).read_bytes()


# ---------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "ext", "script", "double_ext", "htaccess"),
    [
        ("anh.jpg.php", "php", True, True, False),
        ("ANH.JPG.PHP", "php", True, True, False),
        ("shell.php.jpg", "jpg", False, True, False),
        ("cv.php5.pdf", "pdf", False, True, False),
        ("style.css.php", "php", True, False, False),
        ("jquery.min.js", "js", False, False, False),
        ("backup.tar.gz", "gz", False, False, False),
        ("index.phtml", "phtml", True, False, False),
        ("x.phar", "phar", True, False, False),
        ("run.sh", "sh", True, False, False),
        ("Makefile", "", False, False, False),
        (".htaccess", "htaccess", False, False, True),
        (".php", "php", True, False, False),
        (".anh.jpg.php", "php", True, True, False),
        (".user.ini", "ini", False, False, False),
        ("uploads/2026/anh.jpg.php", "php", True, True, False),
    ],
)
def test_traits_from_the_name(
    name: str, ext: str, script: bool, double_ext: bool, htaccess: bool
) -> None:
    traits = FileTraits.of(name, in_upload_dir=True)
    assert (traits.ext, traits.script, traits.double_ext, traits.htaccess) == (
        ext,
        script,
        double_ext,
        htaccess,
    )
    assert traits.in_upload_dir is True


# ---------------------------------------------------------------- webshells


@pytest.mark.parametrize(
    ("name", "markers", "shell_name"),
    [
        ("wso.php", ("known-shell",), "FilesMan"),
        ("packed.php", ("eval-decode", "base64-blob"), None),
        ("simple-backdoor.php", ("exec-input",), None),
        ("assert.php", ("assert-input",), None),
        ("preg-e.php", ("preg-replace-e",), None),
        ("backtick.php", ("backtick-input",), None),
        ("create-function.php", ("create-function",), None),
        ("passthru.php", ("exec-input",), None),
        ("indoxploit.php", ("known-shell",), "IndoXploit"),
        ("rot13.php", ("eval-decode",), None),
        ("logo.gif.jpg", ("php-in-data-file",), None),
    ],
)
def test_webshell_samples_are_found(
    inspector: ContentInspector, name: str, markers: tuple[str, ...], shell_name: str | None
) -> None:
    found = inspect(inspector, name, sample("webshells", name))
    assert found == Inspection(markers=markers, shell_name=shell_name)


def test_htaccess_making_images_run_php(inspector: ContentInspector) -> None:
    data = sample("webshells", "uploads.htaccess")
    assert inspect(inspector, ".htaccess", data).markers == ("php-handler",)
    # any PHP handler at all in an upload folder
    handler = b"<FilesMatch x>\nSetHandler application/x-httpd-php\n</FilesMatch>\n"
    assert inspect(inspector, ".htaccess", handler, upload=True).markers == ("php-handler",)
    assert inspect(inspector, ".htaccess", handler, upload=False).markers == ()


@pytest.mark.parametrize(
    "name",
    [
        "wordpress-index.php",
        "plugin-icon.php",  # a data:image/png;base64 icon of 2.6 KiB
        "plugin-image.php",  # base64_decode of an image, never evaluated
        "thumbnail.php",  # shell_exec of a fixed command, curl_exec, PDO->exec
        "footer.php",
        "uploads.htaccess",  # the usual "no PHP here" protection
    ],
)
def test_benign_code_has_no_markers(inspector: ContentInspector, name: str) -> None:
    as_name = ".htaccess" if name == "uploads.htaccess" else name
    assert inspect(inspector, as_name, sample("benign", name), upload=True) == Inspection()


@pytest.mark.parametrize(
    ("code", "marker"),
    [
        (b"<?php EvAl ( StripSlashes ( $_POST['x'] ) );", "eval-input"),
        (b"<?php @eval(gzuncompress(base64_decode($x)));", "eval-decode"),
        (b"<?php $o = shell_exec($_GET['c']);", "exec-input"),
        (b"<?php proc_open($_COOKIE['c'], $d, $p);", "exec-input"),
        (b"<?php preg_replace('#.*#ie', $_REQUEST['x'], 'a');", "preg-replace-e"),
        (b"<?php assert(base64_decode($_POST['a']));", "eval-decode"),
        (b"<!-- b374k shell -->", "known-shell"),
        (b"<?php /* WSO 2.5 */", "known-shell"),
    ],
)
def test_marker_variants(inspector: ContentInspector, code: bytes, marker: str) -> None:
    assert marker in inspect(inspector, "x.php", code).markers


@pytest.mark.parametrize(
    "code",
    [
        b"<?php $stmt->exec($_POST['sql']);",  # a method, not the exec() function
        b"<?php Foo::system($_GET['x']);",  # a static method
        b"<?php curl_exec($_GET['x']);",  # part of another name
        b"<?php preg_replace('/abc/i', $_POST['x'], $s);",  # no /e
        b"<?php preg_replace('/e/', 'x', $s);",  # an 'e' in the pattern, not a flag
        b"<?php $f = create_function('$a', 'return $a * 2;');",  # old but harmless
        b"<?php eval('return 1;');",  # eval of a constant
        b"<?php $sys = 'system'; echo $system_name;",
    ],
)
def test_marker_near_misses(inspector: ContentInspector, code: bytes) -> None:
    assert inspect(inspector, "x.php", code).markers == ()


def test_code_markers_only_in_code_files(inspector: ContentInspector) -> None:
    shell = sample("webshells", "assert.php")
    assert inspect(inspector, "notes.txt", shell).markers == ()
    assert inspect(inspector, "app.js", b"eval(atob(x)); system($_GET['x'])").markers == ()
    assert inspect(inspector, "lib.inc", shell).markers == ("assert-input",)


def test_base64_blob_needs_an_eval_and_over_2kib(inspector: ContentInspector) -> None:
    blob = b"QUJD" * 520  # 2080 bytes
    assert (
        "base64-blob" in inspect(inspector, "a.php", b"<?php eval($d); $d='" + blob + b"';").markers
    )
    assert inspect(inspector, "a.php", b"<?php $d='" + blob + b"';").markers == ()
    short = b"QUJD" * 500  # 2000 bytes: under the limit
    assert inspect(inspector, "a.php", b"<?php eval($d); $d='" + short + b"';").markers == ()
    data_uri = b"<?php eval($d); $i='data:image/png;base64," + blob + b"';"
    assert inspect(inspector, "a.php", data_uri).markers == ()


# ---------------------------------------------------------------- defacement


@pytest.mark.parametrize(
    ("name", "markers", "words"),
    [
        ("index.html", ("hacked-by",), ()),
        ("footer-seo.php", ("gambling-spam", "hidden-link"), ("nhà cái", "bắn cá", "tài xỉu")),
        ("entities.html", ("gambling-spam",), ("nhà cái", "cá cược")),
        ("inject.js", ("hidden-iframe",), ()),
    ],
)
def test_defacement_samples(
    inspector: ContentInspector, name: str, markers: tuple[str, ...], words: tuple[str, ...]
) -> None:
    found = inspect(inspector, name, sample("deface", name))
    assert found == Inspection(deface_markers=markers, spam_words=words)


@pytest.mark.parametrize(
    "name",
    ["tin-tuc.html", "footer.php", "component.html", "wordpress-index.php"],
)
def test_benign_pages_have_no_defacement_markers(inspector: ContentInspector, name: str) -> None:
    # news about a gambling ring (one term only), a hidden menu, a GTM iframe, a Vue <slot>
    assert inspect(inspector, name, sample("benign", name)) == Inspection()


def test_decomposed_vietnamese_is_normalised(inspector: ContentInspector) -> None:
    text = unicodedata.normalize("NFD", "Nhà Cái uy tín – NỔ HŨ đổi thưởng")
    found = inspect(inspector, "a.html", text.encode())
    assert found.deface_markers == ("gambling-spam",)
    assert found.spam_words == ("nhà cái", "nổ hũ")


def test_one_gambling_word_is_not_spam(inspector: ContentInspector) -> None:
    assert inspect(inspector, "a.html", b"Casino casino CASINO") == Inspection()
    found = inspect(inspector, "a.html", b"slot game and sbobet")
    assert found.spam_words == ("slot game", "sbobet")
    # a hidden link counts with a single spam word when hidden by display:none
    hidden = b'<div style="display:none"><a href="https://x.example/">casino</a></div>'
    assert inspect(inspector, "a.html", hidden).deface_markers == ("hidden-link",)


def test_defacement_only_in_pages(inspector: ContentInspector) -> None:
    page = sample("deface", "index.html")
    assert inspect(inspector, "a.txt", page) == Inspection()
    assert inspect(inspector, "a.jpg", page) == Inspection()
    assert inspect(inspector, "a.tpl", page).deface_markers == ("hacked-by",)


def test_marker_vocabularies_are_stable() -> None:
    assert WEBSHELL_MARKERS == (
        "eval-decode",
        "eval-input",
        "assert-input",
        "exec-input",
        "backtick-input",
        "preg-replace-e",
        "create-function",
        "base64-blob",
        "known-shell",
        "php-in-data-file",
        "php-handler",
    )
    assert DEFACE_MARKERS == ("hacked-by", "gambling-spam", "hidden-iframe", "hidden-link")


# ---------------------------------------------------------------- hostile content

HOSTILE = [
    b"A" * (256 * KIB),
    (b"A" * 2047 + b" ") * 128,  # base64 runs just under the limit
    b"eval(" * (50 * KIB),
    b"eval(" + b"x(" * (120 * KIB),
    b"$a=$_GET;" * (28 * KIB),
    b"$a = $_GET['x'] " + b"(" * (250 * KIB),
    b"preg_replace('" + b"/" * (250 * KIB),
    b"<iframe " * (32 * KIB),
    b"<div style='display:none'>" * (10 * KIB),
    "nhà cái ".encode() * (25 * KIB),
    b"&amp;" * (50 * KIB),
    b"\xff\xfe" * (128 * KIB),
]


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_hostile_256k_prefix_is_inspected_in_linear_time(
    inspector: ContentInspector, index: int
) -> None:
    data = HOSTILE[index]
    started = time.perf_counter()
    for name in ("x.php", "x.html", ".htaccess", "x.jpg"):
        inspect(inspector, name, data, upload=True)
    assert time.perf_counter() - started < 1.0

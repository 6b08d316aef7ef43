"""Content inspection of web-root files: webshell and defacement markers.

    inspector = ContentInspector()
    traits = FileTraits.of("uploads/anh.jpg.php", in_upload_dir=True)
    found = inspector.inspect(prefix_bytes, traits)
    found.markers          # ('eval-decode', 'exec-input')
    found.deface_markers   # ('hacked-by',)

Only a bounded prefix of a file is given here (the watcher reads at most
`max_inspect_bytes`). Every pattern runs on RE2, in time linear in the
prefix; code markers match raw bytes (Latin-1: any byte is a character),
defacement markers match the prefix decoded as UTF-8, HTML entities
resolved and normalised to NFC, so "c&aacute; c&#432;&#7907;c" and a
decomposed "cá cược" are found like the plain text.

Marker names are a fixed vocabulary (rules match on them; never rename):

webshell (`markers`):
  eval-decode       eval/assert of decoded code: eval(base64_decode( / gzinflate( / str_rot13( ...
  eval-input        eval( of request input: eval($_POST[...]) (through stripslashes( etc.)
  assert-input      assert( of request input
  exec-input        system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec( of request input,
                    directly or through a variable set from it a few statements before
  backtick-input    `$_GET[...]` (the shell-exec operator on input)
  preg-replace-e    preg_replace with the /e (evaluate) modifier
  create-function   create_function( fed with input or decoded code
  base64-blob       a base64 run over 2 KiB in a file that also evals something
                    (a data:...;base64, image is never a blob: plugins embed icons so)
  known-shell       names and strings of well-known shells (c99, r57, WSO, b374k, FilesMan,
                    Alfa, IndoXploit ...); the name is in `shell_name`
  php-in-data-file  "<?php" inside an image (a shell hidden in a .jpg/.ico and include()d)
  php-handler       .htaccess making PHP run for image/text extensions, or any PHP handler
                    set in an upload folder

defacement (`deface_markers`):
  hacked-by         "hacked by", "defaced by", "h4cked by", "hack bởi" ...
  gambling-spam     at least two different gambling/SEO-spam terms (nhà cái, cá cược, casino,
                    slot game, bắn cá, tài xỉu, nổ hũ, brand names ...); they are in `spam_words`
  hidden-iframe     an iframe of size 0/1 or hidden by CSS
  hidden-link       a link in a container hidden by CSS or pushed off-screen
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

# Extensions (lower case, without the dot).
SCRIPT_EXTS: frozenset[str] = frozenset(
    "php php3 php4 php5 php6 php7 php8 phtml pht phar jsp jspx asp aspx ashx asmx "
    "sh py pl cgi".split()
)
# Code that is not run directly but included: inspected like scripts.
CODE_EXTS: frozenset[str] = SCRIPT_EXTS | frozenset({"inc", "module"})
# Pages and templates: inspected for defacement content.
PAGE_EXTS: frozenset[str] = frozenset(
    "html htm shtml xhtml tpl twig js php php5 php7 php8 phtml inc jsp asp aspx".split()
)
# Data files that never hold code: `anh.jpg.php` is a double extension, and
# "<?php" inside one of them is a hidden shell.
DATA_EXTS: frozenset[str] = frozenset(
    "jpg jpeg png gif bmp webp ico svg tif tiff pdf doc docx xls xlsx ppt pptx odt ods rtf "
    "txt csv zip rar 7z gz tgz tar mp3 mp4 avi mov wmv flv".split()
)
IMAGE_EXTS: frozenset[str] = frozenset("jpg jpeg png gif bmp webp ico svg tif tiff".split())

WEBSHELL_MARKERS: tuple[str, ...] = (
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
DEFACE_MARKERS: tuple[str, ...] = ("hacked-by", "gambling-spam", "hidden-iframe", "hidden-link")

BLOB_MIN_BYTES = 2048  # an unbroken base64 run longer than this is a blob
SPAM_MIN_TERMS = 2  # distinct gambling terms needed for gambling-spam
_MAX_SPAM_HITS = 2000  # matches looked at per file (a file of one word repeated)
_MAX_BLOB_RUNS = 2000

_INPUT = r"\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES)\b"
# Optional wrappers around the input: eval(stripslashes(base64_decode($_POST['x'])))
_WRAP = r"(?:@?\s*[A-Za-z_][A-Za-z0-9_]{0,30}\s*\(\s*){0,4}@?\s*"
_DECODERS = (
    r"(?:base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin"
    r"|convert_uudecode|rawurldecode|urldecode)"
)
# Not a method (->exec), a static call (::exec), a variable ($system) or part of a name.
_CALL = r"(?:^|[^A-Za-z0-9_$>:])"

_CODE_PATTERNS: dict[str, str] = {
    "eval-decode": rf"(?i){_CALL}(?:eval|assert)\s*\(\s*{_WRAP}{_DECODERS}\s*\(",
    "eval-input": rf"(?i){_CALL}eval\s*\(\s*{_WRAP}{_INPUT}",
    "assert-input": rf"(?i){_CALL}assert\s*\(\s*{_WRAP}{_INPUT}",
    "exec-input": (
        rf"(?i){_CALL}(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)"
        rf"\s*\(\s*{_WRAP}{_INPUT}"
    ),
    "backtick-input": rf"`\s*{_INPUT}",
    # PHP's flag letters are case-sensitive: only a lower-case 'e' evaluates.
    "preg-replace-e": (
        r"(?i:preg_replace)\s*\(\s*(?:'[^']{0,1000}[/#~|!@%+][imsxuADSUXJ]*e[imsxuADSUXJ]*'"
        r"|\"[^\"]{0,1000}[/#~|!@%+][imsxuADSUXJ]*e[imsxuADSUXJ]*\")\s*,"
    ),
    "create-function": (
        rf"(?i){_CALL}create_function\s*\([^;]{{0,300}}(?:{_INPUT}|{_DECODERS}\s*\()"
    ),
}
# The input put in a variable first: $c = $_REQUEST['cmd']; system($c);
_EXEC_VIA_VARIABLE = (
    rf"(?i)\$[A-Za-z_][A-Za-z0-9_]{{0,40}}\s*=\s*[^;]{{0,200}}?{_INPUT}[^;]{{0,200}};"
    rf"(?:[^;]{{0,300}};){{0,3}}?[^;]{{0,300}}?{_CALL}(?:system|exec|shell_exec|passthru|popen"
    rf"|proc_open|pcntl_exec)\s*\(\s*@?\s*\$[A-Za-z_]"
)
_KNOWN_SHELL = (
    r"(?i)(?:^|[^A-Za-z0-9_])(c99shell|c99_buff|c99_sess|c99sh_|r57shell|r57_version|FilesMan"
    r"|WSO\s*[0-9]\.[0-9]|wso_version|b374k|IndoXploit|Alfa\s?Shell|AlfaTeam|ALFA_DATA"
    r"|alfacgiapi|~\s*ALFA\s*~|solevisible|Marijuana\s*Shell|Mini\s*Shell|0byt3m1n1"
    r"|p0wny|Gel4y|LeafMailer|k2ll33d|haxorsec)(?:[^A-Za-z0-9_]|$)"
)
_EVAL_SINK = rf"(?i){_CALL}(?:eval|assert|create_function)\s*\("
_BASE64_RUN = r"[A-Za-z0-9+/]{256,}={0,2}"
_DATA_URI_TAIL = b";base64,"
_PHP_OPEN = r"(?i)<\?php"
_HANDLER_TO_DATA = (
    r"(?im)^\s*(?:AddType|AddHandler)\s+\S*(?:x-httpd-php|php[0-9.]*-script|php-fcgid|php-cgi"
    r"|application/x-httpd-php)\S*[^\n]{0,300}?\.(?:jpe?g|png|gif|ico|bmp|webp|txt|html?"
    r"|pdf|docx?|xlsx?|zip|rar)(?:\s|$)"
)
_HANDLER_ANY = (
    r"(?im)^\s*(?:AddType|AddHandler|SetHandler|ForceType)\s+\S*(?:x-httpd-php|php[0-9.]*-script"
    r"|php-fcgid|php-cgi|proxy:unix:[^\n|]*php)"
)

_HACKED_BY = (
    r"(?i)(?:^|[^\pL\pN])(?:hacked|h[a4]ck[e3]d|hax0red|defaced|pwned|hack)\s+(?:by|bởi)"
    r"(?:[^\pL\pN]|$)"
)
_HIDDEN_IFRAME = (
    r"(?i)<iframe\b[^>]{0,600}?(?:\b(?:width|height)\s*=\s*[\"']?\s*[01](?:px)?\s*[\"'\s/>]"
    r"|display\s*:\s*none|visibility\s*:\s*hidden|(?:width|height)\s*:\s*[01](?:px)?\s*[;\"'])"
)
# Hidden iframes that are not defacement (tag managers' <noscript> fallbacks).
IFRAME_ALLOWED: tuple[bytes, ...] = (b"googletagmanager.com/", b"google.com/recaptcha/")
_LINK_AFTER = (
    r"[^>]{0,400}>[^<]{0,200}(?:<[^>]{0,200}>[^<]{0,200}){0,3}"
    r"<a\s[^>]{0,300}?href\s*=\s*[\"']?https?://"
)
_CONTAINER = r"(?i)<(?:div|span|p|section|font|marquee|ul|li)\b[^>]{0,400}?"
# Pushed off-screen or shrunk to nothing: a spammer's trick, never a menu.
_OFFSCREEN_LINK = (
    _CONTAINER
    + r"(?:(?:left|top|text-indent)\s*:\s*-\s*[0-9]{3,}|font-size\s*:\s*0(?:px)?\s*[;\"'])"
    + _LINK_AFTER
)
# display:none also hides menus and pop-ups: it counts only on a page with a spam word.
_NONE_LINK = _CONTAINER + r"(?:display\s*:\s*none|visibility\s*:\s*hidden)" + _LINK_AFTER
_IFRAME_TAG_LIMIT = 2000
_MAX_IFRAMES = 200
# Gambling and SEO-spam words seen on defaced Vietnamese sites (Vietnamese,
# English, Indonesian brands). One alone may be news ("xử lý cá cược"); two
# different ones make `gambling-spam`.
_SPAM_TERMS = (
    r"(?i)(?:^|[^\pL\pN])(nhà cái|nha cai|cá cược|ca cuoc|cá độ|bắn cá|tài xỉu|tai xiu|nổ hũ"
    r"|xóc đĩa|lô đề|game bài|đánh bài|đá gà|casino|baccarat|poker online|sòng bạc"
    r"|slots?\s+(?:game|online|gacor|đổi thưởng)|game\s+slots?|judi\s+(?:online|slot|bola)"
    r"|slot\s*gacor|situs\s+slot|togel|sbobet|fb88|w88|188bet|bet88|jun88|kubet|789bet|new88"
    r"|hi88|shbet|f8bet|okvip|8xbet|mb66|five88|v9bet|sv388|s666|zbet|vn88|12bet|letou)"
    r"(?:[^\pL\pN]|$)"
)


@dataclass(frozen=True, slots=True)
class FileTraits:
    """What a file's name and place say about it (no content read)."""

    ext: str  # last extension, lower case, no dot ("" when none; "htaccess" for .htaccess)
    script: bool  # runs when requested (.php, .jsp, .cgi ...)
    double_ext: bool  # a data extension next to a script one: anh.jpg.php, shell.php.jpg
    in_upload_dir: bool
    htaccess: bool

    @classmethod
    def of(cls, name: str, *, in_upload_dir: bool) -> FileTraits:
        """Traits of the file called `name` (its last path component)."""
        base = name.rsplit("/", 1)[-1]
        # A leading dot counts: ".php" runs like "x.php" (".htaccess" has ext "htaccess").
        exts = [p.lower() for p in base.split(".")[1:]]
        ext = exts[-1] if exts else ""
        has_script = any(e in SCRIPT_EXTS for e in exts)
        has_data = any(e in DATA_EXTS for e in exts)
        return cls(
            ext=ext,
            script=ext in SCRIPT_EXTS,
            double_ext=len(exts) >= 2 and has_script and has_data,
            in_upload_dir=in_upload_dir,
            htaccess=base.lower() == ".htaccess",
        )


@dataclass(frozen=True, slots=True)
class Inspection:
    """What was found in a file's prefix."""

    markers: tuple[str, ...] = ()  # webshell marker names, in WEBSHELL_MARKERS order
    deface_markers: tuple[str, ...] = ()  # in DEFACE_MARKERS order
    shell_name: str | None = None  # the known shell name or string found
    spam_words: tuple[str, ...] = ()  # distinct gambling terms, first seen first (at most 5)


NOTHING_FOUND = Inspection()


def _options(latin1: bool) -> Any:
    options = re2.Options()
    options.log_errors = False
    if latin1:
        options.encoding = re2.Options.Encoding.LATIN1
    return options


class ContentInspector:
    """Compiled marker patterns; `inspect` is pure and thread-safe."""

    def __init__(self) -> None:
        code = _options(latin1=True)
        text = _options(latin1=False)
        self._code = tuple(
            (name, re2.compile(pattern.encode(), code)) for name, pattern in _CODE_PATTERNS.items()
        )
        self._exec_via_variable = re2.compile(_EXEC_VIA_VARIABLE.encode(), code)
        self._known_shell = re2.compile(_KNOWN_SHELL.encode(), code)
        self._eval_sink = re2.compile(_EVAL_SINK.encode(), code)
        self._base64_run = re2.compile(_BASE64_RUN.encode(), code)
        self._php_open = re2.compile(_PHP_OPEN.encode(), code)
        self._handler_to_data = re2.compile(_HANDLER_TO_DATA.encode(), code)
        self._handler_any = re2.compile(_HANDLER_ANY.encode(), code)
        self._hacked_by = re2.compile(_HACKED_BY.encode(), text)
        self._hidden_iframe = re2.compile(_HIDDEN_IFRAME.encode(), text)
        self._offscreen_link = re2.compile(_OFFSCREEN_LINK.encode(), text)
        self._none_link = re2.compile(_NONE_LINK.encode(), text)
        self._spam = re2.compile(_SPAM_TERMS.encode(), text)

    def inspect(self, data: bytes, traits: FileTraits) -> Inspection:
        """Markers in `data` (a file's prefix) for a file with these traits."""
        markers: list[str] = []
        shell_name: str | None = None
        if traits.ext in CODE_EXTS:
            markers.extend(name for name, regex in self._code if regex.search(data) is not None)
            if "exec-input" not in markers and self._exec_via_variable.search(data) is not None:
                markers.append("exec-input")
            if self._has_blob(data):
                markers.append("base64-blob")
            found = self._known_shell.search(data)
            if found is not None:
                markers.append("known-shell")
                shell_name = found.group(1).decode("latin-1")
        elif traits.ext in IMAGE_EXTS and self._php_open.search(data) is not None:
            markers.append("php-in-data-file")
        if traits.htaccess and self._handler(data, traits.in_upload_dir):
            markers.append("php-handler")
        deface: tuple[str, ...] = ()
        spam: tuple[str, ...] = ()
        if traits.ext in PAGE_EXTS:
            deface, spam = self._defacement(data)
        if not markers and not deface:
            return NOTHING_FOUND
        order = {name: i for i, name in enumerate(WEBSHELL_MARKERS)}
        return Inspection(
            markers=tuple(sorted(set(markers), key=order.__getitem__)),
            deface_markers=deface,
            shell_name=shell_name,
            spam_words=spam,
        )

    def _has_blob(self, data: bytes) -> bool:
        if self._eval_sink.search(data) is None:
            return False
        for count, run in enumerate(self._base64_run.finditer(data)):
            if count >= _MAX_BLOB_RUNS:
                break
            start, end = run.span()
            if end - start <= BLOB_MIN_BYTES:
                continue
            if data[max(0, start - 40) : start].lower().rstrip().endswith(_DATA_URI_TAIL):
                continue  # an embedded image or font, not code
            return True
        return False

    def _handler(self, data: bytes, in_upload_dir: bool) -> bool:
        if self._handler_to_data.search(data) is not None:
            return True
        return in_upload_dir and self._handler_any.search(data) is not None

    def _defacement(self, data: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
        text = data.decode("utf-8", "replace")
        if "&" in text:
            text = html.unescape(text)
        encoded = unicodedata.normalize("NFC", text).encode("utf-8", "replace")
        words = self._spam_words(encoded)
        found: list[str] = []
        if self._hacked_by.search(encoded) is not None:
            found.append("hacked-by")
        if len(words) >= SPAM_MIN_TERMS:
            found.append("gambling-spam")
        if self._has_hidden_iframe(encoded):
            found.append("hidden-iframe")
        if self._offscreen_link.search(encoded) is not None or (
            words and self._none_link.search(encoded) is not None
        ):
            found.append("hidden-link")
        return tuple(found), tuple(words[:5]) if len(words) >= SPAM_MIN_TERMS else ()

    def _has_hidden_iframe(self, encoded: bytes) -> bool:
        for count, hit in enumerate(self._hidden_iframe.finditer(encoded)):
            if count >= _MAX_IFRAMES:
                break
            start = hit.start()
            end = encoded.find(b">", hit.end() - 1, start + _IFRAME_TAG_LIMIT)
            tag = encoded[start : end if end >= 0 else start + _IFRAME_TAG_LIMIT].lower()
            if not any(allowed in tag for allowed in IFRAME_ALLOWED):
                return True
        return False

    def _spam_words(self, encoded: bytes) -> list[str]:
        words: dict[str, None] = {}
        for count, hit in enumerate(self._spam.finditer(encoded)):
            if count >= _MAX_SPAM_HITS:
                break
            word = " ".join(hit.group(1).decode("utf-8", "replace").casefold().split())
            words.setdefault(word, None)
        return list(words)


def join_names(names: Sequence[str]) -> str:
    """Marker names as the comma string rules match on ("" when none)."""
    return ",".join(names)

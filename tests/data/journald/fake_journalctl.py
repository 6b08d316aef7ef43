"""A stand-in for `journalctl --output=json --follow` (tests only; a real process).

The "journal" is DIR/journal.jsonl (one JSON entry per line, as journalctl
prints them), DIR given by --directory. Like systemd 252's journalctl: with
--follow and --after-cursor but without --no-tail only the first 10 entries
after the cursor are shown; --lines=0 shows none of the existing entries; an
unknown cursor is an error. Records its arguments in DIR/argv.json and, once
it has read the existing entries, its pid in DIR/pid; then follows the file
for appended lines until killed.
"""

import json
import os
import sys
import time
from pathlib import Path

FLAGS = {"--all", "--no-pager", "--follow", "--no-tail"}
OPTIONS = {"--output", "--directory", "--after-cursor", "--lines", "--unit"}


def main(argv: list[str]) -> int:
    options: dict[str, str] = {}
    units: list[str] = []
    flags: set[str] = set()
    for arg in argv:
        name, _, value = arg.partition("=")
        if arg in FLAGS:
            flags.add(arg)
        elif name in OPTIONS and value:
            if name == "--unit":
                units.append(value)
            options[name] = value
        else:
            print(f"journalctl: unrecognized option '{arg}'", file=sys.stderr)
            return 1
    if options.get("--output") != "json":
        print("journalctl: this fake only speaks --output=json", file=sys.stderr)
        return 1
    directory = Path(options["--directory"])
    (directory / "argv.json").write_text(json.dumps(argv))
    journal = directory / "journal.jsonl"
    offset = 0

    def new_lines() -> list[str]:
        nonlocal offset
        with open(journal, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        offset += len(complete)
        return complete.decode("utf-8").splitlines()

    def wanted(line: str) -> bool:
        if not units:
            return True
        try:
            return json.loads(line).get("_SYSTEMD_UNIT") in units
        except ValueError:
            return True  # garbage passes through, to test the reader

    existing = new_lines()
    start, limit = 0, None
    if "--after-cursor" in options:
        cursors = []
        for line in existing:
            try:
                cursors.append(json.loads(line).get("__CURSOR"))
            except ValueError:
                cursors.append(None)
        if options["--after-cursor"] not in cursors:
            print("Failed to seek to cursor: Invalid argument", file=sys.stderr)
            return 1
        start = cursors.index(options["--after-cursor"]) + 1
        if "--follow" in flags and "--no-tail" not in flags:
            limit = 10
    elif options.get("--lines") == "0":
        start = len(existing)
    ready = directory / "pid.tmp"  # the pid file also says: existing entries were read
    ready.write_text(str(os.getpid()))
    ready.rename(directory / "pid")
    shown = [line for line in existing[start:] if wanted(line)]
    for line in shown[:limit]:
        print(line, flush=True)
    while "--follow" in flags:
        for line in new_lines():
            if wanted(line):
                print(line, flush=True)
        time.sleep(0.005)  # journalctl waits on inotify; this fake polls
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

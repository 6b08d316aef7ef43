"""Signals for `secmon run`: handlers only raise flags; the loop acts on them.

SIGTERM / SIGINT ask for a clean stop (finish and commit the batch in
flight); SIGHUP asks for a reload of config and rules. A second SIGTERM or
SIGINT while stopping raises KeyboardInterrupt to give up at once (the
committed state stays consistent: nothing uncommitted is ever needed).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SignalFlags:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.stop_signal: int | None = None

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        if self.stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.stop_signal = signum
        self.stop.set()

    def request_reload(self) -> None:
        self.reload.set()

    def install(self) -> Callable[[], None]:
        """Handle SIGTERM, SIGINT and SIGHUP (main thread only); returns the undo."""
        previous = {
            signum: signal.getsignal(signum)
            for signum in (*STOP_SIGNALS, signal.SIGHUP)
        }

        def on_stop(signum: int, frame: FrameType | None) -> None:
            self.request_stop(signum)

        def on_hup(signum: int, frame: FrameType | None) -> None:
            self.request_reload()

        for signum in STOP_SIGNALS:
            signal.signal(signum, on_stop)
        signal.signal(signal.SIGHUP, on_hup)

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore

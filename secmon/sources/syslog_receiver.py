"""Syslog over the network: a UDP and TCP receiver for `secmon run`.

UDP carries one message per datagram (a trailing newline is stripped); TCP is
framed per RFC 6587 by `syslog_framing`. An asyncio loop on one thread owns
the sockets and puts `ReceivedMessage`s on a bounded queue that the daemon
drains; when the queue is full, messages are dropped and counted, never waited
for. Only framing happens here: the syslog parser reads the text later. No
DNS: `peer_host` is the peer's address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import queue
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from ..clock import Clock, SystemClock
from .syslog_framing import SyslogFramer, cut_message
from .syslog_sockets import Transport, bind_socket, parse_networks, peer_ip

_UDP_MAX = 65536  # the largest UDP payload is 65507 bytes
_UDP_BATCH = 256  # datagrams read per wake-up before other sockets get a turn


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One syslog message as it came off the network (unparsed)."""

    peer_host: str
    peer_ip: str
    transport: Transport
    received_at: datetime
    text: str

    @property
    def source(self) -> str:
        """A name for Event.source, e.g. 'syslog+udp://192.0.2.7'."""
        return f"syslog+{self.transport}://{self.peer_ip}"


@dataclass(frozen=True, slots=True)
class ReceiverStats:
    received: int = 0  # messages put on the queue
    dropped_queue_full: int = 0
    denied_datagrams: int = 0  # UDP from outside `allowed`
    denied_connections: int = 0  # TCP from outside `allowed`
    framing_errors: int = 0  # bad octet count, or a counted frame cut short by the peer
    truncated: int = 0  # messages cut at max_message
    connections_open: int = 0
    connections_total: int = 0
    connections_refused: int = 0  # over max_connections
    connections_timed_out: int = 0
    queued: int = 0


class _Counts:
    """Counters; written only on the receiver's thread."""

    def __init__(self) -> None:
        self.values = dict.fromkeys(ReceiverStats.__dataclass_fields__, 0)

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] += amount


class _Intake:
    """What the protocol objects share: limits, allowlist, clock, queue and counters."""

    def __init__(
        self,
        receiver: SyslogReceiver,
        counts: _Counts,
        ready: threading.Event,
        messages: queue.Queue[ReceivedMessage],
    ):
        self.max_message = receiver.max_message
        self.max_connections = receiver.max_connections
        self.idle_timeout = receiver.idle_timeout
        self.networks = receiver.networks
        self.clock = receiver.clock
        self.queue = messages
        self.ready = ready
        self.counts = counts
        self.connections: set[_TcpConnection] = set()

    def allows(self, address: str) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def put(self, peer: str, transport: Transport, texts: Sequence[str]) -> None:
        """Queue the messages of one packet (they share one receive time)."""
        if not texts:
            return
        now = self.clock.now()
        accepted = 0
        for text in texts:
            try:
                self.queue.put_nowait(ReceivedMessage(peer, peer, transport, now, text))
            except queue.Full:
                self.counts.add("dropped_queue_full")
                continue
            accepted += 1
        if accepted:
            self.counts.add("received", accepted)
            self.ready.set()


class _UdpReader:
    """Reads every datagram waiting on the socket at each wake-up (asyncio's datagram
    transport reads one per loop turn, and loses bursts a few thousand strong)."""

    def __init__(self, intake: _Intake, sock: socket.socket):
        self._intake = intake
        self._sock = sock
        self._peers: dict[Any, tuple[str, bool]] = {}  # address -> (peer_ip, allowed)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()

    def readable(self) -> None:
        for _ in range(_UDP_BATCH):
            try:
                data, addr = self._sock.recvfrom(_UDP_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error queued on the socket: nothing to do
                continue
            self._received(data, addr)

    def _received(self, data: bytes, addr: Any) -> None:
        intake = self._intake
        known = self._peers.get(addr[0])
        if known is None:
            if len(self._peers) >= 4096:
                self._peers.clear()
            peer = peer_ip(addr)
            known = self._peers[addr[0]] = (peer, intake.allows(peer))
        peer, allowed = known
        if not allowed:
            intake.counts.add("denied_datagrams")
            return
        data = data.rstrip(b"\r\n\x00")
        if not data:
            return
        dropped = max(0, len(data) - intake.max_message)
        if dropped:
            intake.counts.add("truncated")
        intake.put(peer, "udp", [cut_message(data[: intake.max_message], dropped)])


class _TcpConnection(asyncio.Protocol):
    def __init__(self, intake: _Intake):
        self._intake = intake
        self._framer = SyslogFramer(intake.max_message)
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._timer: asyncio.TimerHandle | None = None
        self._last_data = 0.0
        self._seen = (0, 0)  # framer counters already added to the totals

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        intake = self._intake
        self._transport = cast(asyncio.Transport, transport)
        self._peer = peer_ip(transport.get_extra_info("peername"))
        if not intake.allows(self._peer):
            intake.counts.add("denied_connections")
            self.abort()
            return
        if len(intake.connections) >= intake.max_connections:
            intake.counts.add("connections_refused")
            self.abort()
            return
        intake.connections.add(self)
        intake.counts.add("connections_total")
        loop = asyncio.get_running_loop()
        self._last_data = loop.time()
        self._timer = loop.call_later(intake.idle_timeout, self._check_idle)

    def data_received(self, data: bytes) -> None:
        if self not in self._intake.connections:
            return
        self._last_data = asyncio.get_running_loop().time()
        self._deliver(self._framer.feed(data))

    def eof_received(self) -> bool:
        if self in self._intake.connections:
            self._deliver(self._framer.finish())
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._intake.connections.discard(self)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _check_idle(self) -> None:
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self._last_data
        if quiet < self._intake.idle_timeout:
            self._timer = loop.call_later(self._intake.idle_timeout - quiet, self._check_idle)
            return
        self._intake.counts.add("connections_timed_out")
        self._deliver(self._framer.finish())
        self._intake.connections.discard(self)
        self.abort()

    def _deliver(self, texts: list[str]) -> None:
        framer, counts = self._framer, self._intake.counts
        counts.add("framing_errors", framer.framing_errors - self._seen[0])
        counts.add("truncated", framer.truncated - self._seen[1])
        self._seen = (framer.framing_errors, framer.truncated)
        self._intake.put(self._peer, "tcp", texts)


class SyslogReceiver:
    """Listens for syslog on UDP and/or TCP; `drain()` hands over what arrived.

    Port 0 picks a free port (see `udp_port_bound` / `tcp_port_bound`); None
    turns that transport off. `allowed` lists the sender networks (CIDR);
    empty allows every sender. Connections quiet for `idle_timeout` seconds
    are closed.
    """

    def __init__(
        self,
        bind: str = "0.0.0.0",
        udp_port: int | None = 514,
        tcp_port: int | None = 514,
        max_message: int = 64 * 1024,
        max_connections: int = 256,
        *,
        allowed: Sequence[str] = (),
        queue_size: int = 10_000,
        idle_timeout: float = 300.0,
        clock: Clock | None = None,
    ):
        if udp_port is None and tcp_port is None:
            raise ValueError("SyslogReceiver needs a UDP port, a TCP port or both")
        if max_message < 1 or max_connections < 1 or queue_size < 1 or idle_timeout <= 0:
            raise ValueError("max_message, max_connections, queue_size, idle_timeout must be > 0")
        self.bind = bind
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.max_message = max_message
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.networks = parse_networks(allowed)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.udp_port_bound: int | None = None
        self.tcp_port_bound: int | None = None
        self._queue: queue.Queue[ReceivedMessage] = queue.Queue(maxsize=queue_size)
        self._ready = threading.Event()
        self._counts = _Counts()
        self._intake: _Intake | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SyslogReceiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind the ports (raising SecmonError if that fails) and start receiving."""
        if self._thread is not None:
            raise RuntimeError("SyslogReceiver already started")
        sockets: list[tuple[Transport, socket.socket]] = []
        try:
            if self.udp_port is not None:
                sockets.append(("udp", bind_socket(self.bind, self.udp_port, "udp")))
            if self.tcp_port is not None:
                sockets.append(("tcp", bind_socket(self.bind, self.tcp_port, "tcp")))
        except BaseException:
            for _, sock in sockets:
                sock.close()
            raise
        for kind, sock in sockets:
            port = sock.getsockname()[1]
            if kind == "udp":
                self.udp_port_bound = port
            else:
                self.tcp_port_bound = port
        self._intake = _Intake(self, self._counts, self._ready, self._queue)
        loop = asyncio.new_event_loop()
        self._loop = loop
        opened = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run,
            args=(loop, sockets, opened, failure),
            name="secmon-syslog",
            daemon=True,
        )
        self._thread.start()
        opened.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]

    def drain(self, max_items: int = 1000) -> list[ReceivedMessage]:
        """Up to `max_items` received messages, oldest first; never blocks."""
        items: list[ReceivedMessage] = []
        while len(items) < max_items:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self._ready.clear()
        if not self._queue.empty():
            self._ready.set()
        return items

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a message is waiting to be drained (True) or `timeout` passes."""
        return self._ready.wait(timeout)

    def stats(self) -> ReceiverStats:
        values = dict(self._counts.values)
        values["connections_open"] = len(self._intake.connections) if self._intake else 0
        values["queued"] = self._queue.qsize()
        return ReceiverStats(**values)

    def stop(self) -> None:
        """Close every socket and end the thread; messages already queued stay drainable."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # the loop is already closed
            pass
        thread.join(timeout=10)
        self._thread = None

    def _run(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: list[tuple[Transport, socket.socket]],
        opened: threading.Event,
        failure: list[BaseException],
    ) -> None:
        asyncio.set_event_loop(loop)
        closers: list[Any] = []
        try:
            try:
                loop.run_until_complete(self._open(loop, sockets, closers))
            except BaseException as exc:  # handed to start()
                failure.append(exc)
                for _, sock in sockets:
                    sock.close()
                return
            finally:
                opened.set()
            loop.run_forever()
        finally:
            loop.run_until_complete(self._close(closers))
            loop.close()

    async def _open(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: list[tuple[Transport, socket.socket]],
        closers: list[Any],
    ) -> None:
        intake = self._intake
        assert intake is not None
        for kind, sock in sockets:
            if kind == "udp":
                reader = _UdpReader(intake, sock)
                loop.add_reader(sock.fileno(), reader.readable)
                closers.append(reader)
            else:
                server = await loop.create_server(lambda: _TcpConnection(intake), sock=sock)
                closers.append(server)

    async def _close(self, closers: list[Any]) -> None:
        for closer in closers:
            closer.close()
        if self._intake is not None:
            for connection in list(self._intake.connections):
                connection.abort()
        await asyncio.sleep(0)  # let connection_lost callbacks run

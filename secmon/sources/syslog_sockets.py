"""Sockets for the syslog receiver: binding with errors that say what to do,
the sender allowlist, and peer addresses as plain text (no DNS)."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any, Literal

from ..errors import SecmonError

Transport = Literal["udp", "tcp"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UDP_BUFFER = 4 << 20  # SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max)


def parse_networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    """The sender allowlist; raise SecmonError naming every entry that is not a CIDR."""
    networks: list[Network] = []
    bad: list[str] = []
    for text in cidrs:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            bad.append(repr(text))
    if bad:
        listed = ", ".join(bad)
        raise SecmonError(
            f"danh sách máy gửi syslog được phép có mục không phải địa chỉ mạng CIDR: {listed}"
            f" (ví dụ đúng: 10.0.0.0/8, 192.0.2.7) / syslog sender allowlist entries are not"
            f" CIDR networks: {listed} (valid: 10.0.0.0/8, 192.0.2.7)"
        )
    return tuple(networks)


def peer_ip(address: Any) -> str:
    """The IP of a socket address as text; IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4."""
    host = address[0] if isinstance(address, tuple) and address else str(address)
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return str(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def bind_socket(host: str, port: int, kind: Transport) -> socket.socket:
    """A bound (and, for TCP, listening) non-blocking socket; SecmonError if impossible."""
    socktype = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socktype, flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST
        )[0]
    except socket.gaierror:
        raise SecmonError(
            f"'{host}' không phải địa chỉ IP để nghe syslog (ví dụ 0.0.0.0 hoặc ::) /"
            f" '{host}' is not an IP address to listen for syslog on (e.g. 0.0.0.0 or ::)"
        ) from None
    sock = socket.socket(family, socktype)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
        if kind == "udp":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if kind == "tcp":
            sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise SecmonError(_bind_problem(host, port, kind, exc)) from exc
    return sock


def _bind_problem(host: str, port: int, kind: Transport, exc: OSError) -> str:
    where = f"{host} {kind}/{port}"
    if exc.errno == errno.EACCES:
        return (
            f"không được phép nghe syslog ở {where}: cổng dưới 1024 cần quyền root hoặc"
            f" CAP_NET_BIND_SERVICE; hoặc dùng cổng khác, ví dụ 5514 / not allowed to listen"
            f" for syslog on {where}: ports below 1024 need root or CAP_NET_BIND_SERVICE;"
            f" or use another port such as 5514"
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} đang được chương trình khác dùng (rsyslog?); tắt chương trình đó hoặc"
            f" chọn cổng khác / {where} is already in use (by rsyslog?); stop that program"
            f" or choose another port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"máy này không có địa chỉ {host}; dùng 0.0.0.0 để nghe trên mọi địa chỉ /"
            f" this machine has no address {host}; use 0.0.0.0 to listen on all addresses"
        )
    return f"không mở được {where}: {exc.strerror} / cannot listen on {where}: {exc.strerror}"

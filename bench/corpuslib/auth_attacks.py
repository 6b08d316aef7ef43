"""Attacks in auth.log: SSH password guessing (fast, slow, spraying, successful), sudo abuse."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from .auth import SPRAY_NAMES, UIDS, failed_connection, ssh_login, ssh_logout, sudo_lines
from .common import (
    Context,
    Line,
    Plan,
    ScenarioType,
    between,
    pick,
    pid,
)


def brute_force(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    user = plan.user or "root"
    max_tries = rng.random() < 0.4  # this tool keeps each connection until MaxAuthTries
    left = plan.size
    while left > 0:
        tries = min(left, 6 if max_tries else 1 + (rng.random() < 0.3))
        lines, t = failed_connection(rng, ctx.host, plan.ip, user, t, tries)
        yield from lines
        left -= tries
        t += between(rng, 0.3, 4.0)


def spray(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    names = rng.sample(SPRAY_NAMES, min(plan.size, len(SPRAY_NAMES)))
    names += [f"user{i}" for i in range(plan.size - len(names))]
    for name in names:
        for _ in range(1 + int(rng.random() * 3)):
            lines, t = failed_connection(rng, ctx.host, plan.ip, name, t, 1)
            yield from lines
            t += between(rng, 0.5, 5.0)


def slow_brute_force(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    for _ in range(plan.size):
        user = plan.user if rng.random() < 0.7 else "admin"
        lines, t = failed_connection(rng, ctx.host, plan.ip, user or "root", t, 1)
        yield from lines
        t += between(rng, 150, 600)


def compromise(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    """Password guessing that succeeds, then a backdoor account with sudo."""
    host, ip, user = ctx.host, plan.ip, plan.user or "quantri"
    t = plan.t0
    left = plan.size
    while left > 0:
        tries = min(left, 1 + (rng.random() < 0.4))
        lines, t = failed_connection(rng, host, ip, user, t, tries)
        yield from lines
        left -= tries
        t += between(rng, 0.3, 4.0)
    logind = f" {host} systemd-logind[{400 + int(rng.random() * 500)}]: "
    sid = 5000 + int(rng.random() * 5000)
    lines, t, p, prt = ssh_login(rng, host, logind, ip, user, t, sid)
    yield from lines
    t += between(rng, 20, 120)
    out = sudo_lines(rng, host, user, t, "/bin/bash", tty="pts/1")
    yield out[0]
    yield out[1]
    backdoor = pick(rng, ("sysupdate", "backup1", "mysqld", "support01"))
    gid = 1010 + int(rng.random() * 20)
    t += between(rng, 5, 60)
    u = f" {host} useradd[{pid(rng)}]: "
    yield (t, "", f"{u}new group: name={backdoor}, GID={gid}")
    yield (
        t + 0.01,
        "",
        f"{u}new user: name={backdoor}, UID={gid}, GID={gid}, "
        f"home=/home/{backdoor}, shell=/bin/bash, from=/dev/pts/1",
    )
    t += between(rng, 3, 30)
    m = f" {host} usermod[{pid(rng)}]: "
    yield (t, "", f"{m}add '{backdoor}' to group 'sudo'")
    yield (t + 0.001, "", f"{m}add '{backdoor}' to shadow group 'sudo'")
    t += between(rng, 3, 30)
    yield (
        t,
        "",
        f" {host} passwd[{pid(rng)}]: pam_unix(passwd:chauthtok): password changed for {backdoor}",
    )
    t += between(rng, 10, 300)
    yield (t, "", f" {host} sudo: pam_unix(sudo:session): session closed for user root")
    yield from ssh_logout(rng, host, logind, ip, user, t + between(rng, 1, 10), p, prt, sid)


def sudo_abuse(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    """A local user without sudo rights tries to become root."""
    host, user, ip = ctx.host, plan.user or "nhanvien", plan.ip
    uid = UIDS.get(user, 1101)
    logind = f" {host} systemd-logind[{400 + int(rng.random() * 500)}]: "
    sid = 3000 + int(rng.random() * 1000)
    lines, t, p, prt = ssh_login(rng, host, logind, ip, user, plan.t0, sid)
    yield from lines
    sudo = f" {host} sudo: "
    where = f"TTY=pts/1 ; PWD=/home/{user} ; USER=root"
    for _ in range(plan.size):
        t += between(rng, 30, 600)
        for _ in range(3):
            t += between(rng, 3, 12)
            yield (
                t,
                "",
                f"{sudo}pam_unix(sudo:auth): authentication failure; logname={user} "
                f"uid={uid} euid=0 tty=/dev/pts/1 ruser={user} rhost=  user={user}",
            )
        yield (
            t,
            "",
            f"{sudo}{user:>8} : 3 incorrect password attempts ; {where} ; "
            f"COMMAND=/usr/bin/cat /etc/shadow",
        )
        t += between(rng, 10, 120)
        yield (t, "", f"{sudo}{user:>8} : user NOT in sudoers ; {where} ; COMMAND=/bin/bash")
        t += between(rng, 10, 120)
        su = f" {host} su[{pid(rng)}]: "
        yield (
            t,
            "",
            f"{su}pam_unix(su-l:auth): authentication failure; logname={user} uid={uid} "
            f"euid=0 tty=/dev/pts/1 ruser={user} rhost=  user=root",
        )
        yield (t + between(rng, 1.5, 3), "", f"{su}FAILED SU (to root) {user} on pts/1")
        t += 3
    yield from ssh_logout(rng, host, logind, ip, user, t + between(rng, 5, 300), p, prt, sid)


SCENARIOS: tuple[ScenarioType, ...] = (
    ScenarioType(
        "ssh-bruteforce",
        ("brute-force",),
        "required",
        (30, 400),
        brute_force,
        {
            "vi": "Dò mật khẩu SSH: {size} lần thử vào tài khoản {user} từ {ip}",
            "en": "SSH password guessing: {size} tries on account {user} from {ip}",
        },
        users=("root", "root", "admin"),
    ),
    ScenarioType(
        "ssh-spray",
        ("brute-force",),
        "required",
        (12, 80),
        spray,
        {
            "vi": "Rải mật khẩu SSH: {size} tên tài khoản không tồn tại từ {ip}",
            "en": "SSH password spraying: {size} non-existent account names from {ip}",
        },
    ),
    ScenarioType(
        "ssh-compromise",
        ("brute-force", "account-compromise"),
        "required",
        (20, 150),
        compromise,
        {
            "vi": "Dò được mật khẩu SSH của {user} sau {size} lần thử từ {ip}, rồi dùng sudo tạo "
            "tài khoản cửa hậu (useradd, thêm vào nhóm sudo)",
            "en": "SSH password of {user} guessed after {size} tries from {ip}, then sudo used to "
            "create a backdoor account (useradd, added to group sudo)",
        },
        users=("quantri", "webadmin"),
    ),
    ScenarioType(
        "ssh-slow-bruteforce",
        ("brute-force",),
        "optional",
        (20, 60),
        slow_brute_force,
        {
            "vi": "Dò mật khẩu SSH chậm: {size} lần thử, mỗi lần cách nhau 2-10 phút, từ {ip}",
            "en": "Slow SSH password guessing: {size} tries 2-10 minutes apart from {ip}",
        },
        users=("root",),
    ),
    ScenarioType(
        "sudo-abuse",
        ("privilege-escalation",),
        "by-user",
        (1, 3),
        sudo_abuse,
        {
            "vi": "Người dùng nội bộ {user} (đăng nhập từ {ip}) không có quyền sudo, {size} lần cố "
            "chiếm quyền root (sudo sai mật khẩu, NOT in sudoers, su thất bại)",
            "en": "Local user {user} (logged in from {ip}) without sudo rights tried {size} times "
            "to become root (wrong sudo password, NOT in sudoers, failed su)",
        },
        users=("nhanvien", "thuctap"),
        address="office",
    ),
)

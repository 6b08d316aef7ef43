"""auth.log of a Debian web server: cron, staff over SSH, internet noise; sshd line builders."""

from __future__ import annotations

from operator import itemgetter
from random import Random

from .common import (
    ADMINS,
    B64,
    Context,
    Counter,
    Line,
    Pool,
    Spacing,
    pick,
    pid,
    port,
    random_host,
    staff_addresses,
)
from .engine import (
    EVENINGS,
    FLAT,
    OFFICE,
    Session,
    Source,
)

NOISE_NET = "100.96.0.0/12"  # one-off internet noise: in neither truth set
VALID_USERS = {"root", "quantri", "canbo", "kythuat", "webadmin", "nhanvien", "thuctap"}
UIDS = {
    "root": 0,
    "quantri": 1001,
    "canbo": 1000,
    "kythuat": 1002,
    "webadmin": 1008,
    "nhanvien": 1101,
    "thuctap": 1102,
}
SPRAY_NAMES = (
    "admin",
    "test",
    "user",
    "ubuntu",
    "oracle",
    "postgres",
    "git",
    "ftpuser",
    "guest",
    "support",
    "deploy",
    "jenkins",
    "hadoop",
    "minecraft",
    "pi",
    "ubnt",
    "tomcat",
    "mysql",
    "www",
    "web",
    "dev",
    "demo",
    "backup",
    "nagios",
    "zabbix",
    "ansible",
    "docker",
    "kafka",
    "elastic",
    "redis",
    "steam",
    "teamspeak",
    "user1",
    "test1",
    "test2",
    "administrator",
    "operator",
    "service",
    "sysadmin",
    "info",
    "sales",
    "office",
    "ftp",
    "mail",
    "vagrant",
    "centos",
    "debian",
    "azureuser",
    "ec2-user",
    "student",
    "server",
    "system",
    "hdfs",
    "spark",
    "odoo",
    "gitlab",
    "svn",
    "nginx",
    "apache",
    "ts3",
    "vnc",
    "public",
    "manager",
    "camera",
    "huawei",
    "vnpt",
    "viettel",
    "fpt",
    "admin1",
    "admin123",
    "root1",
    "khach",
    "quantrivien",
    "nhanvien1",
    "thanhtra",
    "daotao",
    "ketoan1",
    "web1",
    "sa",
    "es",
    "user01",
    "dspace",
    "solr",
    "flask",
    "django",
    "node",
    "nodejs",
    "cisco",
    "mikrotik",
)
SUDO_COMMANDS = (
    "/usr/bin/apt update",
    "/usr/bin/apt upgrade -y",
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/systemctl reload php8.2-fpm",
    "/usr/bin/tail -n 200 /var/log/nginx/error.log",
    "/usr/sbin/nginx -t",
    "/usr/bin/journalctl -u nginx --since today",
    "/usr/bin/certbot renew",
    "/usr/bin/du -sh /var/www/portal",
    "/usr/bin/df -h",
    "/usr/bin/less /var/log/auth.log",
    "/usr/bin/systemctl status mariadb",
)
KEY_TYPES = ("ED25519", "ED25519", "RSA", "ECDSA")


def _fingerprint(user: str) -> str:
    """The SHA256 fingerprint of a staff member's SSH key (stable across corpora)."""
    rng = Random(f"key:{user}")
    return "".join(rng.choices(B64, k=43))


def between(rng: Random, low: float, high: float) -> float:
    return low + rng.random() * (high - low)


# --------------------------------------------------------------------------- SSH pieces


def ssh_login(
    rng: Random,
    host: str,
    logind: str,
    ip: str,
    user: str,
    t: float,
    session_id: int,
    fingerprint: str = "",
    mistype: bool = False,
) -> tuple[list[Line], float, int, int]:
    """A successful login (optionally after one wrong password): lines, time, pid, port.

    With a key `fingerprint` the login is by public key, else by password.
    """
    method = "publickey" if fingerprint else "password"
    p, prt = pid(rng), port(rng)
    sshd = f" {host} sshd[{p}]: "
    out: list[Line] = []
    if mistype:
        out.append(
            (
                t,
                "",
                f"{sshd}pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                f"euid=0 tty=ssh ruser= rhost={ip}  user={user}",
            )
        )
        t += between(rng, 1.8, 3.0)
        out.append((t, "", f"{sshd}Failed password for {user} from {ip} port {prt} ssh2"))
        t += between(rng, 2.0, 9.0)
    key = f": {KEY_TYPES[len(user) % 4]} SHA256:{fingerprint}" if fingerprint else ""
    out.append((t, "", f"{sshd}Accepted {method} for {user} from {ip} port {prt} ssh2{key}"))
    t += between(rng, 0.005, 0.05)
    out.append(
        (
            t,
            "",
            f"{sshd}pam_unix(sshd:session): session opened for user "
            f"{user}(uid={UIDS.get(user, 1000)}) by (uid=0)",
        )
    )
    t += between(rng, 0.005, 0.05)
    out.append((t, "", f"{logind}New session {session_id} of user {user}."))
    return out, t, p, prt


def ssh_logout(
    rng: Random,
    host: str,
    logind: str,
    ip: str,
    user: str,
    t: float,
    p: int,
    prt: int,
    session_id: int,
) -> list[Line]:
    sshd = f" {host} sshd[{p}]: "
    t2 = t + between(rng, 0.001, 0.01)
    t3 = t2 + between(rng, 0.001, 0.02)
    t4 = t3 + between(rng, 0.001, 0.02)
    return [
        (t, "", f"{sshd}Received disconnect from {ip} port {prt}:11: disconnected by user"),
        (t2, "", f"{sshd}Disconnected from user {user} {ip} port {prt}"),
        (t3, "", f"{sshd}pam_unix(sshd:session): session closed for user {user}"),
        (t4, "", f"{logind}Session {session_id} logged out. Waiting for processes to exit."),
        (t4 + between(rng, 0.001, 0.05), "", f"{logind}Removed session {session_id}."),
    ]


def sudo_lines(
    rng: Random, host: str, user: str, t: float, command: str, tty: str = "pts/0"
) -> list[Line]:
    sudo = f" {host} sudo: "
    uid = UIDS.get(user, 1000)
    t2 = t + between(rng, 0.001, 0.01)
    return [
        (t, "", f"{sudo}{user:>8} : TTY={tty} ; PWD=/home/{user} ; USER=root ; COMMAND={command}"),
        (
            t2,
            "",
            f"{sudo}pam_unix(sudo:session): session opened for user root(uid=0) "
            f"by {user}(uid={uid})",
        ),
        (
            t2 + between(rng, 0.05, 40.0),
            "",
            f"{sudo}pam_unix(sudo:session): session closed for user root",
        ),
    ]


def failed_connection(
    rng: Random, host: str, ip: str, user: str, t: float, tries: int, accept_last: bool = False
) -> tuple[list[Line], float]:
    """One SSH connection of a password guesser: `tries` attempts, maybe the last accepted."""
    p, prt = pid(rng), port(rng)
    sshd = f" {host} sshd[{p}]: "
    valid = user in VALID_USERS
    who = user if valid else f"invalid user {user}"
    closing = "authenticating user" if valid else "invalid user"
    out: list[Line] = []
    if not valid:
        out.append((t, "", f"{sshd}Invalid user {user} from {ip} port {prt}"))
        t += between(rng, 0.05, 0.4)
    for attempt in range(tries):
        if accept_last and attempt == tries - 1:
            t += between(rng, 0.3, 2.5)
            out.append((t, "", f"{sshd}Accepted password for {user} from {ip} port {prt} ssh2"))
            return out, t
        if attempt == 0:
            if not valid:
                out.append((t, "", f"{sshd}pam_unix(sshd:auth): check pass; user unknown"))
            rhost = f"rhost={ip}  user={user}" if valid else f"rhost={ip}"
            out.append(
                (
                    t,
                    "",
                    f"{sshd}pam_unix(sshd:auth): authentication failure; logname= "
                    f"uid=0 euid=0 tty=ssh ruser= {rhost}",
                )
            )
        t += between(rng, 1.6, 3.4)
        out.append((t, "", f"{sshd}Failed password for {who} from {ip} port {prt} ssh2"))
    t += between(rng, 0.05, 1.5)
    if tries >= 6:
        tail = f"rhost={ip}  user={user}" if valid else f"rhost={ip}"
        out += [
            (
                t,
                "",
                f"{sshd}error: maximum authentication attempts exceeded for {who} from {ip} "
                f"port {prt} ssh2 [preauth]",
            ),
            (
                t,
                "",
                f"{sshd}Disconnecting {closing} {user} {ip} port {prt}: Too many "
                f"authentication failures [preauth]",
            ),
            (
                t,
                "",
                f"{sshd}PAM {tries - 1} more authentication failures; logname= uid=0 euid=0 "
                f"tty=ssh ruser= {tail}",
            ),
        ]
    elif rng.random() < 0.55:
        out.append(
            (t, "", f"{sshd}Connection closed by {closing} {user} {ip} port {prt} [preauth]")
        )
    else:
        out.append((t, "", f"{sshd}Received disconnect from {ip} port {prt}:11: Bye Bye [preauth]"))
        out.append((t, "", f"{sshd}Disconnected from {closing} {user} {ip} port {prt} [preauth]"))
    return out, t


# --------------------------------------------------------------------------- background


class AuthState:
    """What benign sessions share: logind's pid, session ids, who mistyped when."""

    def __init__(self, rng: Random, ctx: Context):
        self.ctx = ctx
        self.logind = f" {ctx.host} systemd-logind[{400 + int(rng.random() * 500)}]: "
        self.sessions = Counter(value=int(rng.random() * 3000) + 100)
        self.mistypes = Spacing(3 * 3600)
        self.admins = Pool([s.user for s in ADMINS], rng)
        self.by_user = {s.user: s for s in ADMINS}
        self.keys = {s.user: _fingerprint(s.user) for s in ADMINS}

    def cron(self, user: str, uid: int) -> Session:
        host = self.ctx.host

        def session(rng: Random, t: float) -> list[Line]:
            cron = f" {host} CRON[{pid(rng)}]: pam_unix(cron:session): session "
            t += between(rng, 0.0, 0.4)
            return [
                (t, "", f"{cron}opened for user {user}(uid={uid}) by (uid=0)"),
                (t + between(rng, 0.02, 1.5), "", f"{cron}closed for user {user}"),
            ]

        return session

    def staff(self, at_home: bool) -> Session:
        host = self.ctx.host

        def session(rng: Random, t: float) -> list[Line]:
            member = self.by_user[self.admins.pick(rng)]
            ip = member.home_ip if at_home and member.home_ip else member.office_ip
            key = self.keys[member.user] if rng.random() < 0.55 else ""
            mistype = not key and rng.random() < 0.12 and self.mistypes.allow(ip, t)
            sid = self.sessions.next(rng)
            out, t1, p, prt = ssh_login(
                rng, host, self.logind, ip, member.user, t, sid, key, mistype
            )
            if rng.random() < 0.25:
                out.append(
                    (
                        t1 + 0.01,
                        "",
                        f" {host} (systemd)[{pid(rng)}]: pam_unix(systemd-"
                        f"user:session): session opened for user "
                        f"{member.user}(uid={member.uid}) by (uid=0)",
                    )
                )
            length = min(7200.0, 20.0 + rng.expovariate(1 / 900))
            for _ in range(int(rng.random() ** 2 * 3)):
                when = t1 + 1 + rng.random() * (length - 1)
                out += sudo_lines(rng, host, member.user, when, pick(rng, SUDO_COMMANDS))
            end = max(t1 + length, max(line[0] for line in out)) + between(rng, 1, 60)
            out += ssh_logout(rng, host, self.logind, ip, member.user, end, p, prt, sid)
            out.sort(key=itemgetter(0))
            return out

        return session

    def sftp(self, rng: Random, t: float) -> list[Line]:
        host = self.ctx.host
        member = self.by_user[self.admins.pick(rng)]
        sid = self.sessions.next(rng)
        out, t1, p, prt = ssh_login(rng, host, self.logind, member.office_ip, member.user, t, sid)
        out.append(
            (
                t1 + between(rng, 0.05, 0.3),
                "",
                f" {host} sshd[{p + 2}]: subsystem request for sftp by user {member.user}",
            )
        )
        end = t1 + between(rng, 20, 1500)
        out += ssh_logout(rng, host, self.logind, member.office_ip, member.user, end, p, prt, sid)
        return out

    def noise(self, rng: Random, t: float) -> list[Line]:
        """One-off internet noise: a lone guess, a banner grab, an old client."""
        host = self.ctx.host
        ip = random_host(rng, NOISE_NET)
        roll = rng.random()
        if roll < 0.35:
            user = "root" if rng.random() < 0.5 else pick(rng, SPRAY_NAMES)
            return failed_connection(rng, host, ip, user, t, 1 + (rng.random() < 0.3))[0]
        p, prt = pid(rng), port(rng)
        sshd = f" {host} sshd[{p}]: "
        if roll < 0.6:
            return [(t, "", f"{sshd}Connection closed by {ip} port {prt} [preauth]")]
        if roll < 0.75:
            return [
                (
                    t,
                    "",
                    f"{sshd}error: kex_exchange_identification: read: Connection reset by peer",
                ),
                (t, "", f"{sshd}Connection reset by {ip} port {prt}"),
            ]
        if roll < 0.85:
            return [
                (t, "", f"{sshd}banner exchange: Connection from {ip} port {prt}: invalid format")
            ]
        return [
            (
                t,
                "",
                f"{sshd}Unable to negotiate with {ip} port {prt}: no matching host key "
                f"type found. Their offer: ssh-rsa,ssh-dss [preauth]",
            )
        ]


def background(rng: Random, ctx: Context, lines: int) -> tuple[list[Source], set[str]]:
    """The benign sources of auth.log and the addresses that must stay quiet."""
    state = AuthState(rng, ctx)
    sources = [
        Source("cron-5min", state.cron("www-data", 33), period=(300, 300), align=300, phase=1),
        Source(
            "cron-hourly", state.cron("root", 0), period=(3600, 3600), align=3600, phase=17 * 60 + 1
        ),
        Source("staff-office", state.staff(False), weights=tuple(w * 0.12 for w in OFFICE)),
        Source("staff-home", state.staff(True), weights=tuple(w * 0.05 for w in EVENINGS)),
        Source("sftp", state.sftp, weights=tuple(w * 0.06 for w in OFFICE)),
        Source("internet-noise", state.noise, weights=FLAT),
    ]
    return sources, staff_addresses(ADMINS)

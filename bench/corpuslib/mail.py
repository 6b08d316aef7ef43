"""mail.log of a postfix + dovecot server: deliveries, staff mail clients, internet noise."""

from __future__ import annotations

from base64 import b64encode
from random import Random

from .common import (
    STAFF,
    Context,
    Line,
    Pool,
    Spacing,
    hexid,
    pick,
    pid,
    random_host,
    sample_hosts,
    staff_addresses,
)
from .engine import EVENINGS, FLAT, OFFICE, Session, Source

MTA_NET = "100.81.0.0/16"  # mail servers that send to us (benign)
RELAY_NET = "100.82.0.0/16"  # mail servers we deliver to (benign)
SPAM_RELAY_NET = "100.84.0.0/16"  # where a hijacked account's spam goes (not asserted)
NOISE_NET = "100.96.0.0/12"
LIP = "10.10.0.25"
FAMILY = (
    "nguyen",
    "tran",
    "le",
    "pham",
    "hoang",
    "huynh",
    "phan",
    "vu",
    "vo",
    "dang",
    "bui",
    "do",
    "ho",
    "ngo",
    "duong",
    "ly",
)
GIVEN = (
    "van.an",
    "thi.binh",
    "minh.chau",
    "duc.dung",
    "thu.ha",
    "quang.huy",
    "thanh.lam",
    "ngoc.mai",
    "hoang.nam",
    "kim.oanh",
    "van.phuc",
    "thi.quyen",
    "anh.tuan",
    "hai.yen",
    "hong.nhung",
    "trung.kien",
    "bao.ngoc",
    "tien.dat",
)
SENDER_DOMAINS = (
    "gmail.com",
    "yahoo.com.vn",
    "outlook.com",
    "vnpt.vn",
    "example.gov.vn",
    "example.edu.vn",
    "example.com.vn",
    "example.org",
)
MTA_NAMES = (
    "mail-sor-f{n}.google.com",
    "mx{n}.example.gov.vn",
    "smtp{n}.example.com.vn",
    "mail{n}.example.org",
    "unknown",
)
RELAYS = (
    "gmail-smtp-in.l.google.com",
    "mx1.example.gov.vn",
    "mx.yahoo.com.vn",
    "example-org.mail.protection.outlook.com",
)
GUESSED = (
    "admin",
    "info",
    "contact",
    "test",
    "postmaster",
    "webmaster",
    "support",
    "office",
    "vanthu",
    "ketoan",
    "ubnd",
    "lienhe",
    "hotro",
    "tiepdan",
)
SASL_FAILURES = {  # what postfix logs after "SASL <mechanism> authentication failed: "
    "LOGIN": (
        "UGFzc3dvcmQ6",
        "authentication failure",
        "(reason unavailable), sasl_username={user}",
    ),
    "PLAIN": ("", "authentication failure", "(reason unavailable), sasl_username={user}"),
}
SUBMISSION = ("postfix/submission/smtpd", "postfix/smtpd", "postfix/smtps/smtpd")


def between(rng: Random, low: float, high: float) -> float:
    return low + rng.random() * (high - low)


def session_id(rng: Random) -> str:
    """A dovecot session id: 12 random bytes in base64."""
    return b64encode(rng.getrandbits(96).to_bytes(12, "big")).decode()


def person(rng: Random) -> str:
    return f"{pick(rng, FAMILY)}.{pick(rng, GIVEN)}{int(rng.random() * 100)}"


def msgid(rng: Random, domain: str) -> str:
    return f"{hexid(rng, 16, '0123456789abcdef')}.{hexid(rng, 8, '0123456789abcdef')}@{domain}"


class MailState:
    def __init__(self, rng: Random, ctx: Context, lines: int):
        self.ctx = ctx
        self.fqdn = f"mail.{ctx.domain}"
        self.qmgr = f" {ctx.host} postfix/qmgr[{600 + int(rng.random() * 400)}]: "
        self.auth_worker = 2000 + int(rng.random() * 3000)
        count = min(5000, max(8, lines // 200))
        mtas = sample_hosts(rng, MTA_NET, count)
        self.mta_names = {
            ip: pick(rng, MTA_NAMES).format(n=1 + int(rng.random() * 60)) for ip in mtas
        }
        self.mtas = Pool(mtas, rng)
        self.relays = Pool(sample_hosts(rng, RELAY_NET, min(2000, max(4, lines // 400))), rng)
        self.staff = Pool([s.user for s in STAFF], rng)
        self.by_user = {s.user: s for s in STAFF}
        self.mistypes = Spacing(3 * 3600)

    def benign(self) -> set[str]:
        return set(self.mtas.addresses) | set(self.relays.addresses) | staff_addresses(STAFF)

    def mailbox(self, user: str) -> str:
        return f"{user}@{self.ctx.domain}"

    def inbound(self, rng: Random, t: float) -> list[Line]:
        host = self.ctx.host
        ip = self.mtas.pick(rng)
        peer = f"{self.mta_names[ip]}[{ip}]"
        smtpd = f" {host} postfix/smtpd[{pid(rng)}]: "
        qid = hexid(rng, 10)
        sender = f"{person(rng)}@{pick(rng, SENDER_DOMAINS)}"
        rcpts = [self.mailbox(self.staff.pick(rng)) for _ in range(1 + (rng.random() < 0.2))]
        tls = rng.random() < 0.8
        out: list[Line] = [(t, "", f"{smtpd}connect from {peer}")]
        if tls:
            t += between(rng, 0.05, 0.4)
            out.append(
                (
                    t,
                    "",
                    f"{smtpd}Anonymous TLS connection established from {peer}: TLSv1.3 "
                    f"with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange "
                    f"X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
                )
            )
        if rng.random() < 0.04:  # a mistyped address
            t += between(rng, 0.1, 0.6)
            bad = f"{pick(rng, FAMILY)}{pick(rng, GIVEN).split('.')[1]}@{self.ctx.domain}"
            out.append(
                (
                    t,
                    "",
                    f"{smtpd}NOQUEUE: reject: RCPT from {peer}: 550 5.1.1 <{bad}>: "
                    f"Recipient address rejected: User unknown in virtual mailbox "
                    f"table; from=<{sender}> to=<{bad}> proto=ESMTP "
                    f"helo=<{self.mta_names[ip]}>",
                )
            )
            out.append(
                (
                    t + 0.2,
                    "",
                    f"{smtpd}disconnect from {peer} ehlo={1 + tls} "
                    f"{'starttls=1 ' if tls else ''}mail=1 rcpt=0/1 quit=1 "
                    f"commands={3 + 2 * tls}/{4 + 2 * tls}",
                )
            )
            return out
        t += between(rng, 0.1, 0.8)
        out.append((t, "", f"{smtpd}{qid}: client={peer}"))
        t += between(rng, 0.02, 0.3)
        domain = sender.split("@")[1]
        out.append(
            (
                t,
                "",
                f" {host} postfix/cleanup[{pid(rng)}]: {qid}: message-id=<{msgid(rng, domain)}>",
            )
        )
        size = 2000 + int(rng.expovariate(1 / 60000))
        t += between(rng, 0.005, 0.05)
        out.append(
            (
                t,
                "",
                f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={len(rcpts)} "
                f"(queue active)",
            )
        )
        commands = 5 + 2 * tls + len(rcpts) - 1
        out.append(
            (
                t + 0.01,
                "",
                f"{smtpd}disconnect from {peer} ehlo={1 + tls} "
                f"{'starttls=1 ' if tls else ''}mail=1 rcpt={len(rcpts)} data=1 "
                f"quit=1 commands={commands}",
            )
        )
        for rcpt in rcpts:
            t += between(rng, 0.05, 0.4)
            session = session_id(rng)
            lmtp = 10000 + int(rng.random() * 50000)
            out.append(
                (
                    t,
                    "",
                    f" {host} dovecot: lmtp({rcpt})<{lmtp}><{session}>: msgid=<"
                    f"{hexid(rng, 12, '0123456789abcdef')}@{domain}>: saved mail to "
                    f"INBOX",
                )
            )
            delay = between(rng, 0.1, 1.5)
            out.append(
                (
                    t + 0.01,
                    "",
                    f" {host} postfix/lmtp[{pid(rng)}]: {qid}: to=<{rcpt}>, "
                    f"relay={self.fqdn}[private/dovecot-lmtp], delay={delay:.2f}, "
                    f"delays=0.1/0.01/0.02/{delay - 0.13:.2f}, dsn=2.0.0, "
                    f"status=sent (250 2.0.0 <{rcpt}> {session} Saved)",
                )
            )
        out.append((t + 0.02, "", f"{self.qmgr}{qid}: removed"))
        return out

    def outbound(self, rng: Random, t: float) -> list[Line]:
        member = self.by_user[self.staff.pick(rng)]
        host = self.ctx.host
        ip = member.office_ip
        mailbox = self.mailbox(member.user)
        smtpd = f" {host} postfix/submission/smtpd[{pid(rng)}]: "
        qid = hexid(rng, 10)
        relay_ip = self.relays.pick(rng)
        rcpt = f"{person(rng)}@{pick(rng, SENDER_DOMAINS)}"
        delay = between(rng, 0.5, 3.0)
        size = 3000 + int(rng.expovariate(1 / 90000))
        t1 = t + between(rng, 0.2, 0.8)
        t2 = t1 + between(rng, 0.02, 0.3)
        t3 = t2 + delay
        return [
            (t, "", f"{smtpd}connect from unknown[{ip}]"),
            (
                t1,
                "",
                f"{smtpd}{qid}: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={mailbox}",
            ),
            (
                t1 + 0.02,
                "",
                f" {host} postfix/cleanup[{pid(rng)}]: {qid}: message-id="
                f"<{msgid(rng, self.ctx.domain)}>",
            ),
            (
                t2,
                "",
                f"{self.qmgr}{qid}: from=<{mailbox}>, size={size}, nrcpt=1 (queue active)",
            ),
            (
                t2 + 0.01,
                "",
                f"{smtpd}disconnect from unknown[{ip}] ehlo=2 starttls=1 auth=1 mail=1 "
                f"rcpt=1 data=1 quit=1 commands=8",
            ),
            (
                t3,
                "",
                f" {host} postfix/smtp[{pid(rng)}]: {qid}: to=<{rcpt}>, relay="
                f"{pick(rng, RELAYS)}[{relay_ip}]:25, delay={delay + 0.3:.1f}, "
                f"delays=0.1/0.02/{delay / 2:.1f}/{delay / 2:.1f}, dsn=2.0.0, status=sent "
                f"(250 2.0.0 OK  {int(t3)} {hexid(rng, 12, 'abcdefghijklmnop')}.42 - gsmtp)",
            ),
            (t3 + 0.001, "", f"{self.qmgr}{qid}: removed"),
        ]

    def mail_client(self, at_home: bool) -> Session:
        def session(rng: Random, t: float) -> list[Line]:
            host = self.ctx.host
            member = self.by_user[self.staff.pick(rng)]
            ip = member.home_ip if at_home and member.home_ip else member.office_ip
            mailbox = self.mailbox(member.user)
            proto = "imap" if rng.random() < 0.85 else "pop3"
            out: list[Line] = []
            if rng.random() < 0.05 and self.mistypes.allow(ip, t):
                sid = session_id(rng)
                out.append(
                    (
                        t,
                        "",
                        f" {host} dovecot: auth-worker({self.auth_worker}): pam("
                        f"{mailbox},{ip},<{sid}>): pam_authenticate() failed: "
                        f"Authentication failure (Password mismatch?)",
                    )
                )
                t += between(rng, 2, 2.9)
                out.append(
                    (
                        t,
                        "",
                        f" {host} dovecot: {proto}-login: Disconnected (auth failed, 1 "
                        f"attempts in 2 secs): user=<{mailbox}>, method=PLAIN, rip={ip},"
                        f" lip={LIP}, TLS, session=<{sid}>",
                    )
                )
                t += between(rng, 5, 30)
            sid = session_id(rng)
            mpid = 10000 + int(rng.random() * 50000)
            out.append(
                (
                    t,
                    "",
                    f" {host} dovecot: {proto}-login: Login: user=<{mailbox}>, "
                    f"method=PLAIN, rip={ip}, lip={LIP}, mpid={mpid}, TLS, "
                    f"session=<{sid}>",
                )
            )
            t += between(rng, 0.5, 1800)
            who = f" {host} dovecot: {proto}({mailbox})<{mpid}><{sid}>: "
            if proto == "imap":
                out.append(
                    (
                        t,
                        "",
                        f"{who}Logged out in={int(rng.random() * 3000) + 60} "
                        f"out={int(rng.random() * 900000) + 500} deleted=0 expunged=0 "
                        f"trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
                    )
                )
            else:
                n = int(rng.random() * 5)
                out.append(
                    (
                        t,
                        "",
                        f"{who}Disconnected: Logged out top=0/0, retr={n}/"
                        f"{n * 41233}, del=0/{30 + n}, size={1234567 + n * 41233}",
                    )
                )
            return out

        return session

    def noise(self, rng: Random, t: float) -> list[Line]:
        """One-off internet noise: probes, relay attempts, a lone password guess."""
        host = self.ctx.host
        ip = random_host(rng, NOISE_NET)
        service = "postfix/smtpd" if rng.random() < 0.7 else "postfix/submission/smtpd"
        smtpd = f" {host} {service}[{pid(rng)}]: "
        peer = f"unknown[{ip}]"
        roll = rng.random()
        out: list[Line] = [(t, "", f"{smtpd}connect from {peer}")]
        t += between(rng, 0.1, 5)
        if roll < 0.45:
            stage = pick(rng, ("EHLO", "CONNECT", "STARTTLS"))
            out.append((t, "", f"{smtpd}lost connection after {stage} from {peer}"))
            out.append((t, "", f"{smtpd}disconnect from {peer} ehlo=1 commands=1"))
        elif roll < 0.75:
            to = f"{hexid(rng, 6, 'abcdefghiklmnop')}@{pick(rng, SENDER_DOMAINS)}"
            out.append(
                (
                    t,
                    "",
                    f"{smtpd}NOQUEUE: reject: RCPT from {peer}: 454 4.7.1 <{to}>: Relay "
                    f"access denied; from=<spameri@tiscali.it> to=<{to}> proto=ESMTP "
                    f"helo=<WIN-{hexid(rng, 11)}>",
                )
            )
            out.append(
                (
                    t + 0.3,
                    "",
                    f"{smtpd}disconnect from {peer} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
                )
            )
        elif roll < 0.85:
            out.append(
                (
                    t,
                    "",
                    f"{smtpd}improper command pipelining after CONNECT from {peer}: "
                    f"EHLO {hexid(rng, 6, 'abcdefgh')}\\r\\n",
                )
            )
            out.append((t, "", f"{smtpd}disconnect from {peer} ehlo=1 quit=1 commands=2"))
        else:
            out.append(
                (t, "", f"{smtpd}warning: {peer}: SASL LOGIN authentication failed: UGFzc3dvcmQ6")
            )
            out.append((t + 0.2, "", f"{smtpd}lost connection after AUTH from {peer}"))
            out.append((t + 0.2, "", f"{smtpd}disconnect from {peer} ehlo=1 auth=0/1 commands=1/2"))
        return out


def background(rng: Random, ctx: Context, lines: int) -> tuple[list[Source], set[str]]:
    """The benign sources of mail.log and the addresses that must stay quiet."""
    state = MailState(rng, ctx, lines)
    sources = [
        Source(
            "inbound",
            state.inbound,
            weights=tuple(0.15 * f + 0.6 * o for f, o in zip(FLAT, OFFICE, strict=True)),
        ),
        Source("outbound", state.outbound, weights=tuple(0.35 * w for w in OFFICE)),
        Source("mail-clients-office", state.mail_client(False), weights=OFFICE),
        Source(
            "mail-clients-home", state.mail_client(True), weights=tuple(0.3 * w for w in EVENINGS)
        ),
        Source("internet-noise", state.noise, weights=tuple(0.25 * w for w in FLAT)),
    ]
    return sources, state.benign()

"""Attacks in mail.log: SMTP AUTH and IMAP/POP3 password guessing, a hijacked mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from .common import (
    Context,
    Line,
    Plan,
    ScenarioType,
    between,
    hexid,
    pick,
    pid,
    random_host,
)
from .mail import (
    GUESSED,
    LIP,
    SASL_FAILURES,
    SENDER_DOMAINS,
    SPAM_RELAY_NET,
    SUBMISSION,
    msgid,
    session_id,
)


def _sasl_connection(
    rng: Random, host: str, ip: str, t: float, tries: int, user: str, service: str
) -> tuple[list[Line], float]:
    smtpd = f" {host} {service}[{pid(rng)}]: "
    peer = f"unknown[{ip}]"
    out: list[Line] = [(t, "", f"{smtpd}connect from {peer}")]
    mech = "LOGIN" if rng.random() < 0.7 else "PLAIN"
    for _ in range(tries):
        t += between(rng, 0.5, 3.5)
        reason = pick(rng, SASL_FAILURES[mech]).format(user=user)
        out.append((t, "", f"{smtpd}warning: {peer}: SASL {mech} authentication failed: {reason}"))
    t += between(rng, 0.05, 1.0)
    out.append((t, "", f"{smtpd}lost connection after AUTH from {peer}"))
    out.append(
        (t, "", f"{smtpd}disconnect from {peer} ehlo=1 auth=0/{tries} commands=1/{tries + 1}")
    )
    return out, t


def smtp_sasl(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    service = pick(rng, SUBMISSION)
    left = plan.size
    while left > 0:
        tries = min(left, 1 + int(rng.random() * 3))
        user = f"{pick(rng, GUESSED)}@{ctx.domain}"
        lines, t = _sasl_connection(rng, ctx.host, plan.ip, t, tries, user, service)
        yield from lines
        left -= tries
        t += between(rng, 1, 20)


def dovecot_bruteforce(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    host, ip = ctx.host, plan.ip
    t = plan.t0
    worker = 2000 + int(rng.random() * 3000)
    left = plan.size
    while left > 0:
        tries = min(left, 1 + int(rng.random() * 3))
        proto = "imap" if rng.random() < 0.7 else "pop3"
        name = pick(rng, GUESSED)
        user = name if rng.random() < 0.3 else f"{name}@{ctx.domain}"
        session = session_id(rng)
        start = t
        for _ in range(tries):
            t += between(rng, 1.5, 4.5)
            if name in ("vanthu", "ketoan", "tiepdan"):
                why = "pam_authenticate() failed: Authentication failure (Password mismatch?)"
            else:
                why = "unknown user"
            yield (
                t,
                "",
                f" {host} dovecot: auth-worker({worker}): pam({user},{ip},<{session}>): {why}",
            )
        secs = max(1, int(t - start))
        t += between(rng, 0.1, 1.0)
        where = f"user=<{user}>, method=PLAIN, rip={ip}, lip={LIP}, TLS, session=<{session}>"
        if proto == "pop3":
            text = f"Aborted login (auth failed, {tries} attempts in {secs} secs): {where}"
        elif rng.random() < 0.5:
            text = f"Disconnected (auth failed, {tries} attempts in {secs} secs): {where}"
        else:
            text = (
                f"Login aborted: Connection closed (auth failed, {tries} attempts in {secs} "
                f"secs) (auth_failed): {where}"
            )
        yield (t, "", f" {host} dovecot: {proto}-login: {text}")
        left -= tries
        t += between(rng, 1, 15)


def mail_compromise(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    """Password guessing on one mailbox succeeds; the account then sends spam."""
    host, ip = ctx.host, plan.ip
    mailbox = f"{plan.user or 'vanthu'}@{ctx.domain}"
    service = "postfix/submission/smtpd"
    t = plan.t0
    left = plan.size
    while left > 0:
        tries = min(left, 1 + int(rng.random() * 2))
        lines, t = _sasl_connection(rng, host, ip, t, tries, mailbox, service)
        yield from lines
        left -= tries
        t += between(rng, 2, 25)
    t += between(rng, 60, 1800)
    smtpd = f" {host} {service}[{pid(rng)}]: "
    qmgr = f" {host} postfix/qmgr[{600 + int(rng.random() * 400)}]: "
    yield (t, "", f"{smtpd}connect from unknown[{ip}]")
    messages = 20 + int(rng.random() * 40)
    for n in range(messages):
        qid = hexid(rng, 10)
        t += between(rng, 0.3, 3)
        yield (
            t,
            "",
            f"{smtpd}{qid}: client=unknown[{ip}], sasl_method=LOGIN, sasl_username={mailbox}",
        )
        yield (
            t + 0.01,
            "",
            f" {host} postfix/cleanup[{pid(rng)}]: {qid}: message-id=<{msgid(rng, ctx.domain)}>",
        )
        yield (
            t + 0.02,
            "",
            f"{qmgr}{qid}: from=<{mailbox}>, size={4000 + n}, nrcpt=1 (queue active)",
        )
        t += between(rng, 0.5, 4)
        rcpt = f"{hexid(rng, 9, 'abcdefghiklmnopqrstuvxy')}@{pick(rng, SENDER_DOMAINS)}"
        relay = random_host(rng, SPAM_RELAY_NET)
        roll = rng.random()
        if roll < 0.5:
            status = "sent (250 2.0.0 OK)"
        elif roll < 0.8:
            status = (
                "deferred (host mx.example.org[" + relay + "] said: 421 4.7.0 Try again "
                "later, closing connection. (in reply to MAIL FROM command))"
            )
        else:
            status = (
                "bounced (host mx.example.org[" + relay + "] said: 550 5.7.1 Message "
                "rejected as spam (in reply to end of DATA command))"
            )
        dsn = {"s": "2.0.0", "d": "4.7.0", "b": "5.7.1"}[status[0]]
        yield (
            t,
            "",
            f" {host} postfix/smtp[{pid(rng)}]: {qid}: to=<{rcpt}>, "
            f"relay=mx.example.org[{relay}]:25, delay=2.1, delays=0.1/0/1.2/0.8, "
            f"dsn={dsn}, status={status}",
        )
        if status[0] != "d":
            yield (t + 0.001, "", f"{qmgr}{qid}: removed")
    yield (
        t + 0.5,
        "",
        f"{smtpd}disconnect from unknown[{ip}] ehlo=1 auth=1 mail={messages} "
        f"rcpt={messages} data={messages} quit=1 commands={3 + 3 * messages}",
    )


SCENARIOS: tuple[ScenarioType, ...] = (
    ScenarioType(
        "smtp-sasl-bruteforce",
        ("brute-force",),
        "required",
        (30, 400),
        smtp_sasl,
        {
            "vi": "Dò mật khẩu SMTP AUTH (SASL): {size} lần thử từ {ip}",
            "en": "SMTP AUTH (SASL) password guessing: {size} tries from {ip}",
        },
    ),
    ScenarioType(
        "dovecot-bruteforce",
        ("brute-force",),
        "required",
        (30, 300),
        dovecot_bruteforce,
        {
            "vi": "Dò mật khẩu IMAP/POP3 (dovecot): {size} lần thử từ {ip}",
            "en": "IMAP/POP3 (dovecot) password guessing: {size} tries from {ip}",
        },
    ),
    ScenarioType(
        "mail-compromise",
        ("brute-force", "account-compromise"),
        "required",
        (20, 100),
        mail_compromise,
        {
            "vi": "Dò được mật khẩu hộp thư {user} sau {size} lần thử từ {ip}, rồi gửi thư rác",
            "en": "Mailbox {user} password guessed after {size} tries from {ip}, then used to send "
            "spam",
        },
        users=("vanthu", "tiepdan", "ketoan"),
    ),
)

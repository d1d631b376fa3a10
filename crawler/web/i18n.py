"""The web app's words in Vietnamese (first) and English, and which language a request gets.

A dict rather than gettext catalogs: two languages and some sixty messages need no
compile step, and a missing English message falls back to the Vietnamese one.
"""

from __future__ import annotations

LANGUAGES = ("vi", "en")
DEFAULT = "vi"

MESSAGES: dict[str, dict[str, str]] = {
    "site": {"vi": "Báo địa phương", "en": "Provincial news"},
    "skip": {"vi": "Bỏ qua, đến nội dung", "en": "Skip to content"},
    "nav_search": {"vi": "Tìm kiếm", "en": "Search"},
    "nav_outlets": {"vi": "Các báo", "en": "Outlets"},
    "nav_scrape": {"vi": "Lấy một bài", "en": "Fetch an article"},
    "other_language": {"vi": "English", "en": "Tiếng Việt"},
    "search_label": {"vi": "Tìm bài báo (có dấu hoặc không dấu)", "en": "Search articles (with or without diacritics)"},
    "search_button": {"vi": "Tìm", "en": "Search"},
    "filters": {"vi": "Bộ lọc", "en": "Filters"},
    "outlet": {"vi": "Báo", "en": "Outlet"},
    "province": {"vi": "Tỉnh, thành", "en": "Province"},
    "section": {"vi": "Chuyên mục", "en": "Section"},
    "author": {"vi": "Tác giả", "en": "Author"},
    "since": {"vi": "Từ ngày", "en": "From"},
    "until": {"vi": "Đến ngày", "en": "To"},
    "any": {"vi": "Tất cả", "en": "Any"},
    "results": {"vi": "Kết quả", "en": "Results"},
    "newest": {"vi": "Bài mới nhất", "en": "Newest articles"},
    "no_results": {"vi": "Không có bài nào.", "en": "No articles."},
    "of": {"vi": "trên", "en": "of"},
    "at_least": {"vi": "ít nhất", "en": "at least"},
    "loose": {"vi": "Không bài nào chứa đúng cụm từ này; đây là các bài gần đúng.",
              "en": "No article holds these words as typed; these are close matches."},
    "also_in": {"vi": "cũng đăng trên {n} báo khác", "en": "also in {n} other outlets"},
    "also_in_one": {"vi": "cũng đăng trên 1 báo khác", "en": "also in 1 other outlet"},
    "previous": {"vi": "Trang trước", "en": "Previous page"},
    "next": {"vi": "Trang sau", "en": "Next page"},
    "page": {"vi": "Trang", "en": "Page"},
    "pages": {"vi": "Phân trang", "en": "Pagination"},
    "export": {"vi": "Tải các kết quả này", "en": "Export these results"},
    "untitled": {"vi": "(không có tiêu đề)", "en": "(untitled)"},
    "undated": {"vi": "không rõ ngày", "en": "undated"},
    "published": {"vi": "Đăng lúc", "en": "Published"},
    "updated": {"vi": "Cập nhật", "en": "Updated"},
    "fetched": {"vi": "Lấy về lúc", "en": "Fetched"},
    "date_source": {"vi": "nguồn ngày", "en": "date from"},
    "original": {"vi": "Bài gốc", "en": "Original article"},
    "unsafe_url": {"vi": "địa chỉ không phải http(s), không tạo liên kết", "en": "not an http(s) address, not linked"},
    "authors": {"vi": "Tác giả", "en": "Authors"},
    "attribution": {"vi": "Nguồn", "en": "Credit"},
    "images": {"vi": "Ảnh", "en": "Images"},
    "open_image": {"vi": "Mở ảnh (trên trang của báo)", "en": "Open the image (on the outlet's site)"},
    "no_caption": {"vi": "(không có chú thích)", "en": "(no caption)"},
    "versions": {"vi": "Các phiên bản", "en": "Versions"},
    "version": {"vi": "Phiên bản", "en": "Version"},
    "first_version": {"vi": "(phiên bản đầu)", "en": "(first version)"},
    "no_change": {"vi": "(không đổi chữ)", "en": "(text unchanged)"},
    "story": {"vi": "Cùng câu chuyện trên các báo khác", "en": "The same story in other outlets"},
    "similarity": {"vi": "giống", "en": "similar"},
    "this_article": {"vi": "bài này", "en": "this article"},
    "raw": {"vi": "Trang gốc đã lưu (nguyên văn)", "en": "The page as fetched (raw)"},
    "no_raw": {"vi": "Không lưu trang gốc của bài này.", "en": "No archived page for this article."},
    "not_found": {"vi": "Không tìm thấy", "en": "Not found"},
    "no_article": {"vi": "Không có bài số {id}.", "en": "No article {id}."},
    "no_outlet": {"vi": "Không có báo {key}.", "en": "No outlet {key}."},
    "outlets": {"vi": "Các báo", "en": "Outlets"},
    "articles": {"vi": "Số bài", "en": "Articles"},
    "last_run": {"vi": "Lần lấy gần nhất", "en": "Last crawl"},
    "outcome": {"vi": "Kết quả", "en": "Outcome"},
    "never": {"vi": "chưa lấy", "en": "never crawled"},
    "per_day": {"vi": "Số bài mỗi ngày, 90 ngày qua", "en": "Articles per day, last 90 days"},
    "chart_label": {"vi": "{total} bài trong 90 ngày, nhiều nhất {max} bài một ngày",
                    "en": "{total} articles in 90 days, at most {max} a day"},
    "routes": {"vi": "Đường lấy bài và số bài", "en": "Routes and yields"},
    "route_new": {"vi": "{new} mới / {urls} thấy", "en": "{new} new / {urls} seen"},
    "flags": {"vi": "Cảnh báo", "en": "Flags"},
    "dry": {"vi": "CẠN: không có bài mới", "en": "DRY: nothing new"},
    "failed": {"vi": "LỖI", "en": "FAILED"},
    "runs": {"vi": "Các lần lấy bài", "en": "Crawl runs"},
    "started": {"vi": "Bắt đầu", "en": "Started"},
    "requests": {"vi": "Yêu cầu", "en": "Requests"},
    "new": {"vi": "Mới", "en": "New"},
    "errors": {"vi": "Lỗi", "en": "Errors"},
    "errors_by_reason": {"vi": "Lỗi theo lý do", "en": "Errors by reason"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "count": {"vi": "Số lần", "en": "Count"},
    "no_errors": {"vi": "Không có lỗi.", "en": "No errors."},
    "no_runs": {"vi": "Chưa có lần lấy nào.", "en": "No runs yet."},
    "scrape_title": {"vi": "Lấy một bài báo", "en": "Fetch one article"},
    "scrape_url": {"vi": "Địa chỉ bài báo (http hoặc https)", "en": "Article address (http or https)"},
    "token": {"vi": "Mã cho phép ghi", "en": "Write token"},
    "scrape_button": {"vi": "Lấy bài", "en": "Fetch"},
    "scrape_off": {"vi": "Máy chủ này không cho lấy bài từ trang web (khởi động với --web-scrape để bật).",
                   "en": "This server does not fetch articles from the web app (start it with --web-scrape)."},
    "read_only": {"vi": "Chỉ đọc: chưa đặt PROVNEWS_WEB_TOKEN nên không ghi được gì.",
                  "en": "Read-only: PROVNEWS_WEB_TOKEN is not set, so nothing can be written."},
    "bad_token": {"vi": "Mã cho phép ghi không đúng.", "en": "Wrong write token."},
    "bad_csrf": {"vi": "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang.",
                 "en": "The form expired or is not valid; reload the page."},
    "refused": {"vi": "Từ chối", "en": "Refused"},
    "scrape_failed": {"vi": "Không lấy được", "en": "Could not fetch"},
    "stored": {"vi": "Đã lưu", "en": "Stored"},
    "invalid": {"vi": "Yêu cầu không hợp lệ", "en": "Invalid request"},
    "time_zone": {"vi": "Giờ Việt Nam (+07:00)", "en": "Vietnam time (+07:00)"},
}


def translate(lang: str, message: str, /, **values: object) -> str:
    entry = MESSAGES[message]
    return entry.get(lang, entry[DEFAULT]).format(**values)


def choose(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` when it names one of ours, else the Accept-Language our languages rank highest, else Vietnamese."""
    if query_lang in LANGUAGES:
        return query_lang  # type: ignore[return-value]
    best, best_q = DEFAULT, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = _quality(params)
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0

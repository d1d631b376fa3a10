"""The web tests' database: the bundled mirror crawled by ``provnews demo`` (real pages,
with their archive), plus what the mirror lacks, written through the storage API the
store pipeline uses: hostile articles (script, event handlers and ``javascript:`` URLs
in every field a page shows), a second outlet's copy of a mirrored article (a story of
two) that also has a revised second version, and articles of the last days, so the
90-day charts have something to draw.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from crawler.core.record import ArticleRecord, Image, content_hash
from storage import open_database
from storage.history import add_version
from storage.queries import upsert_article
from storage.signatures import assign_story

VN = timezone(timedelta(hours=7))
# Each payload, if it ever ran, would set window.__xss or open a dialog.
SCRIPT = '<script>window.__xss = "title"; alert("title")</script>'
HANDLER = '<img src=x onerror="window.__xss = \'handler\'; alert(\'handler\')">'
JS_URL = 'javascript:window.__xss="url";alert("url")'


@dataclass(frozen=True)
class Seeded:
    xss_id: int             # hostile title, lead, text, authors, credit, section, captions, image URLs
    xss_url_id: int         # hostile original URL and an unregistered outlet named like markup
    original_id: int        # a mirrored article ...
    copy_id: int            # ... and its copy in another outlet, with two versions


def _record(url: str, outlet: str, title: str, text: str, published: datetime, **fields: object) -> ArticleRecord:
    return ArticleRecord(url=url, outlet=outlet, canonical_url=url, title=title, text=text, published_at=published,
                         published_at_source="test:seed", language="vi", word_count=len(text.split()),
                         content_hash=content_hash(text), fetched_at=datetime.now(UTC), **fields)  # type: ignore[arg-type]


def _store(session, record: ArticleRecord, key: str, province: str) -> int:
    """What pipelines/store.py does for a new or changed article."""
    result = upsert_article(session, record, key, province=province)
    add_version(session, result.id, record.title, record.text, record.content_hash or "", record.fetched_at)
    assign_story(session, result.id, record.text)
    return result.id


def seed(db_path: Path) -> Seeded:
    now = datetime.now(VN)
    with sqlite3.connect(db_path) as conn:
        # The longest mirrored baolangson article: long enough for a story signature.
        original_id, original_text = conn.execute(
            "SELECT id, text FROM articles WHERE outlet = 'baolangson' ORDER BY length(text) DESC LIMIT 1").fetchone()
    db = open_database(f"sqlite:///{db_path}")
    try:
        with db.session() as session, session.begin():
            body = (f"Đoạn đầu {SCRIPT} và {HANDLER}.\n\nLiên kết: <a href='{JS_URL}'>bấm vào đây</a> "
                    + "Lạng Sơn đón khách du lịch dịp cuối năm. " * 12)
            xss = _record(
                "https://baolangson.vn/xss-bai-doc-9000001.html", "baolangson", f"{SCRIPT} Bài độc hại Lạng Sơn",
                body, now - timedelta(days=1), summary=f"Sapo {HANDLER}", authors=["<b onmouseover=alert(1)>Kẻ Xấu</b>"],
                attribution=SCRIPT, section=f"<i>{HANDLER}</i>",
                images=[Image(JS_URL, caption=f"Chú thích {SCRIPT}"),
                        Image('https://baolangson.vn/a.jpg" onerror="alert(1)', caption=HANDLER)])
            xss_id = _store(session, xss, "test:xss-1", "Lạng Sơn")
            xss_url = _record(JS_URL, HANDLER, "Bài có địa chỉ javascript ở Cao Bằng", "Nội dung ngắn ở Cao Bằng.",
                              now - timedelta(days=3))
            xss_url_id = _store(session, xss_url, "test:xss-2", "Cao Bằng")
            first = _record("https://baocaobang.vn/ban-sao-9000003.html", "baocaobang", "Bản đăng lại (bản 1)",
                            original_text, now - timedelta(days=2), attribution="Theo Báo Lạng Sơn")
            copy_id = _store(session, first, "test:copy", "Cao Bằng")
            revised_text = original_text.replace(" ", " thêm ", 1) + "\n\nĐoạn cuối được thêm khi sửa bài."
            revised = _record(first.url, "baocaobang", "Bản đăng lại", revised_text, first.published_at,  # type: ignore[arg-type]
                              attribution="Theo Báo Lạng Sơn")
            assert _store(session, revised, "test:copy", "Cao Bằng") == copy_id
            recent_day = now - timedelta(days=10)
            for i in range(3):
                _store(session, _record(f"https://baolangson.vn/gan-day-{i}-900001{i}.html", "baolangson",
                                        f"Tin gần đây {i} về Lạng Sơn", f"Tin số {i} về chợ phiên Lạng Sơn.",
                                        recent_day + timedelta(hours=i)), f"test:recent-{i}", "Lạng Sơn")
    finally:
        db.close()
    return Seeded(xss_id, xss_url_id, original_id, copy_id)

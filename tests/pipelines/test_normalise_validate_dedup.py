import unicodedata
from datetime import date, datetime, timedelta, timezone

import pytest
from scrapy.exceptions import DropItem

from crawler.core.record import ArticleRecord, Image, content_hash
from pipelines.dedup import DedupPipeline
from pipelines.normalise import NormalisePipeline
from pipelines.validate import ValidatePipeline

ICT = timezone(timedelta(hours=7))
BODY = "Lạng Sơn đẩy mạnh xuất khẩu nông sản qua cửa khẩu. " * 10


def record(**fields) -> ArticleRecord:
    base = dict(url="https://baolangson.vn/a-1234567.html", outlet="baolangson", title="Tin Lạng Sơn",
                text=BODY, word_count=len(BODY.split()),
                published_at=datetime(2025, 7, 1, 8, tzinfo=ICT))
    base.update(fields)
    return ArticleRecord(**base)


def test_normalise_makes_nfc_and_folds_whitespace():
    nfd = unicodedata.normalize("NFD", "Lạng  Sơn\n\n\n  Đồng Đăng ")
    item = NormalisePipeline().process_item(record(
        title=nfd, text=nfd, authors=[unicodedata.normalize("NFD", "PHÙNG KHIÊM"), "  "],
        images=[Image("https://baolangson.vn/x.jpg", unicodedata.normalize("NFD", " Ảnh  minh họa "))],
        url="https://BaoLangSon.vn/a-1234567.html?utm_source=zalo#top"))
    assert item.title == "Lạng Sơn Đồng Đăng" and unicodedata.is_normalized("NFC", item.title)
    assert item.text == "Lạng Sơn\n\nĐồng Đăng"  # one separator: a blank line
    assert item.authors == ["PHÙNG KHIÊM"]
    assert item.images[0].caption == "Ảnh minh họa"
    assert item.canonical_url == "https://baolangson.vn/a-1234567.html"
    assert item.content_hash == content_hash("Lạng Sơn\n\nĐồng Đăng")


@pytest.mark.parametrize(("fields", "reason"), [
    ({"title": None}, "no_title"),
    ({"text": "", "word_count": 0}, "empty_text"),
    ({"text": "Ngắn quá.", "word_count": 2}, "too_short"),
    ({"title": "Bài viết không tồn tại", "text": "Bài viết không tồn tại hoặc đã bị xoá.", "word_count": 9},
     "soft_404"),
    ({"title": "Checking your browser before accessing the site.",
      "text": "Please enable JavaScript and cookies.", "word_count": 5}, "challenge_page"),
    ({"published_at": datetime(2023, 12, 31, 23, 59, tzinfo=ICT)}, "older_than_since"),
])
def test_validate_drops_with_reason(fields, reason):
    pipeline = ValidatePipeline(min_words=30, since=date(2024, 1, 1))
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(record(**fields))


def test_validate_keeps_a_good_article():
    item = record()
    assert ValidatePipeline(min_words=30, since=date(2024, 1, 1)).process_item(item) is item


def test_an_article_quoting_not_found_words_is_kept():
    text = "Người dân phản ánh thửa đất không tồn tại trên bản đồ địa chính. " + BODY
    item = record(title="Không tìm thấy thửa đất trên bản đồ", text=text, word_count=len(text.split()))
    assert ValidatePipeline(min_words=30, since=None).process_item(item) is item


def test_dedup_drops_same_url_and_same_text_within_a_run():
    normalise, dedup = NormalisePipeline(), DedupPipeline()
    dedup.process_item(normalise.process_item(record()))
    with pytest.raises(DropItem, match="duplicate_url"):
        dedup.process_item(normalise.process_item(record(url="https://baolangson.vn/a-1234567.html#x",
                                                          text=BODY + " khác")))
    with pytest.raises(DropItem, match="duplicate_text"):
        dedup.process_item(normalise.process_item(record(url="https://baolangson.vn/b-7654321.html")))
    other_outlet = record(url="https://baocaobang.vn/b-7654321.html", outlet="baocaobang")
    assert dedup.process_item(normalise.process_item(other_outlet)) is other_outlet

import gzip
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.discovery.documents import (
    DiscoveryError,
    feed_links,
    listing_entries,
    next_page_link,
    parse_feed,
    parse_sitemap,
)

FIXTURES = Path(__file__).with_name("fixtures")
ICT = timezone(timedelta(hours=7))


def test_real_vnexpress_feed():
    entries = parse_feed((FIXTURES / "vnexpress-rss-2017-08-30.rss").read_bytes(), "http://vnexpress.net/").entries
    assert len(entries) == 25
    first = entries[0]
    assert first.url == ("http://dulich.vnexpress.net/tin-tuc/anh-video/"
                         "be-boi-dat-vang-trong-biet-thu-noi-tong-thong-putin-nghi-duong-3634646.html")
    assert first.published == datetime(2017, 8, 30, 20, 3, tzinfo=ICT)
    assert first.title == "Bể bơi dát vàng trong biệt thự nơi tổng thống Putin nghỉ dưỡng"


def test_atom_feed():
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
    <entry><title>A</title><link rel="alternate" href="/a-1.html"/><published>2025-07-01T08:00:00+07:00</published></entry>
    </feed>"""
    (entry,) = parse_feed(body, "https://bao.example/").entries
    assert entry.url == "https://bao.example/a-1.html"
    assert entry.published == datetime(2025, 7, 1, 8, tzinfo=ICT)


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty"),
    (b"<html><body>not a feed</body></html>", "not_feed"),
    (b"\x00\x01 not xml at all", "not_xml"),
    (b"\x1f\x8b\x08\x00garbage", "bad_gzip"),
])
def test_bad_feeds_raise_with_reason(body, reason):
    with pytest.raises(DiscoveryError) as excinfo:
        parse_feed(body, "https://bao.example/")
    assert excinfo.value.reason == reason


def test_malformed_feed_is_recovered():
    # An item broken inside (its link ends up in the title) is lost; the items after it,
    # one with a control character and one cut off by the truncated end, come back.
    body = ("<rss><channel><item><title>A</title><link>/a-1.html</link></item>"
            "<item><title>B <b>đậm</title><link>/a-2.html</link></item>"
            "<item><title>C \x01</title><link>/a-3.html</link></item><item><link>/a-4.html</link>").encode()
    feed = parse_feed(body, "https://bao.example/")
    assert [e.url for e in feed.entries] == [f"https://bao.example/a-{i}.html" for i in (1, 3, 4)]
    assert feed.recovered  # the breakage is reported, not hidden


def test_well_formed_documents_are_not_marked_recovered():
    body = b"<rss><channel><item><link>/a-1.html</link></item></channel></rss>"
    assert parse_feed(body, "https://bao.example/").recovered is None
    assert parse_sitemap(b"<urlset><url><loc>/a-1.html</loc></url></urlset>", "https://bao.example/").recovered is None


def test_sitemap_entry_after_an_unclosed_one_is_recovered():
    body = b"""<urlset><url><loc>https://bao.example/a-1.html</loc><url><loc>https://bao.example/a-2.html</loc></url>"""
    sitemap = parse_sitemap(body, "https://bao.example/")
    assert [e.url for e in sitemap.urls] == ["https://bao.example/a-1.html", "https://bao.example/a-2.html"]
    assert sitemap.recovered


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss><channel><item><title>&xxe;</title><link>https://bao.example/a-1.html</link></item></channel></rss>""".encode()
    (entry,) = parse_feed(body, "https://bao.example/").entries
    assert "TOP-SECRET" not in (entry.title or "")


def test_billion_laughs_does_not_expand():
    lol = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss><channel><item><title>&lol9;</title><link>https://bao.example/a-1.html</link></item></channel></rss>"""
    # libxml2's amplification guard refuses the document outright.
    with pytest.raises(DiscoveryError) as excinfo:
        parse_feed(lol, "https://bao.example/")
    assert excinfo.value.reason == "not_xml"


def test_sitemap_index_and_news_sitemap():
    index = parse_sitemap(b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://bao.example/sitemap-1.xml</loc></sitemap></sitemapindex>""", "https://bao.example/")
    assert index.children == ["https://bao.example/sitemap-1.xml"] and index.urls == []
    news = parse_sitemap(b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://bao.example/a-1.html</loc><news:news><news:publication_date>2025-07-02T09:30:00+07:00</news:publication_date>
      <news:title>Tin A</news:title></news:news></url>
      <url><loc>https://bao.example/b-2.html</loc><lastmod>2025-07-01T00:00:00Z</lastmod></url></urlset>""",
                         "https://bao.example/")
    assert [e.url for e in news.urls] == ["https://bao.example/a-1.html", "https://bao.example/b-2.html"]
    assert news.urls[0].published == datetime(2025, 7, 2, 9, 30, tzinfo=ICT)
    assert news.urls[0].title == "Tin A"
    assert news.urls[1].published == datetime(2025, 7, 1, tzinfo=timezone.utc)


def test_oversized_xml_is_refused_before_parsing(monkeypatch):
    import crawler.discovery.documents as discovery
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 100)
    with pytest.raises(DiscoveryError) as excinfo:
        parse_sitemap(b"<urlset>" + b" " * 200 + b"</urlset>", "https://bao.example/")
    assert excinfo.value.reason == "too_large"


def is_article(url: str) -> bool:
    return bool(re.match(r"^https://bao\.example/[a-z-]+-\d{7}\.html$", url))


def test_listing_entries_take_each_items_own_date():
    body = """<html><body><div class="today">Thứ tư, 25/11/2026</div>
    <div class="item"><a href="/a-1234567.html">A</a><span>08:15 | 04/12/2020</span></div>
    <div class="item"><a href=" b-7654321.html ">B</a></div>
    <div class="item"><a href="/a-1234567.html">A again</a></div>
    <a href="/tin?page=2">Trang sau</a></body></html>"""
    entries = listing_entries(body, "https://bao.example/tin", is_article, ICT)
    assert [e.url for e in entries] == ["https://bao.example/a-1234567.html", "https://bao.example/b-7654321.html"]
    assert entries[0].published == datetime(2020, 12, 4, 8, 15, tzinfo=ICT)  # day-first
    assert entries[1].published is None  # not the header's "today"
    assert listing_entries("", "https://bao.example/", is_article) == []


def test_next_page_and_feed_links():
    body = """<html><head><link rel="alternate" type="application/rss+xml" href="/rss/tin.rss"></head><body>
    <div class="pager"><a href="?page=2">2</a> <a href="https://bao.example/tin?page=2">Trang sau</a></div></body></html>"""
    assert next_page_link(body, "https://bao.example/tin") == "https://bao.example/tin?page=2"
    assert next_page_link('<a rel="next" href="/p2">›</a>', "https://bao.example/tin") == "https://bao.example/p2"
    assert next_page_link("<p>last page</p>", "https://bao.example/tin") is None
    assert feed_links(body, "https://bao.example/tin") == ["https://bao.example/rss/tin.rss"]


def test_gzipped_sitemap_and_gzip_bomb(monkeypatch):
    import crawler.discovery.documents as discovery
    urlset = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<url><loc>https://bao.example/a-1234567.html</loc></url></urlset>")
    assert [e.url for e in parse_sitemap(gzip.compress(urlset), "https://bao.example/").urls] == [
        "https://bao.example/a-1234567.html"]
    monkeypatch.setattr(discovery, "MAX_XML_BYTES", 1_000_000)
    bomb = gzip.compress(b"<urlset>" + b" " * 20_000_000 + b"</urlset>")
    with pytest.raises(DiscoveryError) as excinfo:
        parse_sitemap(bomb, "https://bao.example/")
    assert excinfo.value.reason == "too_large"

"""Generic page rules of issue 13 on small pages: the guard, title, time, lead, promo boxes."""

from __future__ import annotations

import json

from crawler.extraction import extract_article, full_text

URL = "https://tinh.example.vn/thoi-su/bai-viet-123.html"
PROSE = ("Hội đồng nhân dân tỉnh đã họp phiên thường kỳ cuối năm để bàn về ngân sách, đầu tư công, "
         "các công trình giao thông và kế hoạch phát triển kinh tế xã hội của năm tới.")


def _page(body: str, head: str = "") -> str:
    return f"<html lang='vi'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def _paragraphs(n: int, word: str = "") -> str:
    return "".join(f"<p>{word}Đoạn {i}. {PROSE}</p>" for i in range(n))


def test_guard_takes_trafilatura_when_the_container_holds_a_fragment() -> None:
    # The usual content class wraps a one-line box; the article itself sits beside it.
    html = _page(f"<h1>Họp hội đồng</h1><div class='content-detail'><p>Hộp nhỏ.</p></div>"
                 f"<div class='story'>{_paragraphs(12)}</div>")
    record = extract_article(html, URL)
    assert "guard:trafilatura_over_container" in record.notes
    assert record.text.count("Đoạn") == 12


def test_guard_keeps_ours_when_it_is_whole() -> None:
    html = _page(f"<h1>Họp hội đồng</h1><article>{_paragraphs(6)}</article>")
    record = extract_article(html, URL)
    assert not [n for n in record.notes if n.startswith("guard:")]
    assert record.text.count("Đoạn") == 6


def test_title_from_agreeing_signals_over_a_breadcrumb_h1() -> None:
    headline = "Tỉnh khởi công cầu mới qua sông Lam"
    ld = json.dumps({"@type": "NewsArticle", "headline": headline}, ensure_ascii=False)
    head = f"<meta property='og:title' content='{headline}'><script type='application/ld+json'>{ld}</script>"
    html = _page(f"<h1>THỜI SỰ &gt; Giao thông</h1><article>{_paragraphs(4)}</article>", head)
    assert extract_article(html, URL).title == headline


def test_an_h1_that_is_the_headline_stays() -> None:
    head = "<meta property='og:title' content='Khởi công cầu mới - Báo Tỉnh'>"
    html = _page(f"<h1>Khởi công cầu mới qua sông Lam</h1><article>{_paragraphs(4)}</article>", head)
    assert extract_article(html, URL).title == "Khởi công cầu mới qua sông Lam"


def test_a_date_only_json_ld_takes_the_time_printed_that_day() -> None:
    ld = json.dumps({"@type": "NewsArticle", "datePublished": "2025-03-04"})
    head = f"<script type='application/ld+json'>{ld}</script>"
    html = _page(f"<h1>Tin</h1><div class='date'>Thứ Ba, 04/03/2025 - 09:15</div>"
                 f"<article>{_paragraphs(4)}</article>", head)
    record = extract_article(html, URL)
    assert record.published_at.isoformat() == "2025-03-04T09:15:00+07:00"
    assert record.published_at_source == "jsonld:datePublished+page:time"


def test_a_time_printed_on_another_day_is_not_taken() -> None:
    ld = json.dumps({"@type": "NewsArticle", "datePublished": "2025-03-04"})
    head = f"<script type='application/ld+json'>{ld}</script>"
    html = _page(f"<h1>Tin</h1><div class='date'>05/03/2025 09:15</div><article>{_paragraphs(4)}</article>", head)
    assert extract_article(html, URL).published_at.isoformat() == "2025-03-04T00:00:00+07:00"


def test_the_lead_is_never_a_related_card_summary() -> None:
    teaser = "Một bài khác: tỉnh tổ chức hội chợ nông sản với hơn 200 gian hàng."
    html = _page(f"<h1>Họp hội đồng</h1><article>{_paragraphs(5)}</article>"
                 f"<ul class='list'><li><a href='/khac.html'>Hội chợ</a><p class='summary'>{teaser}</p></li></ul>")
    record = extract_article(html, URL)
    assert record.summary != teaser
    assert teaser not in full_text(record)


def test_a_caption_is_never_the_lead() -> None:
    caption = "Toàn cảnh phiên họp sáng nay tại hội trường của tỉnh."
    html = _page(f"<h1>Họp hội đồng</h1><article><figure><img src='/a.jpg'>"
                 f"<figcaption itemprop='description'>{caption}</figcaption></figure>{_paragraphs(5)}</article>")
    assert extract_article(html, URL).summary != caption


def test_a_promo_box_inside_the_article_leaves_the_text() -> None:
    box = ("<div class='box'><h3>Bạn có thể quan tâm</h3><ul>"
           "<li><a href='/a.html'>Giá lúa tăng mạnh trong tuần qua ở đồng bằng</a></li>"
           "<li><a href='/b.html'>Mưa lớn kéo dài ở các huyện miền núi phía tây</a></li></ul></div>")
    html = _page(f"<h1>Họp hội đồng</h1><article>{_paragraphs(3)}{box}{_paragraphs(3, 'Tiếp. ')}</article>")
    record = extract_article(html, URL)
    assert "Giá lúa" not in record.text and "Bạn có thể quan tâm" not in record.text
    assert record.text.count("Đoạn") == 6


def test_a_breadcrumb_h1_gives_way_to_the_headline_h1_and_names_the_section() -> None:
    # JSON-LD "name" (no "headline") agrees with og:title; the date sits in a share bar.
    headline = "Tập trung thanh tra các lĩnh vực có nguy cơ"
    ld = json.dumps({"@type": "NewsArticle", "name": headline, "datePublished": "2026-01-08"}, ensure_ascii=False)
    head = f"<meta property='og:title' content='{headline}'><script type='application/ld+json'>{ld}</script>"
    html = _page(f"<h1><a href='/thoi-su/'>THỜI SỰ</a> &gt; <a href='/thoi-su/can-tho/'>Cần Thơ</a></h1>"
                 f"<div class='detail-share'><span class='pubdate'>08/01/2026 - 18:21</span></div>"
                 f"<h1>{headline}</h1><article>{_paragraphs(4)}</article>", head)
    record = extract_article(html, URL)
    assert (record.title, record.section) == (headline, "Cần Thơ")
    assert record.published_at.isoformat() == "2026-01-08T18:21:00+07:00"


def test_a_section_list_is_narrowed_by_the_breadcrumb() -> None:
    crumb = json.dumps({"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "item": {"@id": "/giai-tri/", "name": "Giải trí"}}]}, ensure_ascii=False)
    head = (f"<meta property='article:section' content='Hậu trường sao,Giải trí,Thời trang'>"
            f"<script type='application/ld+json'>{crumb}</script>")
    html = _page(f"<h1>Tin</h1><article>{_paragraphs(4)}</article>", head)
    assert extract_article(html, URL).section == "Giải trí"
    html = _page(f"<h1>Tin</h1><article>{_paragraphs(4)}</article>",
                 "<meta property='article:section' content='Kinh tế,Doanh nghiệp'>")
    assert extract_article(html, URL).section == "Kinh tế"


def test_a_source_box_is_the_attribution_and_never_an_author() -> None:
    html = _page(f"<h1>Tin</h1><div class='meta'><span class='author'>Thế Duyệt, Đời sống Pháp luật</span></div>"
                 f"<article>{_paragraphs(4)}</article><div class='link-source-wrapper'>"
                 f"<a class='link-source-name' href='#'>Theo <span>Đời sống Pháp luật</span>"
                 f"<span class='btn-copy'><i>Copy link</i></span></a></div>")
    record = extract_article(html, URL)
    assert (record.authors, record.attribution) == (["Thế Duyệt"], "Đời sống Pháp luật")


def test_an_author_box_link_label_is_no_author() -> None:
    html = _page(f"<h1>Tin</h1><div class='article-author'><span class='author-in-box'>Phương Nghi</span>"
                 f"<a class='author-more' href='/tac-gia/1'>Xem các bài viết của tác giả</a></div>"
                 f"<article>{_paragraphs(4)}</article>")
    assert extract_article(html, URL).authors == ["Phương Nghi"]


def test_hashtags_above_the_headline_are_not_the_article_tags() -> None:
    html = _page(f"<div class='header'><ul class='header__hashtag'><li><a href='/x#hashtag'># World Cup</a></li></ul>"
                 f"</div><h1>Tin</h1><article>{_paragraphs(4)}</article>"
                 f"<div class='tags'><a href='/tag/cong-an'>công an</a></div>")
    assert extract_article(html, URL).tags == ["công an"]


def test_the_lead_that_agrees_with_the_meta_description_wins_over_a_related_summary() -> None:
    lead = "Giá vàng thế giới lập kỷ lục mới nhờ dòng tiền trú ẩn an toàn gia tăng trong tuần."
    related = "Trong phiên giao dịch chiều nay, giá vàng miếng lập kỷ lục mới ở mức cao nhất."
    html = _page(f"<h1>Giá vàng</h1><p class='the-article-summary'>{lead}</p><article>{_paragraphs(3)}"
                 f"<table><tr><td><p class='summary'>{related}</p></td></tr></table>{_paragraphs(2)}</article>",
                 f"<meta property='og:description' content='{lead}'>")
    assert extract_article(html, URL).summary == lead

import pytest

from crawler.extraction import ExtractionError, extract_article

PHOTO_STORY = """<html lang="vi"><head><meta charset="utf-8"><title>“Vàng trên núi đá”</title></head><body>
<h1 class="title-detail">“Vàng trên núi đá”</h1><div class="date-detail">09:00 | 02/10/2020</div>
<div id="content-detail"><h2>LSO-Những vườn hồi trên núi đá vôi đang vào mùa thu hoạch, mang lại nguồn thu
đáng kể cho đồng bào các dân tộc ở vùng cao của huyện.</h2>
<p style="text-align:center"><img src="https://baolangson.vn/uploads/2020/10/02/1.jpg"></p>
<p style="text-align:center"><em>Người dân thu hái hồi</em></p></div></body></html>"""


def test_lead_is_the_text_of_a_page_with_no_other_prose():
    record = extract_article(PHOTO_STORY, "https://baolangson.vn/vang-tren-nui-da-5000007.html")
    assert record.summary.startswith("Những vườn hồi trên núi đá vôi")
    assert record.text == record.summary
    assert "text:summary_only" in record.notes
    assert [i.caption for i in record.images] == ["Người dân thu hái hồi"]


def test_page_with_neither_lead_nor_prose_is_still_refused():
    with pytest.raises(ExtractionError) as excinfo:
        extract_article('<html><body><h1>Tiêu đề</h1><div id="content-detail"></div></body></html>',
                        "https://baolangson.vn/x-5000099.html")
    assert excinfo.value.reason == "no_text"

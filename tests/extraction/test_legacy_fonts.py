"""Pages typed in the pre-Unicode Vietnamese fonts (TCVN3/ABC, VNI) are flagged."""

import pytest

from crawler.extraction import decode_html, extract_bytes
from crawler.extraction.encoding import legacy_font

# The seed article's opening, as the same words look when typed in each legacy font
# and read as Latin-1 (the font tables map Vietnamese letters onto Latin-1 codes).
TCVN3 = "§oµn KiÓm tra cña Ban BÝ th\u2212 ®· lµm viÖc víi Ban Th\u2212êng vô TØnh ñy L¹ng S¬n vµ c¸c ®ång chÝ"
VNI = "Ñoaøn Kieåm tra cuûa Ban Bí thö ñaõ laøm vieäc vôùi Ban Thöôøng vuï Tænh uûy Laïng Sôn vaø caùc ñoàng chí"


@pytest.mark.parametrize(("text", "font"), [(TCVN3, "tcvn3"), (VNI, "vni")])
def test_legacy_font_is_recognised(text, font):
    assert legacy_font(text) == font


def test_unicode_vietnamese_is_not_flagged():
    assert legacy_font("Đoàn Kiểm tra của Ban Bí thư đã làm việc với Ban Thường vụ Tỉnh ủy Lạng Sơn và các đồng chí") is None


def test_a_legacy_page_is_extracted_with_a_flag():
    paragraphs = "".join(f"<p>{TCVN3}.</p>" for _ in range(4))
    body = f"<html><head><title>TCVN3</title></head><body><h1>Tin</h1><article>{paragraphs}</article></body></html>"
    page = decode_html(body.encode("utf-8"))
    assert page.legacy_font == "tcvn3"
    record = extract_bytes(body.encode("utf-8"), "https://bao.example/tin-1.html")
    assert "legacy_font:tcvn3" in record.notes

import pytest

from crawler.core.urls import canonical_url, url_key


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://BaoLangSon.vn/a-1234567.html", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn:443/a-1234567.html", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn/a-1234567.html#binh-luan", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn/a-1234567.html?utm_source=zalo&utm_medium=x", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn/a-1234567.html?zarsrc=30&gidzl=abc", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn/a-1234567.html?fbclid=IwAR0", "https://baolangson.vn/a-1234567.html"),
    ("https://baolangson.vn/tin?id=5&utm_campaign=a", "https://baolangson.vn/tin?id=5"),
    ("https://baolangson.vn/tin?id=5&sid=8f3a&PHPSESSID=x1", "https://baolangson.vn/tin?id=5"),
    ("https://baolangson.vn/a-1234567.html;jsessionid=A1B2?id=5", "https://baolangson.vn/a-1234567.html?id=5"),
    ("http://baolangson.vn", "http://baolangson.vn/"),
])
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


def test_url_key_is_shared_by_variants():
    assert url_key("https://BaoLangSon.vn/a-1.html#x") == url_key("https://baolangson.vn/a-1.html?utm_source=y")
    assert url_key("https://baolangson.vn/a-1.html") != url_key("https://baolangson.vn/a-2.html")

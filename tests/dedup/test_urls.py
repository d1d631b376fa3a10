"""URL canonicalisation, table-driven: pairs that are, or are not, one article."""

import pytest

from crawler.core.urls import canonical_url, choose_canonical, identity_url, url_key

A = "https://baolangson.vn/dua-nuoc-ve-ban-5000013.html"

# (a, b, same article?)
PAIRS = [
    # scheme, host case, default ports, fragments
    (A, "HTTPS://BaoLangSon.VN/dua-nuoc-ve-ban-5000013.html", True),
    (A, "http://baolangson.vn/dua-nuoc-ve-ban-5000013.html", True),
    (A, "https://baolangson.vn:443/dua-nuoc-ve-ban-5000013.html", True),
    (A, "http://baolangson.vn:80/dua-nuoc-ve-ban-5000013.html", True),
    (A, A + "#binh-luan", True),
    (A, A + "#", True),
    # www. / m. / mobile. / amp. hosts
    (A, "https://www.baolangson.vn/dua-nuoc-ve-ban-5000013.html", True),
    (A, "https://m.baolangson.vn/dua-nuoc-ve-ban-5000013.html", True),
    (A, "https://mobile.baolangson.vn/dua-nuoc-ve-ban-5000013.html", True),
    (A, "https://amp.baolangson.vn/dua-nuoc-ve-ban-5000013.html", True),
    # AMP paths and parameters
    (A, "https://baolangson.vn/amp/dua-nuoc-ve-ban-5000013.html", True),
    (A, "https://baolangson.vn/dua-nuoc-ve-ban-5000013.amp.html", True),
    (A, A + "?amp", True),
    (A, A + "?amp=1", True),
    (A, A + "/amp", True),
    (A, A + "?outputType=amp", True),
    ("https://vnexpress.net/a-4700000.html", "https://vnexpress.net/a-4700000.html?amp_js_v=0.1&usqp=mq331AQ", True),
    # trackers
    (A, A + "?utm_source=zalo&utm_medium=social&utm_campaign=x", True),
    (A, A + "?zarsrc=30&gidzl=abcDEF", True),
    (A, A + "?fbclid=IwAR0abc", True),
    (A, A + "?gclid=Cj0KCQ&_gl=1*abc", True),
    ("https://baolangson.vn/tin?id=5", "https://baolangson.vn/tin?id=5&utm_campaign=a&fbclid=x", True),
    ("https://baolangson.vn/tin?id=5&cat=2", "https://baolangson.vn/tin?cat=2&id=5", True),
    # trailing slash and index pages
    ("https://baokhanhhoa.vn/xa-hoi/201803/a-8045123/", "https://baokhanhhoa.vn/xa-hoi/201803/a-8045123", True),
    ("https://baolangson.vn/chinh-tri/", "https://baolangson.vn/chinh-tri/index.html", True),
    ("https://baolangson.vn/", "https://baolangson.vn/index.php", True),
    ("https://baolangson.vn", "https://www.baolangson.vn/", True),
    # percent-encoding of Vietnamese characters
    ("https://baolangson.vn/tim-kiem?q=L%E1%BA%A1ng+S%C6%A1n", "https://baolangson.vn/tim-kiem?q=Lạng Sơn", True),
    # everything at once
    (A, "http://M.BaoLangSon.vn:80/amp/dua-nuoc-ve-ban-5000013.html?utm_source=fb&zarsrc=1#top", True),
    # different articles
    (A, "https://baolangson.vn/dua-nuoc-ve-ban-5000014.html", False),
    (A, "https://baolaocai.vn/dua-nuoc-ve-ban-5000013.html", False),
    ("https://baolangson.vn/tin?id=5", "https://baolangson.vn/tin?id=6", False),
    ("https://baolangson.vn/tin?id=5", "https://baolangson.vn/tin", False),
    ("https://baolangson.vn/Tin-A.html", "https://baolangson.vn/tin-a.html", False),  # paths are case-sensitive
    ("https://baolangson.vn/chinh-tri/", "https://baolangson.vn/kinh-te/", False),
    ("https://baolangson.vn/amp-vang-5000001.html", "https://baolangson.vn/vang-5000001.html", False),
    ("https://baolangson.vn/page=2", "https://baolangson.vn/page=3", False),
    ("https://langson.gov.vn/a-1.html", "https://baolangson.vn/a-1.html", False),
    ("https://baolangson.vn/xa-hoi?page=2", "https://baolangson.vn/xa-hoi?page=3", False),
]


def test_enough_cases():
    assert len(PAIRS) >= 30
    assert sum(1 for *_, same in PAIRS if not same) >= 8


@pytest.mark.parametrize(("a", "b", "same"), PAIRS)
def test_url_pairs(a, b, same):
    assert (url_key(a) == url_key(b)) is same, (identity_url(a), identity_url(b))


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://BaoLangSon.vn/a-1234567.html", "https://baolangson.vn/a-1234567.html"),
    ("http://m.baolangson.vn:80/amp/a-1.html?utm_source=x#c", "http://baolangson.vn/a-1.html"),
    ("https://baolangson.vn/a-1.amp.html?amp=1", "https://baolangson.vn/a-1.html"),
    ("https://baolangson.vn/tin?b=2&a=1&gidzl=x", "https://baolangson.vn/tin?a=1&b=2"),
    ("https://baolangson.vn/chinh-tri/index.html", "https://baolangson.vn/chinh-tri/"),
    ("https://www.baolangson.vn/a-1.html", "https://www.baolangson.vn/a-1.html"),  # www. kept without a preference
])
def test_canonical_form(url, canonical):
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(("url", "preferred", "canonical"), [
    ("https://www.baolangson.vn/a-1.html", "baolangson.vn", "https://baolangson.vn/a-1.html"),
    ("https://m.baolangson.vn/a-1.html", "www.baolangson.vn", "https://www.baolangson.vn/a-1.html"),
    ("https://baolangson.vn/a-1.html", "www.baolangson.vn", "https://www.baolangson.vn/a-1.html"),
    ("https://baolaocai.vn/a-1.html", "www.baolangson.vn", "https://baolaocai.vn/a-1.html"),  # other site untouched
])
def test_preferred_host(url, preferred, canonical):
    assert canonical_url(url, preferred_host=preferred) == canonical


@pytest.mark.parametrize(("fetched", "claimed", "chosen"), [
    (A + "?utm_source=x", A, A),
    ("https://m.baolangson.vn/a-1.html", "https://baolangson.vn/a-1-slug-moi.html", "https://baolangson.vn/a-1-slug-moi.html"),
    ("https://baolangson.vn/a-1.html", "/a-1-slug.html", "https://baolangson.vn/a-1-slug.html"),  # relative
    ("https://baolangson.vn/a-1.html", "https://www.baolangson.vn/a-1.html#x", "https://www.baolangson.vn/a-1.html"),
    ("https://baolangson.vn/a-1.html", None, "https://baolangson.vn/a-1.html"),
    ("https://baolangson.vn/a-1.html", "  ", "https://baolangson.vn/a-1.html"),
    ("https://baolangson.vn/a-1.html", "https://baomoi.com/a-99.epi", "https://baolangson.vn/a-1.html"),  # other site
    ("https://baolangson.vn/a-1.html", "https://baolangson.vn/", "https://baolangson.vn/a-1.html"),  # home-page bug
    ("https://baolangson.vn/a-1.html", "javascript:void(0)", "https://baolangson.vn/a-1.html"),
    ("https://baolangson.vn/", "https://baolangson.vn/", "https://baolangson.vn/"),
])
def test_choose_canonical(fetched, claimed, chosen):
    assert choose_canonical(fetched, claimed) == chosen


def test_choose_canonical_preferred_host():
    assert choose_canonical("https://m.baolangson.vn/a.html", "https://m.baolangson.vn/a.html",
                            preferred_host="baolangson.vn") == "https://baolangson.vn/a.html"

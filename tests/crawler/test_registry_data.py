"""The built-in registry's data: every province covered, patterns that match the
example URLs seen in research/outlets.md (and in the real captures) and reject
listing/home pages, and the mirrors' expected article sets matching the patterns."""

from __future__ import annotations

import json
import re

import pytest

from crawler.core.registry import BUILTIN_REGISTRY, load_file, load_registry
from crawler.mirror.server import SITES_DIR

PROVINCES_2025 = {
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa",
    "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ",
    "Bắc Ninh", "Hưng Yên", "Hải Phòng", "Ninh Bình", "Quảng Trị", "Đà Nẵng", "Quảng Ngãi",
    "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "TP Hồ Chí Minh", "Đồng Nai", "Tây Ninh",
    "Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
}

# (outlet key, URL): example article URLs from outlets.md (S18, S21, S24, S27) and from the
# real captures/copies used by the mirrors.
ARTICLES = [
    ("baolangson", "https://baolangson.vn/hanh-trinh-hoi-nhap-bat-dau-tu-ren-luyen-5071654.html"),
    ("baolangson", "https://baolangson.vn/uncategorized/dong-gop-y-kien-vao-du-thao-van-kien-trinh-dai-hoi-dang-bo-tinh-lan-thu-xvii/294324-loi-toa-soan.html"),
    ("baocaobang", "https://baocaobang.vn/Huong-vi-pho-chua-Cao-Bang-38371.html"),
    ("baocaobang", "https://baocaobang.vn/hoi-thi-dau-hot-chim-chao-mao-thanh-pho-mo-rong-nam-2023-3161421.html"),
    # outlets.md (S24) gives only the tail "...-c-a324941.html"; the slug head here is a stand-in.
    ("baoangiang", "https://baoangiang.com.vn/an-giang-c-a324941.html"),
    ("baolaocai", "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"),
    ("baocantho", "https://baocantho.com.vn/tap-trung-trien-khai-cac-dot-thanh-tra-kiem-tra-co-trong-tam-trong-diem-nhat-la-cac-linh-vuc-co-ng-a196670.html"),
    ("baokhanhhoa", "https://baokhanhhoa.vn/xa-hoi/201803/canh-bao-tinh-trang-chay-mia-8073017/"),
    ("baokhanhhoa", "https://baokhanhhoa.vn/the-thao/the-thao-trong-nuoc/201803/giai-bong-da-futsal-tinh-khanh-hoa-diem-nhan-dang-ghi-nhan-8072970/"),
    ("baokhanhhoa", "https://www.baokhanhhoa.vn/van-hoa/202103/tuong-niem-78-nam-ngay-mat-cua-bac-si-alexandre-yersin-8209043/"),
]
# (outlet key, URL) that are not articles: listings, feeds, home pages seen in the sources.
NOT_ARTICLES = [
    ("baocaobang", "https://baocaobang.vn/Thoi-su"),
    ("baocaobang", "https://baocaobang.vn/rss/home.rss"),
    ("baoangiang", "https://baoangiang.com.vn/An-Giang-24-Gio/thoi-su"),
    ("baocantho", "https://baocantho.com.vn/thoi-su/"),
    ("baocantho", "https://baocantho.com.vn/thoi-su?p=2"),
    ("baocantho", "https://baocantho.com.vn/rss/cate/thoi-su/"),
    ("baocantho", "https://baocantho.com.vn/rao-vat-bang-gia-quang-cao-tren-bao-dien-tu-trang-tieng-viet-495.html"),
    ("baolaocai", "https://baolaocai.vn/review-lao-cai/"),
    ("baolaocai", "https://baolaocai.vn/tu-khoa/thieu-ta-doan-thi-hanh-tag40212.html"),
    ("baokhanhhoa", "https://baokhanhhoa.vn/xa-hoi/"),
    ("baokhanhhoa", "https://baokhanhhoa.vn/index.rss"),
    ("baolangson", "https://baolangson.vn/chinh-tri"),
]
MIRRORED = {"baocaobang": "baocaobang.vn", "baokhanhhoa": "baokhanhhoa.vn",
            "baolaocai": "baolaocai.vn", "baocantho": "baocantho.com.vn"}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_keys_unique_in_the_file():
    keys = [o.key for o in load_file(BUILTIN_REGISTRY)]
    assert len(keys) == len(set(keys))


def test_every_2025_province_has_an_outlet(registry):
    provinces = {o.province for o in registry.values()}
    assert provinces == PROVINCES_2025
    assert len(PROVINCES_2025) == 34


def test_every_outlet_in_vietnam_time_and_unverified(registry):
    for outlet in registry.values():
        assert outlet.timezone == "Asia/Ho_Chi_Minh", outlet.key
        assert outlet.verified is False, outlet.key


def test_absorbed_outlets_say_where_they_came_from(registry):
    for key in ("baobinhduong", "baohaugiang", "dongkhoi_baovinhlong", "travinh_baovinhlong"):
        assert registry[key].former_province, key
    assert registry["dongkhoi_baovinhlong"].outlet_type == "subsite"
    assert registry["travinh_baovinhlong"].outlet_type == "subsite"


@pytest.mark.parametrize(("key", "url"), ARTICLES)
def test_example_article_urls_match(registry, key, url):
    assert registry[key].is_article_url(url)


@pytest.mark.parametrize(("key", "url"), NOT_ARTICLES)
def test_listing_feed_and_home_urls_do_not_match(registry, key, url):
    assert not registry[key].is_article_url(url)


def test_no_pattern_matches_any_home_or_listing_page(registry):
    for outlet in registry.values():
        assert not outlet.is_article_url(outlet.base_url), outlet.key
        assert not outlet.is_article_url(outlet.base_url + "/"), outlet.key
        for listing in outlet.listings:
            assert not outlet.is_article_url(listing.url), (outlet.key, listing.url)
        for url in outlet.feeds + outlet.sitemaps:
            assert not outlet.is_article_url(url), (outlet.key, url)


def test_route_hosts_are_the_outlets_own(registry):
    for outlet in registry.values():
        hosts = {outlet.host, *outlet.legacy_domains}
        for url in outlet.feeds + outlet.sitemaps + [lst.url for lst in outlet.listings]:
            host = re.sub(r"^https?://([^/]+).*$", r"\1", url)
            assert host in hosts or host.removeprefix("www.") in hosts, (outlet.key, url)


@pytest.mark.parametrize("key", sorted(MIRRORED))
def test_mirror_expected_sets_are_articles_of_the_outlet(registry, key):
    expected = json.loads((SITES_DIR / MIRRORED[key] / "expected.json").read_text(encoding="utf-8"))
    assert len(expected["all"]) >= 8
    assert set(expected["all"]) == set(expected["feed"]) | set(expected["sitemap"]) | set(expected["listing"])
    for url in expected["all"]:
        assert registry[key].is_article_url(url), url
    # Each route the registry lists for the outlet has articles in the mirror.
    outlet = registry[key]
    assert bool(outlet.feeds) == bool(expected["feed"])
    assert bool(outlet.sitemaps) == bool(expected["sitemap"])
    assert bool(outlet.listings) == bool(expected["listing"])

"""Generic byline and dateline rules (issue 13): no outlet's list, the same rule for every page."""

from __future__ import annotations

import pytest

from crawler.extraction.vitext import (
    clean_authors,
    is_caps_byline,
    parse_byline,
    strip_dateline,
)


@pytest.mark.parametrize(("byline", "names", "agencies"), [
    ("By Jane Doe", ["Jane Doe"], []),
    ("Von: Anna Muster", ["Anna Muster"], []),
    ("Jane Doe and John Roe", ["Jane Doe", "John Roe"], []),
    ("Anna Muster und Max Meier", ["Anna Muster", "Max Meier"], []),
    ("Anna Muster (amu)", ["Anna Muster"], []),
    ("Max Meier/dpa", ["Max Meier"], ["dpa"]),
    ("Jean Dupont, AFP", ["Jean Dupont"], ["AFP"]),
    ("Reuters", [], ["Reuters"]),
    ("Bài và ảnh: Minh Anh", ["Minh Anh"], []),
    ("PV Hoàng Lan", ["Hoàng Lan"], []),
    ("CTV Thu Hà", ["Thu Hà"], []),
    ("Nhóm PV", ["Nhóm PV"], []),
    ("Minh Anh - Hoàng Hà", ["Minh Anh", "Hoàng Hà"], []),
    ("Y Moan", ["Y Moan"], []),  # "Y" starts Ê Đê names; only a lower-case "y" joins two
    ("Tâm HằngTTXVN", ["Tâm Hằng"], ["TTXVN"]),  # two inline elements read without a space
    ("NGUYỄN VĂN A", ["NGUYỄN VĂN A"], []),  # capitals are no glued acronym
    ("Theo Phạm Trường", ["Phạm Trường"], []),  # "according to" before a Vietnamese name
    ("Theo Walcott", ["Theo Walcott"], []),  # ... and a given name elsewhere
    ("Tin, ảnh: P.Y", ["P.Y"], []),
    ("TIN MỚI", ["TIN MỚI"], []),  # "Tin" is a credit only with its colon
])
def test_parse_byline(byline: str, names: list[str], agencies: list[str]) -> None:
    assert parse_byline(byline) == (names, agencies)


def test_a_news_agency_as_author_becomes_the_attribution() -> None:
    assert clean_authors(["TTXVN"]) == ([], "TTXVN")
    assert clean_authors(["Thu Hà", "VOV"]) == (["Thu Hà"], "VOV")


@pytest.mark.parametrize(("name", "sites"), [
    ("The Guardian", ["www.theguardian.com"]),
    ("Báo Nghệ An", ["baonghean.vn"]),
    ("Baonghean", ["baonghean.vn"]),
    ("Tuổi Trẻ Online", ["Tuổi Trẻ Online"]),
    ("Dân trí", ["Báo điện tử Dân trí", "dantri.com.vn"]),  # the domain, accents aside
])
def test_the_outlet_is_never_an_author(name: str, sites: list[str]) -> None:
    assert clean_authors([name], sites) == ([], None)


def test_box_labels_public_bodies_and_joined_names_are_no_authors() -> None:
    assert clean_authors(["TIN MỚI", "HOT", "Theo Bảo hiểm xã hội TP Hà Nội", "Huỳnh Duy"]) == (["Huỳnh Duy"], None)
    # A two-author block read whole, beside each author on their own.
    assert clean_authors(["Trần Nghị", "Đức Hoàng", "Trần Nghị Đức Hoàng"]) == (["Trần Nghị", "Đức Hoàng"], None)


def test_a_person_is_kept_and_deduplicated() -> None:
    assert clean_authors(["By Jane Doe", "jane doe", "John Roe"], ["example.com"]) == (["Jane Doe", "John Roe"], None)


@pytest.mark.parametrize(("lead", "expected"), [
    ("(Baonghean.vn) - Sáng nay, tỉnh họp.", "Sáng nay, tỉnh họp."),
    ("TPO - Chiều 3/12, mưa lớn.", "Chiều 3/12, mưa lớn."),
    ("VOV.VN - Sáng nay, Quốc hội họp.", "Sáng nay, Quốc hội họp."),
    ("(NLĐO) - Ngày 2/12, công an bắt.", "Ngày 2/12, công an bắt."),
    ("(Dân trí) - Ngày 2/12, trời rét.", "Ngày 2/12, trời rét."),
    ("Thanhnien.vn - Một người đàn ông.", "Một người đàn ông."),
    ("Hà Nội - thủ đô của Việt Nam.", "Hà Nội - thủ đô của Việt Nam."),  # a sentence, not a tag
    ("(ảnh minh họa) - x", "(ảnh minh họa) - x"),
])
def test_datelines_of_any_outlet_go_by_pattern(lead: str, expected: str) -> None:
    assert strip_dateline(lead) == expected


def test_a_shouted_link_is_not_a_byline() -> None:
    assert is_caps_byline("PHÙNG KHIÊM")
    assert is_caps_byline("MINH ANH - HOÀNG HÀ")
    assert not is_caps_byline("CLICK FOR FULL STATE SWIM RESULTS")

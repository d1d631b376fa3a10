import unicodedata

import pytest

from storage.search import (
    MAX_NEEDLES,
    MAX_PHRASE_TOKENS,
    MAX_TERMS,
    fold,
    fts5_match,
    parse_query,
)
from storage.search_query import (
    APART,
    NEAR,
    PAIR,
    PHRASE,
    SEQUENCE,
    WORD,
    WORDS,
    Needle,
    tsquery_text,
)
from storage.textfold import tone_spellings

FOLD_CASES = [
    ("Lạng Sơn", "lang son"),
    ("Đà Nẵng", "da nang"),
    ("đường", "duong"),
    ("ĐƯỜNG ĐÊ", "duong de"),
    ("Khánh Hòa", "khanh hoa"),  # old tone placement
    ("Khánh Hoà", "khanh hoa"),  # new tone placement folds the same
    (unicodedata.normalize("NFD", "Quảng Ninh"), "quang ninh"),  # decomposed input
    ("  Cần   Thơ\n\tnăm 2025 ", "can tho nam 2025"),
    ("Thừa Thiên Huế", "thua thien hue"),
    ("Bà Rịa – Vũng Tàu", "ba ria – vung tau"),  # punctuation kept, only marks go
    ("Ỷ Lan, Ữ, Ỵ", "y lan, u, y"),
    ("", ""),
    ("COVID-19", "covid-19"),
]


@pytest.mark.parametrize(("raw", "folded"), FOLD_CASES)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_is_idempotent() -> None:
    for raw, _ in FOLD_CASES:
        assert fold(fold(raw)) == fold(raw)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("Lạng Sơn", '(("lang" AND "son"))'),
        ('"Lạng Sơn" mưa', '(("lang son") AND ("mua"))'),
        ('"Lạng', '(("lang"))'),  # stray quote is punctuation
        ("NEAR(a b)", '(("near" AND "a" AND "b"))'),  # NEAR is a word
        ('a" OR "b', '(("a") AND ("or") AND ("b"))'),  # a quoted OR is a word
        ("a OR b", '(("a")) OR (("b"))'),
        ("a or b", '(("a" AND "or" AND "b"))'),  # only upper-case OR is the operator
        ("-mưa *", ""),  # nothing to search for
        ("Huế -mưa", '((("hue")) NOT ("mua"))'),
        ('Huế -"mưa lũ"', '((("hue")) NOT ("mua lu"))'),
        ("sạt-lở", '(("sat" AND "lo"))'),  # a hyphen inside a word excludes nothing
        ("title:Huế", '(("title" AND "hue"))'),
        ("!!! ... ---", ""),
    ],
)
def test_fts5_match_is_always_literal(raw: str, match: str) -> None:
    assert fts5_match(parse_query(raw)) == match


def test_tiers_of_an_unquoted_run() -> None:
    query = parse_query("cửa khẩu")
    assert fts5_match(query, PHRASE) == '(("cua khau"))'
    assert fts5_match(query, NEAR) == '((NEAR("cua" "khau", 5)))'
    assert fts5_match(query, APART) == '(("cua" AND "khau"))'
    three = parse_query("mưa lũ lớn")
    assert fts5_match(three, PAIR) == '((("mua" AND "lu" AND "lon") AND ("mua lu" OR "lu lon")))'
    assert tsquery_text(query, PHRASE) == "(('cua' <-> 'khau'))"


def test_only_exclusions_is_flagged() -> None:
    assert parse_query("-mưa").only_excluded
    assert parse_query("-mưa").empty
    assert not parse_query("mưa").only_excluded


def test_needles_only_for_words_with_diacritics() -> None:
    assert parse_query("Khánh hoa").needles == [
        Needle(SEQUENCE, 0, (["khánh hoa"], ["khanh hoa"])), Needle(WORDS, 0, (["khánh", "hoa"], ["khanh hoa"])),
        Needle(WORD, -1, (["khánh"],))]
    assert parse_query("lũ").needles == [Needle(SEQUENCE, 0, (["lũ"],)), Needle(WORDS, 0, (["lũ"],))]
    assert parse_query("da nang").needles == []


def test_huge_queries_are_capped() -> None:
    parsed = parse_query(" ".join(f"từ{i}" for i in range(2000)) + ' "' + "a b " * 500 + '"')
    assert len(parsed.terms) <= MAX_TERMS
    assert len(parsed.needles) <= MAX_NEEDLES
    assert all(len(u.tokens) <= MAX_PHRASE_TOKENS for u in parse_query('"' + "a b " * 500 + '"').units)


def test_tone_spellings_cover_both_places_of_the_mark() -> None:
    assert tone_spellings("khánh hòa") == ["khánh hòa", "khánh hoà"]
    assert sorted(tone_spellings("thuỷ hoà")) == sorted(["thuỷ hoà", "thuỷ hòa", "thủy hoà", "thủy hòa"])
    assert tone_spellings("lạng sơn") == ["lạng sơn"]
    assert len(tone_spellings("hoà " * 9)) == 2 ** 4  # capped

import unicodedata

import pytest

from storage.search import (
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
    EXACT,
    HEAD,
    MARKED,
    fts5_head,
    spellings,
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


def test_each_index_reads_its_own_spelling() -> None:
    unit = parse_query("Khánh Hòa").units[0]
    # As typed in both tone placements, then with no marks at all ("Khanh Hoa" in an English text).
    assert spellings(unit, EXACT) == [("khánh", "hòa"), ("khánh", "hoà"), ("khanh", "hoa")]
    assert spellings(unit, MARKED) == [("khánh", "hòa"), ("khánh", "hoà")]
    assert spellings(parse_query("lũ").units[0], EXACT) == [("lũ",)]  # one word: no unmarked spelling
    # unicode61 folds every mark but đ's: the head index is asked for both.
    assert spellings(parse_query("Đà Nẵng").units[0], HEAD) == [("da", "nang"), ("đa", "nang")]
    assert fts5_head(parse_query("Đà Nẵng").units[0], "title") == '{title} : ("da nang" OR "đa nang")'


def test_exact_tiers_never_hold_the_exclusions() -> None:
    # An exclusion is folded: the exact index cannot read it, search applies it on the folded one.
    query = parse_query("cửa khẩu -hàng")
    assert fts5_match(query, PHRASE, EXACT) == '((("cửa khẩu") OR ("cua khau")))'
    assert fts5_match(query, PHRASE) == '((("cua khau")) NOT ("hang"))'


def test_huge_queries_are_capped() -> None:
    parsed = parse_query(" ".join(f"từ{i}" for i in range(2000)) + ' "' + "a b " * 500 + '"')
    assert len(parsed.terms) <= MAX_TERMS
    assert all(len(u.tokens) <= MAX_PHRASE_TOKENS for u in parse_query('"' + "a b " * 500 + '"').units)


def test_tone_spellings_cover_both_places_of_the_mark() -> None:
    assert tone_spellings("khánh hòa") == ["khánh hòa", "khánh hoà"]
    assert sorted(tone_spellings("thuỷ hoà")) == sorted(["thuỷ hoà", "thuỷ hòa", "thủy hoà", "thủy hòa"])
    assert tone_spellings("lạng sơn") == ["lạng sơn"]
    assert len(tone_spellings("hoà " * 9)) == 2 ** 4  # capped

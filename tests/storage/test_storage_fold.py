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
        ("Lạng Sơn", '"lang" "son"'),
        ('"Lạng Sơn" mưa', '"lang son" "mua"'),
        ('"Lạng', '"lang"'),  # stray quote is punctuation
        ("NEAR(a b)", '"near" "a" "b"'),
        ('a" OR "b', '"a" "b" "or"'),  # the quoted " OR " is a one-word phrase, i.e. a token
        ("mưa mưa MƯA", '"mua"'),  # repeats add nothing to an AND query
        ("-mưa *", '"mua"'),
        ("title:Huế", '"title" "hue"'),
        ("!!! ... ---", ""),
    ],
)
def test_fts5_match_is_always_literal(raw: str, match: str) -> None:
    assert fts5_match(parse_query(raw)) == match


def test_needles_only_for_words_with_diacritics() -> None:
    assert parse_query("Khánh hoa").needles == ["khánh"]
    assert parse_query('"Đà Nẵng" da').needles == ["đà nẵng"]


def test_huge_queries_are_capped() -> None:
    parsed = parse_query(" ".join(f"từ{i}" for i in range(2000)) + ' "' + "a b " * 500 + '"')
    assert len(parsed.tokens) + len(parsed.phrases) <= MAX_TERMS
    assert len(parsed.needles) <= MAX_NEEDLES
    assert all(len(p) <= MAX_PHRASE_TOKENS for p in parse_query('"' + "a b " * 500 + '"').phrases)

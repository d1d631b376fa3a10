"""Table-driven search tests over a small Vietnamese corpus, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from crawler.core.record import ArticleRecord, content_hash
from storage import Database, make_url_key, open_database, search, upsert_article
from storage.search import fold, make_snippet
from tests.storage.conftest import BACKENDS, backend_url

VN = timezone(timedelta(hours=7))

# key: (outlet, published (+07:00), title, text)
CORPUS: dict[str, tuple[str, datetime, str, str]] = {
    "saclo": (
        "baolangson", datetime(2025, 7, 1, 8, 0, tzinfo=VN),
        "Lạng Sơn: Mưa lớn gây sạt lở tại huyện Cao Lộc",
        "Mưa lớn kéo dài khiến nhiều tuyến đường ở tỉnh Lạng Sơn bị sạt lở, nước lũ dâng cao.",
    ),
    "cuakhau": (
        "baolangson", datetime(2025, 7, 3, 23, 30, tzinfo=VN),  # 16:30 UTC, still July 3rd here
        "Cửa khẩu Hữu Nghị thông quan trở lại",
        "Hoạt động xuất nhập khẩu qua cửa khẩu Hữu Nghị, Lạng Sơn, đã bình thường sau mưa lũ.",
    ),
    "dulich": (
        "baodanang", datetime(2025, 7, 2, 10, 0, tzinfo=VN),
        "Đà Nẵng đón khách du lịch quốc tế",
        "Thành phố Đà Nẵng đón hơn một triệu lượt khách quốc tế. Bãi biển Mỹ Khê luôn đông đúc.",
    ),
    "hoian": (
        "baodanang", datetime(2025, 7, 4, 0, 30, tzinfo=VN),  # July 3rd in UTC, July 4th here
        "Hội An và Đà Nẵng liên kết phát triển du lịch",
        "Hai địa phương ký kết chương trình liên kết du lịch giai đoạn mới.",
    ),
    "english": (
        "baodanang", datetime(2025, 7, 5, 9, 0, tzinfo=VN),
        "Da Nang fireworks festival",
        "The Da Nang fireworks festival returns; Da Nang expects visitors near the river.",
    ),
    "hoa_old": (
        "baokhanhhoa", datetime(2025, 6, 30, 7, 0, tzinfo=VN),
        "Khánh Hòa phát triển kinh tế biển",
        "Tỉnh Khánh Hòa đầu tư hạ tầng cảng biển.",
    ),
    "hoa_new": (
        "baokhanhhoa", datetime(2025, 6, 29, 7, 0, tzinfo=VN),
        "Khánh Hoà mở rộng cảng Cam Ranh",
        "Cảng Cam Ranh ở Khánh Hoà được mở rộng.",
    ),
    "bao_qn": (
        "baoquangninh", datetime(2025, 7, 6, 6, 0, tzinfo=VN),
        "Bão số 3 đổ bộ",
        "Bão số 3 đổ bộ vào Quảng Ninh và Hải Phòng.",
    ),
    "bao_hp": (
        "baohaiphong", datetime(2025, 7, 6, 5, 0, tzinfo=VN),
        "Bão số 3 đổ bộ",
        "Bão số 3 đổ bộ vào Quảng Ninh và Hải Phòng.",
    ),
}

SEARCH_CASES: list[tuple[str, dict[str, object], set[str]]] = [
    ("lang son", {}, {"saclo", "cuakhau"}),
    ("Lạng Sơn", {}, {"saclo", "cuakhau"}),
    ("LẠNG SƠN", {}, {"saclo", "cuakhau"}),
    ("da nang", {}, {"dulich", "hoian", "english"}),
    ("Đà Nẵng", {}, {"dulich", "hoian", "english"}),
    ("khanh hoa", {}, {"hoa_old", "hoa_new"}),
    ("Khánh Hoà", {}, {"hoa_old", "hoa_new"}),
    ("mưa lũ", {}, {"cuakhau"}),  # held together somewhere: "saclo", with the words apart, is left out
    ("lũ mưa", {}, {"cuakhau"}),  # near, in either order
    ("Lạng Sơn mưa lớn", {}, {"saclo"}),  # "lạng sơn" and "mưa lớn": adjacent pairs
    ('"mưa lũ"', {}, {"cuakhau"}),  # phrase: adjacent, in order
    ('"lũ mưa"', {}, set()),
    ('"Hữu Nghị" thông quan', {}, {"cuakhau"}),
    ('"Lạng Sơn', {}, {"saclo", "cuakhau"}),  # unbalanced quote
    ("du lịch", {"outlet": "baodanang"}, {"dulich", "hoian"}),
    ("du lịch", {"outlet": "baolangson"}, set()),
    ("đà nẵng", {"since": date(2025, 7, 4)}, {"hoian", "english"}),  # 00:30 +07:00 counts as July 4th
    ("đà nẵng", {"until": date(2025, 7, 3)}, {"dulich"}),
    ("lạng sơn", {"until": date(2025, 7, 3)}, {"saclo", "cuakhau"}),  # 23:30 +07:00 is still July 3rd
    ("lạng sơn", {"since": date(2025, 7, 2), "until": date(2025, 7, 3)}, {"cuakhau"}),
    ("near", {}, {"english"}),
    ("NEAR", {}, {"english"}),
    ("Lạng NEAR Sơn", {}, set()),  # NEAR is a word, not an operator
    ('Lạng Sơn"', {}, {"saclo", "cuakhau"}),
    ("lạng*", {}, {"saclo", "cuakhau"}),  # no prefix syntax: "*" is punctuation
    ("-mưa", {}, set()),  # exclusions alone search nothing
    ("lạng sơn -sạt", {}, {"cuakhau"}),
    ('đà nẵng -"hội an"', {}, {"dulich", "english"}),
    ("Mỹ Khê OR Cam Ranh", {}, {"dulich", "hoa_new"}),
    ("sạt-lở", {}, {"saclo"}),
    ("(Lạng: Sơn)", {}, {"saclo", "cuakhau"}),
    ("title:Lạng", {}, set()),  # no column filter syntax
    ("Lạng OR Nẵng", {}, {"saclo", "cuakhau", "dulich", "hoian", "english"}),
    ("lạng or nẵng", {}, set()),  # lower-case "or" is a word
    ("***", {}, set()),
    ('""', {}, set()),
    ("!?;:-()", {}, set()),
    ("   ", {}, set()),
    ("Mỹ Khê", {}, {"dulich"}),
    ("bao so 3", {}, {"bao_qn", "bao_hp"}),
]


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    urls = backend_url(request.param, tmp_path_factory.mktemp("search"))
    db = open_database(next(urls))
    with db.session() as session, session.begin():
        for key, (outlet, published, title, text) in CORPUS.items():
            url = f"https://{outlet}.vn/{key}.html"
            record = ArticleRecord(
                url=url, outlet=outlet, title=title, text=text,
                published_at=published, content_hash=content_hash(text),
            )
            upsert_article(session, record, make_url_key(url), [])
    yield db
    db.close()
    urls.close()  # drops the PostgreSQL schema


def keys(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.url.rsplit("/", 1)[1].removesuffix(".html") for hit in hits]


@pytest.mark.parametrize(("query", "filters", "expected"), SEARCH_CASES)
def test_search(corpus_db: Database, query: str, filters: dict[str, object], expected: set[str]) -> None:
    with corpus_db.read_session() as session:
        assert set(keys(search(session, query, **filters))) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        "Lạng " * 2000,
        '"' * 10_000,
        ("NEAR(" + "*" * 5 + '"-:') * 1000,
        '"' + "mưa lũ " * 1400 + '"',
        " ".join(f"Lạng{i}" for i in range(1500)),
    ],
    ids=["repeated-word", "quotes", "operators", "long-phrase", "distinct-words"],
)
def test_hostile_long_queries_do_not_raise(corpus_db: Database, query: str) -> None:
    assert len(query) >= 9_000
    with corpus_db.read_session() as session:
        hits = search(session, query)
    assert isinstance(hits, list)


def test_exact_diacritics_rank_first(corpus_db: Database) -> None:
    with corpus_db.read_session() as session:
        # "english" repeats "Da Nang" three times and is the newest; it holds the words
        # without marks, so it is listed, after the two spelled "Đà Nẵng".
        assert keys(search(session, "Đà Nẵng"))[-1] == "english"
        # The old and new tone places spell one word: both count as typed; newest first.
        assert keys(search(session, "Khánh Hòa")) == keys(search(session, "Khánh Hoà")) == ["hoa_old", "hoa_new"]
        # Without diacritics there is no exact boost: the title, then the newest.
        assert keys(search(session, "da nang"))[0] == "english"


def test_words_that_only_fold_onto_the_query_are_a_fallback(corpus_db: Database) -> None:
    with corpus_db.read_session() as session:
        # "Mỹ Khê" as typed is in "dulich"; nothing else holds "my khe".
        assert keys(search(session, "Mỹ Khê")) == ["dulich"]
        # Typed with other marks, nothing holds it: the folded matches come, flagged.
        loose = search(session, "Mý Khề")
        assert keys(loose) == ["dulich"] and loose.loose
        assert not search(session, "Mỹ Khê").loose


def test_equal_relevance_newest_first(corpus_db: Database) -> None:
    with corpus_db.read_session() as session:
        assert keys(search(session, "bão số 3")) == ["bao_qn", "bao_hp"]


def test_limit_and_hit_fields(corpus_db: Database) -> None:
    with corpus_db.read_session() as session:
        hits = search(session, "lang son", limit=1)
        assert len(hits) == 1
        assert search(session, "lang son", limit=0) == []
        hit = search(session, "cửa khẩu", outlet="baolangson")[0]
    assert hit.outlet == "baolangson"
    assert hit.title == "Cửa khẩu Hữu Nghị thông quan trở lại"
    assert hit.published_at is not None and hit.published_at.isoformat() == "2025-07-03T23:30:00+07:00"
    assert hit.highlights
    for start, end in hit.highlights:
        assert fold(hit.snippet[start:end]) in {"cua", "khau"}
    assert "[cửa] [khẩu]" in hit.marked()


def test_snippet_windows_around_first_match() -> None:
    text = "Mở đầu. " * 60 + "Tỉnh Lạng Sơn có mưa lớn." + " Kết thúc." * 60
    snippet, spans = make_snippet(text, ["lang", "son"], width=80)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert [snippet[s:e] for s, e in spans] == ["Lạng", "Sơn"]
    assert len(snippet) <= 82


def test_snippet_without_match_starts_at_text_start() -> None:
    snippet, spans = make_snippet("Một câu ngắn.", ["khong"])
    assert (snippet, spans) == ("Một câu ngắn.", [])


def test_snippet_matches_whole_words_only() -> None:
    _, spans = make_snippet("Sơn La và Lạng Sơn", ["la"])
    assert spans == [(4, 6)]

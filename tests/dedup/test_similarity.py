"""Near-duplicate detection: signatures, the labelled set, and the SQL band index."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crawler.core import similarity as sim
from storage import signatures
from tests.dedup.corpus import BOILERPLATE, build, pairs
from tests.storage.conftest import postgres_base_url

LONG = build({"text": "bls-5000001"})
OTHER = build({"text": "blc-404649"})


# --- pure functions --------------------------------------------------------------

def test_tokens_fold_case_diacritics_and_tone_placement():
    assert sim.tokens("Đường HOÁ, thuỷ-lợi") == sim.tokens("đường hóa thủy lợi") == ["duong", "hoa", "thuy", "loi"]
    assert sim.tokens(unicodedata.normalize("NFD", "Lạng Sơn")) == sim.tokens("Lạng Sơn") == ["lang", "son"]


def test_signature_shape_and_determinism():
    sig = sim.signature(LONG)
    assert len(sig) == sim.NUM_PERM and all(0 <= v < 2**32 for v in sig)
    assert sig == sim.signature(LONG)
    assert sim.signature("") == [] and sim.signature(" ,. ") == []
    assert sim.estimate_similarity(sig, sig) == 1.0
    assert sim.estimate_similarity(sig, sim.signature(OTHER)) < 0.1
    assert sim.unpack(sim.pack(sig)) == sig


def test_bands():
    pairs_ = sim.bands(sim.signature(LONG))
    assert [b for b, _ in pairs_] == list(range(sim.BANDS))
    assert all(-(2**63) <= h < 2**63 for _, h in pairs_)
    with pytest.raises(ValueError):
        sim.bands([1, 2, 3])


def test_estimate_tracks_exact_jaccard():
    for pair in pairs()[:40]:
        exact = sim.jaccard(pair.a, pair.b)
        estimate = sim.estimate_similarity(sim.signature(pair.a), sim.signature(pair.b))
        assert abs(exact - estimate) < 0.2  # 120 permutations: sd <= 0.046


def test_word_diff():
    old = "Chiều nay (11/9), Đoàn Kiểm tra số 721 làm việc với tỉnh.\nĐoàn ghi nhận kết quả."
    new = "LSO-Chiều nay (11/9), Đoàn Kiểm tra số 721 đã làm việc với tỉnh.\nĐoàn ghi nhận kết quả."
    diff = sim.word_diff(old, new)
    assert diff.splitlines() == [
        "@@ -1,13 +1,14 @@", "-Chiều", "+LSO-Chiều", " nay (11/9), Đoàn Kiểm tra số 721", "+đã",
        " làm việc với tỉnh. ¶",
    ]
    assert sim.word_diff(old, old) == ""
    assert sim.word_diff(old, " ".join(old.split(" "))) == ""
    long_diff = sim.word_diff(LONG, build({"text": "bls-5000001", "ops": [["cut", 3]]}))
    assert long_diff.startswith("@@") and len(long_diff) < len(LONG) / 2


# --- the labelled set ------------------------------------------------------------

def test_labelled_set_size():
    ps = pairs()
    assert len(ps) >= 60
    kinds = {p.kind for p in ps}
    assert {"exact", "dateline", "edit-cut", "edit-add", "same-topic", "same-template"} <= kinds


def test_precision_recall_at_default_threshold():
    tp = fp = fn = 0
    for p in pairs():
        predicted = sim.estimate_similarity(sim.signature(p.a), sim.signature(p.b)) >= sim.DEFAULT_THRESHOLD
        tp += predicted and p.same
        fp += predicted and not p.same
        fn += (not predicted) and p.same
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


# --- SQL -------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'sim.db'}")
        signatures.create_tables(eng)
        yield eng
        eng.dispose()
        return
    base = postgres_base_url("PostgreSQL similarity tests skipped")
    schema = f"provnews_sim_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = create_engine(url)
    signatures.create_tables(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_tables_and_band_index(engine):
    insp = inspect(engine)
    assert {"signatures", "signature_bands"} <= set(insp.get_table_names())
    assert insp.get_pk_constraint("signature_bands")["constrained_columns"] == ["band", "hash", "article_id"]


def test_assign_story_groups_copies(engine):
    dateline = build({"text": "bls-5000001", "ops": [["dateline", "(TTXVN) - "], ["byline", "Theo TTXVN"]]})
    cut = build({"text": "bls-5000001", "ops": [["cut", 3]]})
    with Session(engine) as session, session.begin():
        assert signatures.assign_story(session, 1, LONG) == 1  # founds a story
        assert signatures.assign_story(session, 2, OTHER) == 2
        assert signatures.assign_story(session, 3, dateline) == 1
        assert signatures.assign_story(session, 4, cut) == 1
        assert signatures.assign_story(session, 5, build({"text": "bls-5000002"})) == 5
        assert signatures.story_of(session, 3) == 1
        assert signatures.find_candidates(session, sim.bands(sim.signature(LONG)))[:1] in ([1], [3], [4])
        n = session.scalar(select(func.count()).select_from(signatures.signature_bands))
        assert n == 5 * sim.BANDS


def test_assign_story_is_idempotent_and_follows_revisions(engine):
    with Session(engine) as session, session.begin():
        assert signatures.assign_story(session, 1, LONG) == 1
        assert signatures.assign_story(session, 1, LONG) == 1
        assert signatures.assign_story(session, 2, OTHER) == 2
        # article 2 is revised into a copy of article 1: it joins story 1, old bands gone
        assert signatures.assign_story(session, 2, LONG) == 1
        assert session.scalar(select(func.count()).select_from(signatures.signatures)) == 2
        assert session.scalar(select(func.count()).select_from(signatures.signature_bands)) == 2 * sim.BANDS


def test_short_texts_get_no_story(engine):
    with Session(engine) as session, session.begin():
        assert signatures.assign_story(session, 1, "") is None
        assert signatures.assign_story(session, 2, "Lạng Sơn") is None
        assert signatures.assign_story(session, 3, build({"text": "bls-5000009"})) is None  # 29 words
        assert session.scalar(select(func.count()).select_from(signatures.signatures)) == 0


def test_boilerplate_with_empty_body_is_never_merged(engine):
    footer = "\n".join(BOILERPLATE["baolangson.vn"])
    with Session(engine) as session, session.begin():
        # Told what the template is, an empty body is too short to sign.
        assert signatures.assign_story(session, 1, footer, ignore=BOILERPLATE["baolangson.vn"]) is None
        assert signatures.assign_story(session, 2, footer, ignore=BOILERPLATE["baolangson.vn"]) is None
        # Two different bodies in the same template stay apart even when not told.
        a = build({"text": "bls-5000016", "ops": [["boilerplate", "baolangson.vn"]]})
        b = build({"text": "bls-5000017", "ops": [["boilerplate", "baolangson.vn"]]})
        assert signatures.assign_story(session, 3, a) == 3
        assert signatures.assign_story(session, 4, b) == 4


def test_labelled_set_through_the_database(engine):
    """Every pair stored in one database: copies share a story, the rest do not."""
    wrong = []
    with Session(engine) as session, session.begin():
        for n, p in enumerate(pairs()):
            session.execute(signatures.signatures.delete())
            session.execute(signatures.signature_bands.delete())
            first = signatures.assign_story(session, 2 * n + 1, p.a)
            second = signatures.assign_story(session, 2 * n + 2, p.b)
            if (first == second) is not p.same:
                wrong.append((p.kind, p.note))
    assert len(wrong) <= 3, wrong


def test_signatures_are_pinned():
    """Stored signatures must stay comparable: a change here means re-signing every article."""
    sig = sim.signature(build({"text": "bls-5000029"}))
    assert sig[:4] == [1001131980, 3163803121, 711642897, 716405020]
    assert sim.bands(sig)[0] == (0, -1460556301900310140)

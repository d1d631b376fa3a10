"""storage.entrypoints: validators of feeds, sitemaps and listing pages, and hosts that lose trust."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import entrypoints
from storage.models import EntryPoint, HostPolicy

FEED = "https://baothu.example/rss.xml"
LM = "Mon, 01 Jul 2025 08:00:00 GMT"


def record(session: Session, body: bytes, etag: str | None = '"a"', modified: str | None = LM,
           key: str = "feed", mirror: bool = False) -> str | None:
    with session.begin():
        return entrypoints.record_fetch(session, key, FEED, "baothu", "feed", etag, modified, body, mirror)


def row(session: Session, key: str = "feed") -> EntryPoint:
    with session.begin():
        return session.get(EntryPoint, key, populate_existing=True)


def test_a_fetch_is_recorded_and_loaded_back(session: Session) -> None:
    assert record(session, b"<rss/>") is None
    with session.begin():
        stored = entrypoints.load(session, "baothu", False)
        assert entrypoints.load(session, "other", False) == {}
    assert set(stored) == {"feed"}
    assert (stored["feed"].url, stored["feed"].etag, stored["feed"].last_modified) == (FEED, '"a"', LM)
    assert stored["feed"].fetched_at is not None and stored["feed"].fetched_at.tzinfo is not None
    assert row(session).body_hash == entrypoints.body_hash(b"<rss/>")


def test_changed_at_moves_only_when_the_body_hash_changes(session: Session) -> None:
    record(session, b"one")
    first = row(session)
    first_changed, first_fetched = first.changed_at, first.fetched_at
    record(session, b"one")
    again = row(session)
    assert again.changed_at == first_changed and again.fetched_at > first_fetched
    record(session, b"two", etag='"b"')
    assert row(session).changed_at > first_changed


def test_a_kept_etag_on_a_changed_body_is_a_lie(session: Session) -> None:
    record(session, b"one")
    lie = record(session, b"two")
    assert lie is not None and '"a"' in lie
    assert row(session).body_hash == entrypoints.body_hash(b"two")


def test_a_new_etag_on_a_changed_body_is_honest_even_with_a_kept_last_modified(session: Session) -> None:
    record(session, b"one")
    assert record(session, b"two", etag='"b"') is None  # two versions within one second


def test_without_an_etag_a_kept_last_modified_on_a_changed_body_is_a_lie(session: Session) -> None:
    record(session, b"one", etag=None)
    lie = record(session, b"two", etag=None)
    assert lie is not None and LM in lie
    assert record(session, b"three", etag=None, modified="Tue, 02 Jul 2025 08:00:00 GMT") is None


def test_no_validators_or_an_unchanged_body_are_no_lie(session: Session) -> None:
    record(session, b"one", etag=None, modified=None)
    assert record(session, b"two", etag=None, modified=None) is None
    assert record(session, b"two", etag=None, modified=None) is None


def test_distrust_turns_conditional_requests_off_for_the_host(session: Session) -> None:
    with session.begin():
        assert entrypoints.distrusted_hosts(session) == set()
        entrypoints.distrust(session, "baothu.example", "ETag kept")
    with session.begin():
        entrypoints.distrust(session, "baothu.example", "ETag kept again")  # an upsert, not a second row
        assert entrypoints.distrusted_hosts(session) == {"baothu.example"}
        policy = session.scalars(select(HostPolicy)).one()
    assert (policy.conditional, policy.reason) == (False, "ETag kept again")


def test_children_are_named_kept_and_forgotten(session: Session) -> None:
    def name(children: dict[str, str]) -> None:
        with session.begin():
            entrypoints.name_children(session, "index", "baothu", "sitemap", children, False)

    name({"jun": "https://baothu.example/jun.xml", "jul": "https://baothu.example/jul.xml"})
    with session.begin():
        entrypoints.record_fetch(session, "jul", "https://baothu.example/jul.xml", "baothu", "sitemap",
                                 '"j"', None, b"<urlset/>", False)
    name({"jul": "https://baothu.example/jul.xml", "aug": "https://baothu.example/aug.xml"})
    with session.begin():
        stored = entrypoints.load(session, "baothu", False)
    assert set(stored) == {"jul", "aug"}  # June is no longer named: forgotten
    assert {key: entry.parent_key for key, entry in stored.items()} == {"jul": "index", "aug": "index"}
    assert stored["jul"].etag == '"j"' and stored["jul"].fetched_at is not None  # kept its validators
    assert stored["aug"].etag is None and stored["aug"].fetched_at is None       # named, never fetched
    name({})
    with session.begin():
        assert entrypoints.load(session, "baothu", False) == {}


def test_a_mirror_fetch_is_kept_apart_from_the_outlets_own(session: Session) -> None:
    """A mirror serves recordings under the outlet's URLs: its validators are no
    evidence about the outlet, in either direction."""
    record(session, b"live")
    assert record(session, b"recorded", mirror=True) is None  # the same ETag, another body: no lie
    with session.begin():
        assert entrypoints.load(session, "baothu", False) == {}  # the live validators were replaced
        assert set(entrypoints.load(session, "baothu", True)) == {"feed"}
        assert entrypoints.distrusted_hosts(session) == set()
    assert record(session, b"live") is None  # a live fetch after the mirror's: no lie either
    with session.begin():
        assert entrypoints.load(session, "baothu", True) == {}
        assert set(entrypoints.load(session, "baothu", False)) == {"feed"}
    assert row(session).mirror is False


def test_a_child_named_by_a_mirror_loses_the_live_validators(session: Session) -> None:
    with session.begin():
        entrypoints.record_fetch(session, "jul", "https://baothu.example/jul.xml", "baothu", "sitemap",
                                 '"j"', None, b"<urlset/>", False)
        entrypoints.name_children(session, "index", "baothu", "sitemap",
                                  {"jul": "https://baothu.example/jul.xml"}, True)
    with session.begin():
        assert entrypoints.load(session, "baothu", False) == {}
        mirrored = entrypoints.load(session, "baothu", True)
    assert mirrored["jul"].etag is None and mirrored["jul"].parent_key == "index"

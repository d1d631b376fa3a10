"""The scale mirror (crawler.mirror.generate): deterministic, in the families'
templates, with pages our extractor reads, and registry entries that validate."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from crawler.core.registry import load_registry
from crawler.extraction import extract_bytes
from crawler.mirror.generate import FAMILIES, MAX_KB, MIN_KB, generate
from crawler.mirror.server import MirrorSite


def digest(root: Path) -> str:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(root).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path):
    generate(tmp_path / "a", 5, 40, seed=3)
    generate(tmp_path / "b", 5, 40, seed=3)
    generate(tmp_path / "c", 5, 40, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_every_article_is_served_sized_discoverable_and_extracted(tmp_path: Path):
    arts = generate(tmp_path, 5, 60, seed=1)
    registry = load_registry(tmp_path / "sources.yaml")
    assert {a.outlet.family for a in arts} == set(FAMILIES)
    for a in arts:
        outlet = registry[a.outlet.key]
        site = MirrorSite(tmp_path / "sites" / a.outlet.host)
        status, ctype, body = site.resolve(a.path)
        assert status == 200 and outlet.is_article_url(a.url), a.url
        assert MIN_KB * 1024 <= len(body) <= MAX_KB * 1024 + 64 * 1024
        record = extract_bytes(body, a.url, content_type=ctype, outlet=outlet)
        # The marker is the last paragraph of every generated text: nothing was cut.
        assert f"mã tin {a.id}" in record.text, (a.outlet.family, a.url)
        assert record.published_at is not None


def test_sitemaps_feed_and_listing_name_every_article(tmp_path: Path):
    arts = generate(tmp_path, 2, 50, seed=1)
    for outlet in {a.outlet for a in arts}:
        root = tmp_path / "sites" / outlet.host
        maps = [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
                for p in (root / "sitemaps").iterdir() if p.name != "sitemap.xml"]
        listed = b"".join(maps).decode()
        assert any(p.suffix == ".gz" for p in (root / "sitemaps").iterdir())
        assert all(a.url in listed for a in arts if a.outlet == outlet)
        assert "Sitemap:" in (root / "robots.txt").read_text()


def test_near_duplicates_and_revisions(tmp_path: Path):
    base = generate(tmp_path / "e0", 5, 400, seed=1)
    revised = generate(tmp_path / "e1", 5, 400, seed=1, epoch=1)
    copies = [a for a in base if any(b.title == a.title and b.outlet != a.outlet for b in base)]
    assert copies, "no cross-outlet near-duplicate"
    changed = [a for a, b in zip(base, revised) if a.paragraphs != b.paragraphs]
    assert 0 < len(changed) < len(base) // 5
    assert all(b.paragraphs[-1].startswith("Cập nhật lần 1") for a, b in zip(base, revised)
               if a.paragraphs != b.paragraphs)

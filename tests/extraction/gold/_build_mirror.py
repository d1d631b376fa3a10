"""Gold pages from the Báo Lạng Sơn mirror, with expectations from its source truth.

    /work/venv/bin/python tests/extraction/gold/_build_mirror.py

Copies every mirrored article page (``crawler/mirror/sites/baolangson.vn/*-<7 digits>.html``)
byte-exact into ``gold/baolangson/`` and writes its ``.json`` from
``crawler/mirror/reconstruct/baolangson.json``, the data the pages were generated
from. The extractor is never run here, so the gold cannot be tuned to its output.

Contract decisions applied to the source truth (the same for every page):

- ``summary``: the sapo without the dateline the site prints before it (``LSO-``,
  ``(LSO) -``, ``LST:``, a bare dash), using the mirror's own ``DATELINE`` pattern;
- ``text``: the body paragraphs joined by a blank line; a page with no paragraph
  (photo story, teaser) has its lead as text (``ArticleRecord`` contract);
- ``authors``: the printed byline split at dashes; "BBT" (Ban Biên tập, the
  editorial board) is an organisation and never an author;
- ``published_at``: the ``published`` time at +07:00; ``updated_at``: none (the rows
  and the pages state no modified time); ``section``: the category name;
  ``tags``: none (the pages carry none); ``captions``: one line per image;
- ``published_at_source``, ``image_url``, ``language``, ``canonical_url``: what the copied
  page states (``_truth.page_fields``: its article:published_time meta or its date line,
  the first image of ``#content-detail``, ``<html lang>``, its rel=canonical).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _truth import page_fields
from crawler.mirror.reconstruct.baolangson import CATEGORIES, DATA, DATELINE, SITE

HERE = Path(__file__).parent
OUT = HERE / "baolangson"
TZ = timezone(timedelta(hours=7))
PAGE = re.compile(r"^[a-z0-9-]+-(\d{7})\.html$")
ORGANISATIONS = {"BBT"}
CONTENT = "//div[@id='content-detail']"  # the article's block: its first image is the lead


def expected_of(row: dict) -> dict:
    summary = " ".join(DATELINE.sub("", row["sapo"]).split())
    paragraphs = [" ".join(p.split()) for p in row["paragraphs"]]
    authors = [a.strip() for a in re.split(r"\s+[-–]\s+", row["author"] or "") if a.strip()]
    return {
        "title": row["title"],
        "summary": summary,
        "text": "\n\n".join(paragraphs) if paragraphs else summary,
        "authors": [a for a in authors if a not in ORGANISATIONS],
        "attribution": row["attribution"],
        "published_at": datetime.strptime(row["published"], "%H:%M %d/%m/%Y").replace(tzinfo=TZ).isoformat(),
        "updated_at": None,
        "section": CATEGORIES[row["category"]],
        "tags": [],
        "captions": [" ".join((im.get("caption") or "").split()) or None for im in row["images"]],
    }


def main() -> None:
    rows = {str(r["id"]): r for r in json.loads(DATA.read_text(encoding="utf-8"))}
    count = 0
    for page in sorted(SITE.iterdir()):
        match = PAGE.match(page.name)
        if not match:
            continue
        row = rows[match.group(1)]
        name = page.stem
        shutil.copyfile(page, OUT / page.name)
        url = f"https://baolangson.vn/{page.name}"
        expected = expected_of(row)
        expected.update(page_fields(page.read_bytes(), url, CONTENT, expected))
        spec = {
            "meta": {
                "url": url,
                "source": ("mirror page crawler/mirror/sites/baolangson.vn/" + page.name
                           + "; expected values derived from crawler/mirror/reconstruct/baolangson.json"
                           + " by _build_mirror.py; text " + row["text_status"]),
                "captured": "mirror build (text from " + row["source_url"] + ")",
                "outlet": "baolangson",
                "also_generic": True,
            },
            "expected": expected,
        }
        (OUT / f"{name}.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
        count += 1
    print(f"{count} mirror pages written to {OUT}")


if __name__ == "__main__":
    main()

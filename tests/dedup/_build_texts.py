"""Build tests/dedup/texts.json: the real article texts the labelled pairs are made from.

Run from the repo root: ``python -m tests.dedup._build_texts``. Sources, all in the
repo or in shared/corpus (real Vietnamese text, nothing written by us):

- every Báo Lạng Sơn item of ``crawler/mirror/reconstruct/baolangson.json`` (lead +
  body paragraphs; its ``source_url`` names the page the text was copied from);
- the Báo Lào Cai article of ``shared/corpus/raw/baolaocai.vn`` (trafilatura body);
- the real footers of both outlets' page templates, for shared-boilerplate pairs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import trafilatura
from lxml import html

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("texts.json")
LAOCAI = Path("/work/shared/corpus/raw/baolaocai.vn/article-song-dep-tu-nhung-dieu-gian-di.html")
LANGSON_PAGE = ROOT / "crawler/mirror/sites/baolangson.vn/dua-nuoc-ve-ban-5000013.html"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n") if p.strip()]


def main() -> None:
    texts = {}
    for item in json.loads((ROOT / "crawler/mirror/reconstruct/baolangson.json").read_text("utf-8")):
        paragraphs = _paragraphs("\n".join([item["sapo"] or "", *item["paragraphs"]]))
        texts[f"bls-{item['id']}"] = {
            "outlet": "baolangson.vn", "title": item["title"], "paragraphs": paragraphs,
            "captions": [img["caption"].replace("\n", " ") for img in item["images"]],
            "byline": item["author"], "source": item["source_url"],
        }
    page = LAOCAI.read_text("utf-8")
    body = trafilatura.extract(page, favor_precision=True) or ""
    paragraphs = _paragraphs(body)
    byline = paragraphs.pop() if len(paragraphs[-1].split()) <= 3 else None
    texts["blc-404649"] = {
        "outlet": "baolaocai.vn", "title": "Sống đẹp từ những điều giản dị", "paragraphs": paragraphs,
        "captions": [], "byline": byline,
        "source": "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html",
    }
    laocai_footer = " ".join(html.fromstring(page).xpath("//footer")[0].text_content().split())
    langson = html.fromstring(LANGSON_PAGE.read_text("utf-8"))
    langson_footer = " ".join(langson.xpath("//div[@class='footer']")[0].text_content().split())
    langson_menu = " ".join(" ".join(li.text_content().split()) for li in langson.xpath("//ul[@class='menu']/li"))
    boilerplate = {
        "baolangson.vn": [langson_menu, re.sub(r"\s*Liên kết:.*$", "", langson_footer)],
        "baolaocai.vn": [laocai_footer],
    }
    OUT.write_text(json.dumps({"texts": texts, "boilerplate": boilerplate}, ensure_ascii=False, indent=1) + "\n",
                   "utf-8")
    print(f"{len(texts)} texts -> {OUT}")


if __name__ == "__main__":
    main()

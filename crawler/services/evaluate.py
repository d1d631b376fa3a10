"""Extraction quality: our extractor against plain trafilatura on the same pages.

Two kinds of page set:

- a **gold folder** (``tests/extraction/gold``): ``<outlet>/<name>.html`` (or, byte-exact and
  gzipped, ``<name>.html.gz``) with ``<name>.json`` = ``{"meta": {"url", "outlet", ...},
  "expected": {...}}``; only the fields an expected-JSON names are scored, and the body only
  where it gives ``text``. ``tests/extraction/gold/real`` is a gold folder of its own: captured
  pages of real outlets (``meta.kind`` = ``real``, with ``meta.provenance``), scored apart from
  the mirror and reconstructed pages of the folders beside it;
- the **AEB folder** (Scrapinghub's article-extraction benchmark): ``ground-truth.json``
  (``{id: {"articleBody", "url"}}``) and ``html/<id>.html.gz``; body only;
- the **trafilatura evaluation corpus** (``tar -xJf corpus.tar.xz``): ``evaldata.json``
  (``{url: {"file", "with", "without"}}``) and the pages under ``cache/`` or ``eval/``;
  scored with trafilatura's own eval-gate metric (below).

Fields (each scored only where the gold names it):

- ``title``, ``summary``, ``attribution``, ``section``: equal after NFC and whitespace folding;
- ``published_at``, ``updated_at``: the same instant **to the minute with the same UTC offset**
  (``published_day``, the calendar day alone, is shown beside it for information:
  plain trafilatura returns a day, never a time);
- ``authors``, ``tags``: equal as case-insensitive sets;
- ``published_at_source``, ``image_url``, ``language``, ``canonical_url``: equal, like the
  text fields (plain trafilatura names no date source: right only where the gold says None;
  its ``url`` is the page's canonical as it reads it, uncanonicalised). These page-level
  fields are scored here rather than asserted per page where our extractor still
  disagrees with the gold (``image_url``; see ``tests/extraction/test_gold.py``).

Snippets: ``text_contains`` (must be in the record's text) and ``text_not_contains`` (must
not be) are checks of their own, counted apart from the fields.

Body: the benchmark's own metric (``/work/shared/bench/README.md``): ``\\w+`` tokens,
4-token shingles, multiset overlap, precision and recall per page averaged over pages
(an empty prediction is left out of precision), F1 of the two averages; accuracy is
the share of pages whose token sequence equals the gold. Two texts are scored:

- ``body``: the record's ``text`` (our contract: without the lead), where the gold gives ``text``;
- ``article``: the lead printed on the page followed by the text (``full_text``), against
  the gold ``article`` (AEB's ``articleBody``) or gold summary + text. Plain trafilatura
  keeps the lead inside its text, so its ``text`` is its article too.

Snippets (trafilatura corpus): after folding whitespace, a ``with`` snippet found in the
article is a true positive, one missing a false negative; a ``without`` snippet found is a
false positive, one absent a true negative; counts are summed over pages, and P/R/F1 come
from the sums. Plain trafilatura there is the eval gate's canonical call
(``extract(fast=False, include_tables=True, include_comments=False)`` on the bytes).

Below plain: per page, ours is *below* plain trafilatura when it gets fewer snippets right
(tp + tn), or, on body-scored sets, when its article F1 is lower by more than
``BELOW_MARGIN``. ``Report.below`` lists those pages (``--misses`` prints them).

Reads files; the extractors it calls stay pure.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from trafilatura import bare_extraction, extract

from crawler.core.dates import DEFAULT_TZ
from crawler.core.registry import Outlet
from crawler.extraction import ExtractionError, extract_bytes, full_text

FIELDS = ("title", "published_at", "updated_at", "authors", "attribution", "summary", "section", "tags",
          "published_at_source", "image_url", "language", "canonical_url")
# Shown, never counted in the field accuracy (see the module docstring).
INFO_FIELDS = ("published_day",)
SHINGLE = 4
_TOKEN = re.compile(r"\w+")

EXTRACTORS = ("ours", "trafilatura")
# A page's article F1 that differs by less than this is a tie: one shingle on a short page.
BELOW_MARGIN = 0.01
EVALDATA = "evaldata.json"


class EvaluationError(ValueError):
    """A gold folder that cannot be read."""


@dataclass
class GoldPage:
    """One page to score: where its HTML is, and what a perfect extractor returns."""

    id: str
    url: str
    html: bytes
    expected: dict[str, Any]
    outlet: str | None = None
    content_type: str | None = None
    kind: str | None = None  # "real" for a captured page of a real outlet (meta.kind)


@dataclass
class Prediction:
    title: str | None = None
    published_at: str | None = None
    updated_at: str | None = None  # plain trafilatura has none: right only where the gold says None
    authors: list[str] = field(default_factory=list)
    attribution: str | None = None
    summary: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    published_at_source: str | None = None
    image_url: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    text: str = ""
    article: str = ""  # the printed lead and the text (plain trafilatura: its text)
    failed: str | None = None  # the reason when the extractor returned nothing


# --- loading ---------------------------------------------------------------------------

def is_aeb(folder: Path) -> bool:
    return (folder / "ground-truth.json").is_file() and (folder / "html").is_dir()


def is_trafilatura_eval(folder: Path) -> bool:
    return (folder / EVALDATA).is_file()


def load_pages(folder: Path) -> list[GoldPage]:
    """The pages of a gold folder, the AEB folder or the trafilatura corpus (told apart
    by their layout)."""
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: no such folder")
    if is_trafilatura_eval(folder):
        return load_trafilatura_eval(folder)
    return load_aeb(folder) if is_aeb(folder) else load_gold(folder)


def load_gold(folder: Path) -> list[GoldPage]:
    pages = []
    for spec_file in sorted(folder.glob("*/*.json")):
        html = gold_html(spec_file)
        if html is None:
            continue
        try:
            spec = json.loads(spec_file.read_text(encoding="utf-8"))
            meta, expected = spec["meta"], spec["expected"]
        except (ValueError, KeyError) as exc:
            raise EvaluationError(f"{spec_file}: not a gold file ({exc})") from None
        pages.append(GoldPage(
            id=f"{spec_file.parent.name}/{spec_file.stem}", url=meta["url"],
            html=html, expected=expected, outlet=meta.get("outlet"),
            content_type=meta.get("content_type"), kind=meta.get("kind")))
    if not pages:
        raise EvaluationError(f"{folder}: no <outlet>/<name>.html + .json pairs")
    return pages


def gold_html(spec_file: Path) -> bytes | None:
    """The page bytes beside an expected-JSON: ``<name>.html``, or ``<name>.html.gz`` unpacked."""
    plain = spec_file.with_suffix(".html")
    if plain.is_file():
        return plain.read_bytes()
    packed = spec_file.with_suffix(".html.gz")
    return gzip.decompress(packed.read_bytes()) if packed.is_file() else None


def load_aeb(folder: Path) -> list[GoldPage]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = folder / "html" / f"{page_id}.html.gz"
        if not path.is_file():
            continue
        pages.append(GoldPage(id=page_id, url=truth[page_id].get("url") or f"https://aeb.invalid/{page_id}",
                              html=gzip.decompress(path.read_bytes()),
                              expected={"article": truth[page_id].get("articleBody") or ""},
                              content_type="text/html; charset=utf-8"))
    return pages


def load_trafilatura_eval(folder: Path) -> list[GoldPage]:
    """trafilatura's corpus in ``evaldata.json`` order; a page whose file is in neither
    ``cache/`` nor ``eval/`` is an error, not a silent skip (it would move every figure)."""
    data = json.loads((folder / EVALDATA).read_text(encoding="utf-8"))
    pages = []
    for url, item in data.items():
        path = next((folder / sub / item["file"] for sub in ("cache", "eval")
                     if (folder / sub / item["file"]).is_file()), None)
        if path is None:
            raise EvaluationError(f"{folder}: {item['file']} (for {url}) is missing")
        pages.append(GoldPage(id=item["file"], url=url, html=path.read_bytes(),
                              expected={"with": item["with"], "without": item["without"]}))
    return pages


def fixed_subset(pages: list[GoldPage], every: int) -> list[GoldPage]:
    """Every ``every``-th page in corpus order: a spread over the corpus's sites and
    languages that stays the same from run to run (the CI subset)."""
    return pages[::every]


def corpus_digest(pages: Iterable[GoldPage]) -> str:
    """A short SHA-256 over every page's bytes and expectations: floors are pinned to it."""
    import hashlib

    digest = hashlib.sha256()
    for page in pages:
        digest.update(page.id.encode())
        digest.update(page.html)
        digest.update(json.dumps(page.expected, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


# --- the two extractors -------------------------------------------------------------------

def predict_ours(page: GoldPage, registry: dict[str, Outlet] | None = None) -> Prediction:
    outlet = (registry or {}).get(page.outlet) if page.outlet else None
    try:
        record = extract_bytes(page.html, page.url, content_type=page.content_type, outlet=outlet)
    except ExtractionError as exc:
        return Prediction(failed=exc.reason)
    return Prediction(
        title=record.title, published_at=record.published_at.isoformat() if record.published_at else None,
        updated_at=record.updated_at.isoformat() if record.updated_at else None,
        authors=record.authors, attribution=record.attribution, summary=record.summary,
        section=record.section, tags=record.tags, published_at_source=record.published_at_source,
        image_url=record.image_url, language=record.language, canonical_url=record.canonical_url,
        text=record.text, article=full_text(record))


def predict_trafilatura(page: GoldPage) -> Prediction:
    """Plain trafilatura as a user would call it: the raw bytes, defaults, metadata on."""
    try:
        doc = bare_extraction(page.html, url=page.url, with_metadata=True)
    except Exception as exc:  # noqa: BLE001 - a crash is scored as an empty prediction
        return Prediction(failed=f"error:{type(exc).__name__}")
    if doc is None:
        return Prediction(failed="none")
    categories = list(doc.categories or [])
    return Prediction(
        title=doc.title, published_at=doc.date, authors=_split_authors(doc.author),
        attribution=None, summary=doc.description, section=categories[-1] if categories else None,
        tags=list(doc.tags or []), image_url=doc.image, language=doc.language, canonical_url=doc.url,
        text=doc.text or "", article=doc.text or "")


def predict_trafilatura_text(page: GoldPage) -> Prediction:
    """Plain trafilatura as trafilatura's own eval gate calls it: text only."""
    try:
        text = extract(page.html, fast=False, include_tables=True, include_comments=False)
    except Exception as exc:  # noqa: BLE001 - a crash is scored as an empty prediction
        return Prediction(failed=f"error:{type(exc).__name__}")
    if text is None:
        return Prediction(failed="none")
    return Prediction(text=text, article=text)


def _split_authors(value: str | None) -> list[str]:
    return [a.strip() for a in (value or "").split(";") if a.strip()]


# --- field comparison -------------------------------------------------------------------------

def _norm(value: str | None) -> str | None:
    if value is None:
        return None
    folded = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return folded or None


def _fold_set(values: Iterable[str] | None) -> frozenset[str]:
    return frozenset(v.casefold() for v in (_norm(x) for x in values or []) if v)


def _instant(value: str | None) -> datetime | date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _same_minute(expected: str | None, predicted: str | None) -> bool:
    a, b = _instant(expected), _instant(predicted)
    if a is None or b is None:
        return a is None and b is None
    if a.tzinfo is None or b.tzinfo is None:  # a bare day or a naive time has no zone
        return False
    return (a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)
            and a.utcoffset() == b.utcoffset())


def _same_day(expected: str | None, predicted: str | None) -> bool:
    a, b = _instant(expected), _instant(predicted)
    if a is None or b is None:
        return a is None and b is None

    def local_day(d: datetime) -> date:
        return d.astimezone(DEFAULT_TZ).date() if d.tzinfo else d.date()
    return local_day(a) == local_day(b)


def field_correct(name: str, expected: Any, predicted: Prediction) -> bool:
    if name == "published_day":
        return _same_day(expected, predicted.published_at)
    value = getattr(predicted, name)
    if name in ("published_at", "updated_at"):
        return _same_minute(expected, value)
    if name in ("authors", "tags"):
        return _fold_set(expected) == _fold_set(value)
    return _norm(expected) == _norm(value)


# --- body metric (AEB) ---------------------------------------------------------------------------

def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(words: list[str], n: int = SHINGLE) -> Counter:
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)))


def body_scores(gold: str, predicted: str) -> tuple[float | None, float, bool]:
    """(precision or None for an empty prediction, recall, exact token match)."""
    gold_words, pred_words = tokens(gold), tokens(predicted)
    exact = gold_words == pred_words
    if not pred_words:
        return None, (1.0 if not gold_words else 0.0), exact
    g, p = shingles(gold_words), shingles(pred_words)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    return tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 1.0, exact


@dataclass
class BodyScore:
    pages: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    accuracy: float = 0.0

    @classmethod
    def of(cls, scores: list[tuple[float | None, float, bool]]) -> BodyScore:
        if not scores:
            return cls()
        precisions = [p for p, _, _ in scores if p is not None]
        precision = sum(precisions) / len(precisions) if precisions else 0.0
        recall = sum(r for _, r, _ in scores) / len(scores)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(len(scores), precision, recall, f1, sum(e for _, _, e in scores) / len(scores))


# --- snippet metric (trafilatura corpus) ---------------------------------------------------------

def _ws(text: str) -> str:
    return " ".join(text.split())


def snippet_counts(expected: dict[str, Any], predicted: str | None) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page: ``with`` snippets found, ``without`` snippets found, …"""
    found = _ws(predicted or "")
    tp = sum(1 for w in expected["with"] if predicted and _ws(w) in found)
    fp = sum(1 for w in expected["without"] if predicted and _ws(w) in found)
    return tp, fp, len(expected["with"]) - tp, len(expected["without"]) - fp


@dataclass
class SnippetScore:
    pages: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, counts: tuple[int, int, int, int]) -> None:
        self.pages += 1
        self.tp, self.fp, self.fn, self.tn = (a + b for a, b in zip((self.tp, self.fp, self.fn, self.tn), counts))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"pages": self.pages, "precision": _round(self.precision), "recall": _round(self.recall),
                "f1": _round(self.f1), "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}


# --- the run -------------------------------------------------------------------------------------

@dataclass
class ExtractorReport:
    """One extractor's figures on one page set."""

    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (correct, scored)
    body: BodyScore = field(default_factory=BodyScore)
    article: BodyScore = field(default_factory=BodyScore)
    snippets: SnippetScore = field(default_factory=SnippetScore)
    failed: int = 0
    pages: int = 0
    seconds: float = 0.0
    gold_snippets: tuple[int, int] = (0, 0)  # text_contains / text_not_contains checks: (passed, scored)
    misses: list[dict[str, Any]] = field(default_factory=list)
    # page id → its score on the page set's main measure (snippets right, or article F1)
    page_scores: dict[str, float] = field(default_factory=dict)

    @property
    def snippet_accuracy(self) -> float | None:
        passed, scored = self.gold_snippets
        return passed / scored if scored else None

    @property
    def field_accuracy(self) -> float | None:
        correct = sum(c for n, (c, _) in self.fields.items() if n not in INFO_FIELDS)
        scored = sum(s for n, (_, s) in self.fields.items() if n not in INFO_FIELDS)
        return correct / scored if scored else None

    def accuracy(self, name: str) -> float | None:
        correct, scored = self.fields.get(name, (0, 0))
        return correct / scored if scored else None

    def as_json(self) -> dict[str, Any]:
        return {
            "field_accuracy": _round(self.field_accuracy),
            "fields": {n: {"accuracy": _round(c / s if s else None), "correct": c, "scored": s}
                       for n, (c, s) in self.fields.items()},
            "body": {k: _round(v) if isinstance(v, float) else v for k, v in vars(self.body).items()},
            "article": {k: _round(v) if isinstance(v, float) else v for k, v in vars(self.article).items()},
            **({"snippets": self.snippets.as_json()} if self.snippets.pages else {}),
            **({"gold_snippets": {"accuracy": _round(self.snippet_accuracy), "passed": self.gold_snippets[0],
                                  "scored": self.gold_snippets[1]}} if self.gold_snippets[1] else {}),
            "failed": self.failed,
            "ms_per_page": _round(self.seconds * 1000 / self.pages) if self.pages else None,
        }


@dataclass
class Report:
    name: str
    pages: int
    digest: str
    extractors: dict[str, ExtractorReport]

    @property
    def below(self) -> list[dict[str, Any]]:
        """The pages where ours scores below plain trafilatura (see the module docstring)."""
        ours, plain = self.extractors["ours"].page_scores, self.extractors["trafilatura"].page_scores
        margin = 0 if self.extractors["ours"].snippets.pages else BELOW_MARGIN
        return [{"page": page, "ours": _round(score), "trafilatura": _round(plain[page])}
                for page, score in ours.items() if page in plain and score < plain[page] - margin]

    @property
    def above(self) -> int:
        ours, plain = self.extractors["ours"].page_scores, self.extractors["trafilatura"].page_scores
        margin = 0 if self.extractors["ours"].snippets.pages else BELOW_MARGIN
        return sum(1 for page, score in ours.items() if page in plain and score > plain[page] + margin)

    def as_json(self, misses: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"set": self.name, "pages": self.pages, "corpus_sha": self.digest}
        for key, rep in self.extractors.items():
            data[key] = rep.as_json()
            if misses:
                data[key]["misses"] = rep.misses
        below = self.below
        data["ours_below_plain"] = len(below)
        data["ours_above_plain"] = self.above
        if misses:
            data["below_plain"] = below
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(pages: list[GoldPage], registry: dict[str, Outlet] | None = None, *,
             name: str = "gold", generic: bool = False) -> Report:
    """Score ours and plain trafilatura on ``pages``; ``generic`` ignores outlet rules."""
    snippets = any("with" in p.expected for p in pages)
    predictors: dict[str, Callable[[GoldPage], Prediction]] = {
        "ours": lambda p: predict_ours(p, None if generic else registry),
        "trafilatura": predict_trafilatura_text if snippets else predict_trafilatura,
    }
    reports = {}
    for key, predict in predictors.items():
        rep = ExtractorReport()
        body, article = [], []
        rep.pages = len(pages)
        for page in pages:
            start = time.perf_counter()
            pred = predict(page)
            rep.seconds += time.perf_counter() - start
            rep.failed += pred.failed is not None
            _score_fields(page, pred, rep)
            _score_snippets(page, pred, rep)
            exp = page.expected
            if "with" in exp:
                counts = snippet_counts(exp, pred.article)
                rep.snippets.add(counts)
                rep.page_scores[page.id] = counts[0] + counts[3]
                if counts[1] or counts[2]:
                    rep.misses.append({"page": page.id, "field": "snippets", "missing": counts[2],
                                       "unwanted": counts[1]})
            if "text" in exp:
                body.append(body_scores(exp["text"], pred.text))
                _note_miss(rep, page, "text", body[-1])
            if "text" in exp or "article" in exp:
                gold = exp.get("article") or _lead_and_body(exp.get("summary"), exp["text"])
                article.append(body_scores(gold, pred.article))
                rep.page_scores[page.id] = _page_f1(article[-1])
                _note_miss(rep, page, "article", article[-1])
        rep.body, rep.article = BodyScore.of(body), BodyScore.of(article)
        reports[key] = rep
    return Report(name, len(pages), corpus_digest(pages), reports)


def _page_f1(score: tuple[float | None, float, bool]) -> float:
    precision, recall, _ = score
    precision = precision or 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _lead_and_body(summary: str | None, text: str) -> str:
    """Summary then text; a lead-only article (text == summary) counts once."""
    return text if not summary or _norm(summary) == _norm(text) else f"{summary}\n\n{text}"


def _note_miss(rep: ExtractorReport, page: GoldPage, name: str,
               score: tuple[float | None, float, bool]) -> None:
    precision, recall, _ = score
    if recall < 0.9 or (precision is not None and precision < 0.9):
        rep.misses.append({"page": page.id, "field": name,
                           "precision": _round(precision), "recall": _round(recall)})


def _score_snippets(page: GoldPage, pred: Prediction, rep: ExtractorReport) -> None:
    text = _norm(pred.text) or ""
    passed, scored = rep.gold_snippets
    for snippet, wanted in [(s, True) for s in page.expected.get("text_contains", [])] + \
                           [(s, False) for s in page.expected.get("text_not_contains", [])]:
        ok = ((_norm(snippet) or "") in text) == wanted
        passed, scored = passed + ok, scored + 1
        if not ok:
            rep.misses.append({"page": page.id, "field": "text_contains" if wanted else "text_not_contains",
                               "snippet": snippet})
    rep.gold_snippets = (passed, scored)


def _score_fields(page: GoldPage, pred: Prediction, rep: ExtractorReport) -> None:
    for name in FIELDS + INFO_FIELDS:
        source = "published_at" if name == "published_day" else name
        if source not in page.expected:
            continue
        ok = field_correct(name, page.expected[source], pred)
        correct, scored = rep.fields.get(name, (0, 0))
        rep.fields[name] = (correct + ok, scored + 1)
        if not ok and name not in INFO_FIELDS:
            rep.misses.append({"page": page.id, "field": name, "expected": page.expected[source],
                               "got": getattr(pred, source)})

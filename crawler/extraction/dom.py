"""DOM helpers: parsing, metadata, page regions, captions and block text.

Everything here walks the tree iteratively (``iter``, ``iterancestors``): a
recursive walk would overflow on pathologically nested pages. libxml2 itself
caps nesting at 256 levels without ``huge_tree``, which we never enable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree, html
from lxml.cssselect import CSSSelector

from crawler.extraction.errors import ExtractionError

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

# Class/id tokens of regions that are never the article: the site header with
# its "today" bar, menus, related boxes, sidebars, footers, comments.
_NOISE_TOKEN = re.compile(
    r"^(?:header|site-?header|top-?header|top-?bar|today|ngay-?hom-?nay|menu.*|nav.*"
    r"|.*footer.*|.*sidebar.*|side-?bar|.*related.*|.*relate|.*lien-?quan.*|tin-?khac"
    r"|.*most-?read.*|doc-?nhieu|hot-?news|widget.*|comments?|.*comment-.*|box-?comment"
    r"|breadcrumbs?|share|social.*|.*-share|tags?|.*__tags|search.*)$",
    re.I,
)
_NOISE_TAGS = {"nav", "footer", "aside", "form"}
# The same test over a whole class-and-id string in one search (``.*`` inside a token
# is ``\S*``): one regex match per token was most of the cost of ``drop_noise``.
_NOISE_IN = re.compile(r"(?:^|\s)(?:" + _NOISE_TOKEN.pattern[4:-2].replace(".*", r"\S*") + r")(?=\s|$)", re.IGNORECASE)

BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote",
    "table", "tbody", "thead", "tr", "td", "th", "section", "article", "figure",
    "figcaption", "pre", "dl", "dt", "dd", "center", "header", "main",
}


def parse(markup: str) -> html.HtmlElement:
    """Parse a whole document; ``ExtractionError("empty")`` when there is none."""
    markup = _XML_DECL.sub("", markup, count=1)
    if not markup.strip():
        raise ExtractionError("empty", "the document is empty")
    parser = html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                             huge_tree=False, default_doctype=False)
    try:
        return html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("empty", f"no parsable HTML: {exc}") from None


def text_of(el: etree._Element) -> str:
    """Whitespace-folded text of ``el`` (NBSP folds too); ``<br>`` and block
    boundaries count as a space so that multi-line captions do not glue words together."""
    parts: list[str] = []
    for event, node in etree.iterwalk(el, events=("start", "end")):
        if event == "start":
            if node.tag == "br" or node.tag in BLOCK_TAGS:
                parts.append(" ")  # <p>a</p><p>b</p> reads "a b", never "ab"
            if node.text and node.tag not in ("script", "style"):
                parts.append(node.text)
        else:
            if node.tag in BLOCK_TAGS:
                parts.append(" ")
            if node is not el and node.tail:
                parts.append(node.tail)
    return " ".join("".join(parts).split())


def classes(el: etree._Element) -> list[str]:
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    return value.lower().split()


NoiseMemo = dict[etree._Element, bool]  # element → its ``is_noise`` answer, for one tree


def is_noise(el: etree._Element, memo: NoiseMemo | None = None) -> bool:
    """True when ``el`` sits in the header, a menu, a related box, a sidebar, …

    ``memo`` (one per tree, see ``NoiseMemo``) keeps each element's answer: asked for
    every image and date of a page, the ancestors are then judged once, not per question.
    Removing elements does not change the answer for those still attached."""
    # An HTML5 <header> inside an article holds the title and date; only the page
    # header (without the h1) is noise (``_own_noise``).
    if memo is None:
        return any(isinstance(node.tag, str) and _own_noise(node) for node in (el, *el.iterancestors()))
    path = []
    node: etree._Element | None = el
    answer = False
    while node is not None:
        if node in memo:
            answer = memo[node]
            break
        path.append(node)
        node = node.getparent()
    for node in reversed(path):  # from the known ancestor down to ``el``
        answer = answer or (isinstance(node.tag, str) and _own_noise(node))
        memo[node] = answer
    return answer


_NOISE_CANDIDATES = etree.XPath("//*[@class or @id or self::nav or self::footer or self::aside or self::form "
                                 "or self::header]")


def drop_noise(tree: etree._Element) -> None:
    """Remove every noise region (see ``is_noise``) in one O(n) pass: top-down, so
    an element is judged by its own tag and classes, its noisy ancestors being gone."""
    # Only elements that can be noise: a class or an id, or a noise tag (``_own_noise``).
    for el in _NOISE_CANDIDATES(tree):
        if el.getparent() is not None and _own_noise(el):
            el.getparent().remove(el)


def _own_noise(node: etree._Element) -> bool:
    if node.tag in _NOISE_TAGS:
        return True
    if node.tag == "header" and node.find(".//h1") is None:
        return True
    return bool(_NOISE_IN.search(f"{node.get('class') or ''} {node.get('id') or ''}"))


def unwrap_bare(tree: etree._Element, tags: Iterable[str]) -> int:
    """Replace every attribute-less ``tags`` element by its content; returns how many."""
    bare = [el for el in tree.iter(*tags) if not el.attrib]
    for el in bare:
        el.tag = _UNWRAP  # then one C-level pass: drop_tag() per element is O(siblings)
    etree.strip_tags(tree, _UNWRAP)
    return len(bare)


_UNWRAP = "provnews-unwrap"


def remove(el: etree._Element) -> None:
    """Drop ``el`` but keep its tail text in the document."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def select(tree: etree._Element, css: str | None) -> list[etree._Element]:
    """CSS matches in document order, or [] for a missing or invalid selector."""
    if not css:
        return []
    simple = simple_group(css)
    if simple is not None:
        return [el for el in simple.candidates(tree) if simple.matches(el)]
    compiled = _compiled(css)
    return compiled(tree) if compiled is not None else []


# ``tag``, ``.class``, ``tag.class``, ``#id``, ``[attr=value]``: the selector groups of the
# generic rules and most outlet entries. libxml2 evaluates cssselect's XPath for a class
# (``contains(concat(' ', normalize-space(@class), ' '), …)``) once per element and per
# alternative; an XPath that only fetches the elements having the attributes, then one
# set lookup per element, is about three times faster on AEB's pages.
_SIMPLE = re.compile(r"^(?P<tag>[a-z][a-z0-9]*)?(?:\.(?P<cls>[\w-]+)|#(?P<id>[\w-]+)"
                     r"|\[(?P<attr>[\w-]+)=(?P<val>[\w-]+)\])?$")


@dataclass(frozen=True)
class _SimpleGroup:
    by_class: dict[str, frozenset[str] | None]  # class → the tags it must be on (None: any)
    by_id: dict[str, frozenset[str] | None]
    by_attr: dict[tuple[str, str], frozenset[str] | None]
    tags: frozenset[str]  # bare tag selectors
    xpath: etree.XPath

    def candidates(self, tree: etree._Element) -> list[etree._Element]:
        return self.xpath(tree)

    def matches(self, el: etree._Element) -> bool:
        if el.tag in self.tags:
            return True
        for token in (el.get("class") or "").split():
            if token in self.by_class and _tag_ok(el, self.by_class[token]):
                return True
        id_ = el.get("id")
        if id_ in self.by_id and _tag_ok(el, self.by_id[id_]):
            return True
        return any(el.get(attr) == val and _tag_ok(el, tags) for (attr, val), tags in self.by_attr.items())


def _tag_ok(el: etree._Element, tags: frozenset[str] | None) -> bool:
    return tags is None or el.tag in tags


@lru_cache(maxsize=256)
def simple_group(css: str) -> _SimpleGroup | None:
    """``css`` as a group of simple selectors (see ``_SIMPLE``), or None when it is not one."""
    found: dict[str, dict] = {"cls": {}, "id": {}, "attr": {}}
    tags: set[str] = set()
    for part in css.split(","):
        m = _SIMPLE.match(part.strip())
        if m is None or not part.strip():
            return None
        kind, key = next(((k, m[k] if k != "attr" else (m["attr"], m["val"])) for k in ("cls", "id", "attr")
                          if m[k]), (None, None))
        if kind is None:
            tags.add(m["tag"])
            continue
        allowed = found[kind].get(key, frozenset())
        found[kind][key] = None if not m["tag"] or (key in found[kind] and allowed is None) \
            else allowed | {m["tag"]}
    tests = (["@class"] if found["cls"] else []) + (["@id"] if found["id"] else []) + \
        [f"@{attr}" for attr, _ in found["attr"]] + [f"self::{tag}" for tag in sorted(tags)]
    return _SimpleGroup(found["cls"], found["id"], found["attr"], frozenset(tags),
                        etree.XPath(f"//*[{' or '.join(tests) or 'false()'}]"))


@lru_cache(maxsize=256)
def _compiled(css: str) -> CSSSelector | None:
    """CSS → XPath translation is costly and the selectors are few: compile each once."""
    try:
        return CSSSelector(css, translator="html")
    except Exception:  # noqa: BLE001 - a bad selector in a user registry is not fatal
        return None


def meta_map(tree: etree._Element) -> dict[str, list[str]]:
    """``<meta>`` contents keyed by lower-cased name / property / itemprop."""
    metas: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = (el.get(attr) or "").strip().lower()
            if key:
                metas.setdefault(key, []).append(content.strip())
    return metas


def json_ld(tree: etree._Element) -> list[dict]:
    """Every JSON-LD object on the page, ``@graph`` and lists flattened."""
    objects: list[dict] = []
    for script in tree.xpath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]"):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        objects.extend(_flatten(data))
    return objects


def _flatten(data: object) -> Iterator[dict]:
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            yield item
            if isinstance(item.get("@graph"), list):
                stack.extend(item["@graph"])


def ld_types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k) for k in kinds if k}


def image_src(img: etree._Element, base: str) -> str | None:
    """The real source of an ``<img>``; lazy loaders put it in data-* attributes."""
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return urljoin(base, value)
    return None


def first_h1(tree: etree._Element, memo: NoiseMemo | None = None) -> etree._Element | None:
    for h1 in tree.iter("h1"):
        if text_of(h1) and not is_noise(h1, memo):
            return h1
    return None


def following(el: etree._Element) -> Iterator[etree._Element]:
    """The elements after ``el`` in document order, outside it (XPath ``following::*``),
    lazily: taking the first few costs a few steps, not a pass over the whole tree."""
    node = el
    while node is not None:
        for sibling in node.itersiblings():
            if isinstance(sibling.tag, str):
                yield sibling
                yield from (d for d in sibling.iterdescendants() if isinstance(d.tag, str))
        node = node.getparent()


def positions(tree: etree._Element) -> dict[etree._Element, int]:
    return {el: i for i, el in enumerate(tree.iter())}


@dataclass
class Line:
    """One paragraph of ``block_lines``: its text, the block element it was read in, and
    how much of the text is link text."""

    text: str
    block: etree._Element
    link_chars: int = 0

    @property
    def link_share(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def block_paragraphs(root: etree._Element) -> list[str]:
    """Paragraph texts of ``root`` in document order: text is cut at every block
    boundary and at ``<br>``. Iterative, so depth does not matter."""
    return [line.text for line in block_lines(root)]


def block_lines(root: etree._Element) -> list[Line]:
    """``block_paragraphs`` with, for each, its block element and its link text."""
    lines: list[Line] = []
    buffer: list[str] = []
    blocks: list[etree._Element] = [root]  # the open block elements, innermost last
    links = 0  # chars of link text in ``buffer``
    in_link = 0  # depth of open <a>

    def flush() -> None:
        nonlocal links
        text = " ".join("".join(buffer).split())
        if text:
            lines.append(Line(text, blocks[-1], min(links, len(text))))
        buffer.clear()
        links = 0

    def add(text: str, link: bool) -> None:
        nonlocal links
        buffer.append(text)
        if link:
            links += len(text.strip())

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS or tag == "br":
                flush()
            if tag in BLOCK_TAGS and el is not root:
                blocks.append(el)
            if tag == "a":
                in_link += 1
            if tag in ("script", "style", "noscript", "template"):
                continue
            if el.text and not _inside_skipped(el):
                add(el.text, in_link > 0)
        else:
            if tag in BLOCK_TAGS:
                flush()
                if el is not root:
                    blocks.pop()
            if tag == "a":
                in_link -= 1
            if el is not root and el.tail and not _inside_skipped(el.getparent()):
                add(el.tail, in_link > 0)
    flush()
    return lines


def _inside_skipped(el: etree._Element | None) -> bool:
    return el is not None and el.tag in ("script", "style", "noscript", "template")


def strip_tags(tree: etree._Element, tags: Iterable[str]) -> None:
    for el in list(tree.iter(*tags)):
        remove(el)

"""``dom.select`` matches simple selector groups itself (speed); it must agree with cssselect."""

from __future__ import annotations

import pytest
from lxml.cssselect import CSSSelector

from crawler.extraction import dom

PAGE = """<html><body><div id="main" class="content-detail x"><h2 class="sapo">Lead</h2>
<p class="sapo">p lead</p><article class="story"><div itemprop="articleBody"><p>a</p></div></article>
<div class="Sapo">case differs</div><span id="content-detail">id</span><a rel="author">Ann</a>
<h4 class="summary lead">two classes</h4></div></body></html>"""


@pytest.mark.parametrize("css", [
    ".sapo, h2.sapo, [itemprop=articleBody], #content-detail, article",
    "h4.lead, .content-detail, a[rel=author]",
    "div#main, span.sapo, .missing",
    "article p",  # a descendant combinator: cssselect's own path
])
def test_select_agrees_with_cssselect(css: str) -> None:
    tree = dom.parse(PAGE)
    assert dom.select(tree, css) == CSSSelector(css, translator="html")(tree)

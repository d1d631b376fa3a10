"""Each crawl component names, in its docstrings, every setting it reads (so a reader of
the module knows its knobs), and every ``PROVNEWS_*`` setting it reads has its default in
crawler/settings.py (all defaults in one module)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from crawler import settings

ROOT = Path(__file__).parents[1]
COMPONENTS = sorted([*ROOT.glob("crawler/fetching/*.py"), *ROOT.glob("crawler/spiders/*.py"),
                     *ROOT.glob("pipelines/*.py"), ROOT / "crawler/frontier.py", ROOT / "crawler/ledger.py",
                     ROOT / "crawler/discovery/routing.py"])
# settings.get("X"), s.getint("X"), crawler.settings["X"]: the name read.
READ = re.compile(r"""\.get(?:int|float|bool|list|dict)?\(\s*["']([A-Z][A-Z0-9_]+)["']|settings\[["']([A-Z][A-Z0-9_]+)["']\]""")


def _docstrings(tree: ast.Module) -> str:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef)))]
    return "\n".join(ast.get_docstring(n) or "" for n in nodes)


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_component_docstrings_name_the_settings_read(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    read = {a or b for a, b in READ.findall(source)}
    documented = _docstrings(ast.parse(source))
    assert not [name for name in read if name not in documented], f"{path.name} reads settings it does not name"
    assert not [n for n in read if n.startswith("PROVNEWS_") and not hasattr(settings, n)], "no default in settings.py"

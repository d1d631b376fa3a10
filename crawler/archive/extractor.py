"""Which extractor produced a record: ``extractor_version()``.

The extractor is the code of ``crawler.extraction`` plus the core modules it ends
with (record shaping, dates, URL keys) and trafilatura's release. The version is a
hash of those sources, so any change of an extraction rule changes it, and a record
stored with another version is one a re-extraction would refresh.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import trafilatura

import crawler.extraction
from crawler import __version__

_CRAWLER = Path(__file__).resolve().parents[1]
_CORE_USED = ("record.py", "dates.py", "urls.py")


@cache
def extractor_version() -> str:
    """``<provnews version>+<12 hex of the extractor's sources and trafilatura's version>``."""
    digest = hashlib.sha256(f"trafilatura {trafilatura.__version__}".encode())
    sources = sorted(Path(crawler.extraction.__file__).parent.glob("*.py"))
    sources += [_CRAWLER / "core" / name for name in _CORE_USED]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"

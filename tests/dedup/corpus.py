"""The labelled near-duplicate set: real texts (texts.json) and pair specs (pairs.json).

A pair spec names a text and a list of edits applied by code, so every label holds
by construction: ``dateline`` and ``byline`` make a TTXVN-style republication,
``cut``/``add``/``truncate`` an edited or cut copy, ``tones``/``quotes``/``caption``
an aggregator's copy (as observed on real copies, see the note of each pair),
``boilerplate`` the outlet's page template leaking into the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
_DATA = json.loads((HERE / "texts.json").read_text("utf-8"))
TEXTS: dict[str, dict] = _DATA["texts"]
BOILERPLATE: dict[str, list[str]] = _DATA["boilerplate"]

# Leading datelines as Báo Lạng Sơn copies show them: "LSO-", "(LSO) - ", "– ", "LST:".
_DATELINE = re.compile(r"^(?:\(?LSO\)?\s*[-–:]\s*|LST:\s*|[-–]\s*)")
# New-style tone placement (hóa, thủy) -> old style (hoá, thuỷ), at the end of a syllable.
_OLD_TONES = {"óa": "oá", "òa": "oà", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "óe": "oé", "òe": "oè",
              "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ", "úy": "uý", "ùy": "uỳ", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ"}
_NEW_TONES = {old: new for new, old in _OLD_TONES.items()}


def _retone(text: str, table: dict[str, str]) -> str:
    pattern = re.compile("(" + "|".join(table) + r")(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: table.get(m.group(1), table.get(m.group(1).lower(), m.group(1))), text)


def build(spec: dict) -> str:
    item = TEXTS[spec["text"]]
    paras = list(item["paragraphs"])
    for op, *args in spec.get("ops", []):
        if op == "dateline":
            paras[0] = args[0] + _DATELINE.sub("", paras[0])
        elif op == "byline":
            if args or item["byline"]:
                paras.append(args[0] if args else item["byline"])
        elif op == "cut":
            del paras[args[0]]
        elif op == "add":
            paras.insert(args[2] if len(args) > 2 else len(paras), TEXTS[args[0]]["paragraphs"][args[1]])
        elif op == "truncate":
            words = "\n".join(paras).split(" ")[: args[0]]
            paras = " ".join(words).split("\n")
        elif op == "caption":
            paras.insert(args[0], item["captions"][0])
        elif op == "title":
            paras.insert(0, item["title"])
        elif op == "prepend":
            paras.insert(0, args[0])
        elif op == "tones":
            paras = [_retone(p, _OLD_TONES if args[0] == "old" else _NEW_TONES) for p in paras]
        elif op == "quotes":
            paras = [p.replace("“", "'").replace("”", "'") for p in paras]
        elif op == "boilerplate":
            paras = list(BOILERPLATE[args[0]][:1]) + paras + list(BOILERPLATE[args[0]][1:])
        else:
            raise ValueError(f"unknown edit {op!r}")
    return "\n".join(paras)


@dataclass
class Pair:
    a: str
    b: str
    same: bool
    kind: str
    note: str


def pairs() -> list[Pair]:
    specs = json.loads((HERE / "pairs.json").read_text("utf-8"))["pairs"]
    return [Pair(build(s["a"]), build(s["b"]), s["same"], s["kind"], s.get("note", "")) for s in specs]

"""Add one real captured page to the real-page gold set (house rule 8: fixtures made by a command).

    python tests/extraction/gold/real/_add.py OUTLET NAME --url URL \
        (--html FILE | --chunks DIR | --text-chunks DIR) --repo OWNER/NAME --path PATH \
        --commit SHA [--total-chars N [--invisible-glyphs N [--lost-note TEXT]]] [--license TEXT] [--outlet-key KEY] [--template TEXT] [--captured TEXT]

--html copies a saved page byte for byte; --chunks joins NN.json files, each a JSON
string holding one read_file chunk of the page, in name order (the way the pages here
were copied from the search tool); --text-chunks joins NN.txt files holding the chunks as
plain text, and with --total-chars refuses a copy whose length differs from the source's
(--invisible-glyphs N allows exactly N fewer characters, for private-use icon-font glyphs in
CSS content:"" rules that do not survive copying; the copy note records it). The page is stored as NAME.html.gz (gzip, mtime 0,
so the bytes are stable) next to NAME.json, whose "meta" is filled from the arguments
and whose "expected" fields are TODO placeholders: they must be written by reading the
page, never from the extractor's output, and test_gold_real.py fails while a TODO is
left. byte_exact is set only for --html; a chunked copy records its length instead.
"""
from __future__ import annotations

import argparse
import gzip
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outlet")
    ap.add_argument("name")
    ap.add_argument("--url", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--html", type=pathlib.Path)
    src.add_argument("--chunks", type=pathlib.Path)
    src.add_argument("--text-chunks", type=pathlib.Path)
    ap.add_argument("--total-chars", type=int, default=None,
                    help="the source's length as the search tool reports it (total_chars)")
    ap.add_argument("--invisible-glyphs", type=int, default=0,
                    help="private-use icon-font glyphs (CSS content) lost in copying; the copy must be exactly this much shorter")
    ap.add_argument("--lost-note", default=None,
                    help="with --invisible-glyphs: what the lost characters are and where (replaces the icon-font wording)")
    ap.add_argument("--repo", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--license", default="not checked (no licence file looked up)")
    ap.add_argument("--outlet-key", default=None, help="registry key when the outlet is in crawler/outlets.yaml")
    ap.add_argument("--template", default="TODO")
    ap.add_argument("--captured", default="TODO")
    args = ap.parse_args()

    if args.html:
        data = args.html.read_bytes()
        copy = f"byte-exact copy of {args.html.name} ({len(data)} bytes)"
    else:
        if args.chunks:
            parts = sorted(args.chunks.glob("[0-9][0-9].json"))
            text = "".join(json.loads(p.read_text(encoding="utf-8")) for p in parts)
        else:
            parts = sorted(args.text_chunks.glob("[0-9][0-9].txt"))
            text = "".join(p.read_text(encoding="utf-8") for p in parts)
        data = text.encode("utf-8")
        if args.total_chars is None:
            copy = f"joined from {len(parts)} read_file chunks, {len(text)} characters; TODO: compare with the source's length"
        elif args.total_chars != len(text) + args.invisible_glyphs:
            raise SystemExit(f"the copy has {len(text)} characters, the source {args.total_chars}: not added")
        elif args.invisible_glyphs and args.lost_note:
            copy = (f"joined from {len(parts)} read_file chunks (the search tool's text of the file), "
                    f"{len(text)} characters = the source's total_chars {args.total_chars} less "
                    f"{args.invisible_glyphs}: {args.lost_note}; not byte-exact")
        elif args.invisible_glyphs:
            copy = (f"joined from {len(parts)} read_file chunks (the search tool's text of the file), "
                    f"{len(text)} characters = the source's total_chars {args.total_chars} less "
                    f"{args.invisible_glyphs} invisible private-use icon-font glyphs inside CSS content:\"\" rules, "
                    "which did not survive copying; not byte-exact (line endings as served)")
        else:
            copy = (f"joined from {len(parts)} read_file chunks (the search tool's text of the file), "
                    f"{len(text)} characters = the source's total_chars; not byte-exact (line endings as served)")

    folder = HERE / args.outlet
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{args.name}.html.gz"
    with open(page, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
        gz.write(data)
    record = {
        "meta": {
            "url": args.url,
            "outlet": args.outlet_key,
            "kind": "real",
            "template": args.template,
            "captured": args.captured,
            "provenance": {
                "repository": args.repo,
                "path": args.path,
                "commit": args.commit,
                "license": args.license,
                "original_url": args.url,
                "byte_exact": bool(args.html),
                "copy": copy,
            },
            "expected_by": "TODO: say where on the page each expected field was read",
        },
        "expected": {
            "title": "TODO",
            "summary": "TODO",
            "authors": ["TODO"],
            "attribution": "TODO (null when the page credits no source; drop the key when it is unsettled)",
            "published_at": "TODO (YYYY-MM-DDTHH:MM:00+07:00)",
            "text_contains": ["TODO"],
            "text_not_contains": ["TODO"],
        },
    }
    out = folder / f"{args.name}.json"
    out.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(page, len(data), "bytes;", out)


if __name__ == "__main__":
    main()
